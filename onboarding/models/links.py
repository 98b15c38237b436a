"""Onboarding links: single-use, expiring URLs a platform hands to its user, like Stripe's Account Links."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .types import new_uuid, tz_column, utcnow


class OnboardingLink(SQLModel, table=True):
    """One link. Only the SHA-256 of its token is kept: a database leak reveals no usable link."""

    __tablename__ = "onboarding_links"

    id: str = Field(default_factory=new_uuid, primary_key=True, max_length=32)
    account_id: str = Field(foreign_key="connected_accounts.id", index=True, max_length=32)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    collect: str = Field(default="currently_due", max_length=16)  # or "eventually_due": ask everything up front
    # "account_onboarding" opens the wizard; "account_update" the account page (Stripe's Account Link types).
    type: str = Field(default="account_onboarding", max_length=24)
    return_url: str = Field(max_length=2000)
    refresh_url: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    expires_at: datetime = Field(sa_column=tz_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # Set by "save and exit": the session the link started ends on the server, not only in this browser.
    ended_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
