"""How old a catalog version is: Stripe asks API-onboarding platforms to review requirements every six months.

A version reviewed on D is fresh up to and including D + 6 calendar months and stale after it.
When D's day does not exist six months later (31 August), the last day of that month counts
(28 or 29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

REVIEW_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, or the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Age:
    """A version's age on a given day."""

    reviewed_on: date
    as_of: date
    fresh_until: date  # the last fresh day
    days: int
    stale: bool
    warning: bool  # fresh, but stale within the warning window


def age(reviewed_on: date, as_of: date, warn_days: int = 30) -> Age:
    """Return how old a version reviewed on `reviewed_on` is on `as_of`."""
    fresh_until = add_months(reviewed_on, REVIEW_MONTHS)
    stale = as_of > fresh_until
    warning = not stale and fresh_until - as_of < timedelta(days=warn_days)
    return Age(reviewed_on, as_of, fresh_until, (as_of - reviewed_on).days, stale, warning)
