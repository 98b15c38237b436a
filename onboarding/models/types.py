"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Column, DateTime


def utcnow() -> datetime:
    """Return the current time, timezone-aware, computed in Python rather than by the database."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Return a stored timestamp as aware UTC (SQLite hands timezone-aware columns back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def new_uuid() -> str:
    """Return a random id for our own rows."""
    return uuid.uuid4().hex


def json_column(**kwargs: Any) -> Column:
    """A JSON column (JSON on both SQLite and PostgreSQL)."""
    return Column(JSON, **kwargs)


def tz_column(**kwargs: Any) -> Column:
    """A timezone-aware timestamp column."""
    return Column(DateTime(timezone=True), **kwargs)
