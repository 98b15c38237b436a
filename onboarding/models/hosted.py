"""Hosted flows: each time a user was sent to Stripe's own onboarding, by whom, where, and whether they came back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from .types import json_column, new_uuid, tz_column, utcnow


class HostedLink(SQLModel, table=True):
    """One Account Link we made: the audit record of sending an account's user to Stripe's hosted flow.

    Stripe's link itself is not kept: for its few minutes it opens the account's onboarding to whoever
    holds it. `destination` keeps its origin (`https://connect.stripe.com`), and `idempotency_key` names
    the write in the outbox (`stripe_writes`).
    """

    __tablename__ = "hosted_links"

    id: str = Field(default_factory=new_uuid, primary_key=True, max_length=32)  # in our return URL
    account_id: str = Field(foreign_key="connected_accounts.id", index=True, max_length=32)
    requested_by: str = Field(max_length=16)  # "user" (the status page, a refresh) or "platform" (the API)
    onboarding_link_id: str | None = Field(default=None, max_length=32)  # the visit of the user who asked
    ip: str | None = Field(default=None, max_length=64)
    requirements: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))  # what it was for
    destination: str = Field(max_length=255)  # the origin of Stripe's page
    return_to: str = Field(max_length=2000)  # where the user lands afterwards (our status page, or the platform's)
    refresh_url: str = Field(max_length=2000)  # where an expired or used link sends the user
    idempotency_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    returned_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))

    def summary(self) -> dict[str, Any]:
        """Return the record as the compliance pages and the notification show it."""
        return {"id": self.id, "account": self.account_id, "requested_by": self.requested_by,
                "requirements": list(self.requirements), "destination": self.destination,
                "return_to": self.return_to}
