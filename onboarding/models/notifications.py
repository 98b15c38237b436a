"""Notifications to the platform, stored with the state change that causes them and sent after the commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from .types import json_column, tz_column, utcnow


class Notification(SQLModel, table=True):
    """One message for the platform (e.g. an account needs action again); `sent_at` once delivered."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True, max_length=32)
    kind: str = Field(max_length=64)  # account.action_required, account.hosted_flow_started
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
