"""Stored freshness reports: each `catalog check` run, for the compliance pages and their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date
from sqlmodel import Column, Field, SQLModel

from .types import json_column, tz_column, utcnow


class FreshnessReport(SQLModel, table=True):
    """One run of the freshness check."""

    __tablename__ = "freshness_reports"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    as_of: date = Field(sa_column=Column(Date, nullable=False))
    catalog_version: str = Field(max_length=64, index=True)
    stale: bool = False
    drift_count: int = 0
    report: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
