"""The moment tests run at when they name, age or compare things by date: a fixed one, never the real day."""

from __future__ import annotations

from datetime import datetime, timezone

TEST_NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
