"""The sandbox's stored objects: raw data as sent, from which API objects are rendered."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Person:
    """A person of an account; `data` holds every parameter as sent, sensitive ones included."""

    id: str
    account: str
    created: int
    data: dict[str, Any] = field(default_factory=dict)
    pending: bool = False  # identity verification started and not yet finished


@dataclass
class BankAccount:
    """An external bank account; only derived, non-sensitive values are kept besides the test outcome."""

    id: str
    account: str
    created: int
    country: str
    currency: str
    last4: str
    fingerprint: str
    routing_number: str | None
    bank_name: str | None
    account_holder_name: str | None
    account_holder_type: str | None
    outcome: str = "ok"  # the payout outcome Stripe's test numbers stand for
    status: str = "new"
    default_for_currency: bool = False
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Account:
    """A connected account."""

    id: str
    created: int
    country: str
    data: dict[str, Any] = field(default_factory=dict)  # business_profile, company, documents, settings, ...
    individual: str | None = None  # the person id behind `individual`
    external_accounts: list[str] = field(default_factory=list)
    company_pending: bool = False  # tax id verification started and not yet finished
    enabled_at: int | None = None  # first time every requested capability became active
    due_since: dict[str, int] = field(default_factory=dict)  # field -> when it became due after enablement
    deleted: bool = False


@dataclass
class File:
    """An uploaded file (the bytes are kept only for the sandbox's own checks)."""

    id: str
    created: int
    purpose: str
    filename: str | None
    size: int
    type: str
    outcome: str = "success"


@dataclass
class Store:
    """All sandbox state, guarded by one re-entrant lock."""

    accounts: dict[str, Account] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    bank_accounts: dict[str, BankAccount] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def persons_of(self, account_id: str) -> list[Person]:
        """Return the account's persons, oldest first."""
        return [p for p in self.persons.values() if p.account == account_id]
