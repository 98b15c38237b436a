"""Payouts at a glance: a connected account's balance and latest payouts, read from Stripe when the user asks.

Two Stripe reads a view (`GET /v1/balance` and `GET /v1/payouts` with `Stripe-Account`; issue 16 allows
three), kept for `PAYOUTS_CACHE_SECONDS` (default 60) per account in the process, so reloading the
page does not read Stripe again. Nothing of it is stored in the database: Stripe is where balances
and payouts live, and they change without a webhook this service listens to.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ..gateway.interface import Gateway, StripeObject
from ..models import ConnectedAccount

logger = logging.getLogger(__name__)
# Amounts are in the currency's smallest unit. Stripe's zero-decimal and three-decimal currencies, from
# docs.stripe.com/currencies ("Zero-decimal currencies", "Three-decimal currencies"; the list as public code
# copies it, read 2026-12-07); every other currency has two decimals in the API (HUF, ISK, TWD and UGX
# included, whose payouts Stripe rounds, not their unit).
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Stripe's payout statuses (stripe-python 16.1.0 `Payout.status`); another one is shown as it is, and logged.
STATUSES = ("paid", "pending", "in_transit", "canceled", "failed")
UPCOMING = ("pending", "in_transit")


def money(amount: int, currency: str) -> Decimal:
    """Return an API amount (the smallest unit) as a number of the currency's units."""
    code = currency.lower()
    places = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return Decimal(amount).scaleb(-places)


@dataclass(frozen=True)
class Funds:
    """One currency of the balance."""

    currency: str
    available: Decimal
    pending: Decimal


@dataclass(frozen=True)
class Payout:
    """One payout as the page shows it."""

    id: str
    amount: Decimal
    currency: str
    status: str
    arrival: datetime | None
    bank_last4: str | None
    failure_code: str | None = None


@dataclass(frozen=True)
class Overview:
    """The balance per currency and the latest payouts (newest first), as read at `read_at`."""

    funds: list[Funds]
    upcoming: list[Payout]
    recent: list[Payout]
    failed: list[Payout]
    read_at: datetime
    more: bool = False  # Stripe has older payouts than these


def overview(gateway: Gateway, account: ConnectedAccount, now: datetime, cache: OverviewCache | None = None,
             limit: int = 10) -> Overview:
    """Return the account's balance and latest payouts: from the cache when read less than its lifetime ago."""
    if cache is not None and (kept := cache.get(account.stripe_id, now)) is not None:
        return kept
    balance = gateway.retrieve_balance(account.stripe_id)
    page = gateway.list_payouts(account.stripe_id, limit=limit)
    payouts = [_payout(p) for p in page.data]
    found = Overview(_funds(balance), [p for p in payouts if p.status in UPCOMING],
                     [p for p in payouts if p.status not in (*UPCOMING, "failed")],
                     [p for p in payouts if p.status == "failed"], now, page.has_more)
    if cache is not None:
        cache.put(account.stripe_id, found)
    return found


def _funds(balance: StripeObject) -> list[Funds]:
    totals: dict[str, dict[str, int]] = {}
    for kind in ("available", "pending"):
        for entry in balance.get(kind) or []:
            currency = str(entry.get("currency") or "").lower()
            if currency:
                totals.setdefault(currency, {"available": 0, "pending": 0})[kind] += int(entry.get("amount") or 0)
    return [Funds(c, money(t["available"], c), money(t["pending"], c)) for c, t in totals.items()]


def _payout(data: StripeObject) -> Payout:
    status = str(data.get("status") or "")
    if status not in STATUSES:
        logger.warning("Stripe sent a payout status this service does not know: %r (payout %s)", status,
                       data.get("id"))
    destination = data.get("destination")
    last4 = destination.get("last4") if isinstance(destination, dict) else None
    arrival = data.get("arrival_date")
    currency = str(data.get("currency") or "")
    return Payout(str(data.get("id")), money(int(data.get("amount") or 0), currency), currency, status,
                  datetime.fromtimestamp(arrival, timezone.utc) if isinstance(arrival, int) else None, last4,
                  data.get("failure_code") if status == "failed" else None)


@dataclass
class OverviewCache:
    """Overviews by Stripe account id, each kept `lifetime`, at most `size` of them (the oldest go first)."""

    lifetime: timedelta
    size: int = 1000
    _kept: OrderedDict[str, Overview] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, stripe_id: str, now: datetime) -> Overview | None:
        """Return the overview read less than `lifetime` before `now`, if there is one."""
        with self._lock:
            found = self._kept.get(stripe_id)
            if found is None or not (found.read_at <= now < found.read_at + self.lifetime):
                return None
            return found

    def put(self, stripe_id: str, found: Overview) -> None:
        """Keep an overview (replacing the account's older one)."""
        with self._lock:
            self._kept.pop(stripe_id, None)
            self._kept[stripe_id] = found
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def forget(self, stripe_id: str) -> None:
        """Drop an account's overview (its payout account or schedule changed)."""
        with self._lock:
            self._kept.pop(stripe_id, None)
