"""The Stripe write outbox: every write's idempotency key, stored before the call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .types import json_column, tz_column, utcnow


class StripeWrite(SQLModel, table=True):
    """One intended Stripe write. Parameters are not kept: they can hold ID and account numbers."""

    __tablename__ = "stripe_writes"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, index=True, max_length=64)
    # No foreign key: the row is committed before the account row it names may exist (see services/outbox.py).
    account_id: str | None = Field(default=None, index=True, max_length=32)
    operation: str = Field(max_length=64)  # e.g. "accounts.create", "persons.update"
    target: str | None = Field(default=None, max_length=64)  # the Stripe object written to, when known
    # pending (outcome unknown) | succeeded | failed (Stripe answered; the key is spent) | abandoned
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    result_id: str | None = Field(default=None, max_length=64)
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, max_length=500)
    # The parameters, kept only for writes whose parameters hold nothing personal (`accounts.create`),
    # so that `flask outbox retry` can send them again with the same key.
    replay: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    # What Stripe answered a write the cache keeps (an account, a person; never a number: Stripe returns
    # none), recorded on its own like the key, whether or not the request that asked commits; and when
    # the cache took it, set in the same transaction as the cache (see `services/outbox.py`).
    # SQL NULL, not JSON null, when there is none: a page view asks the database whether any answer waits.
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    applied_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    visit: str | None = Field(default=None, index=True, max_length=64)  # the onboarding link whose visit wrote
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
