"""Webhook events received from Stripe, recorded so each is processed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from .types import json_column, tz_column, utcnow


class WebhookEvent(SQLModel, table=True):
    """A verified Stripe event."""

    __tablename__ = "webhook_events"

    id: str = Field(primary_key=True, max_length=64)  # Stripe's evt_ id
    type: str = Field(max_length=100, index=True)
    account: str | None = Field(default=None, max_length=64, index=True)
    livemode: bool = False
    stripe_created: int = 0
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    processed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
