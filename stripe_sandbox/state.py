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
    requested_at: dict[str, int] = field(default_factory=dict)  # capability -> when it was requested
    deleted: bool = False
    # Requirements only Stripe's hosted flow answers (`interv_...`, `proof_of_liveness`), placed by a test
    # control and cleared by completing an Account Link's page (see `hosted.py`).
    hosted_requirements: set[str] = field(default_factory=set)
    # The balance by currency, in the currency's smallest unit: funds a payout may take, and funds on their way.
    available: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)


@dataclass
class AccountLink:
    """An Account Link: a single-use address of the hosted flow, redeemed on `hosted.py`'s page."""

    secret: str  # the last part of its URL
    account: str
    type: str
    fields: str  # collection_options.fields: currently_due or eventually_due
    refresh_url: str
    return_url: str
    created: int
    expires_at: int
    requirements: tuple[str, ...]  # the Stripe-only requirements due when it was made: what the page completes
    visited_at: int | None = None
    finished_at: int | None = None


@dataclass
class Payout:
    """A payout of a connected account's balance to one of its bank accounts."""

    id: str
    account: str
    created: int
    amount: int
    currency: str
    destination: str  # the bank account's id
    arrival_date: int
    status: str  # paid, pending, in_transit, canceled, failed
    automatic: bool = True
    failure_code: str | None = None
    failure_message: str | None = None
    description: str | None = None
    statement_descriptor: str | None = None


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


class PersonTable(dict[str, Person]):
    """Persons by id, indexed by account too: rendering an account must not scan every person there is.

    Listing N accounts renders each with its persons; without the index that is N x (all persons).
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_account: dict[str, dict[str, None]] = {}  # account -> its person ids, in creation order

    def __setitem__(self, person_id: str, person: Person) -> None:
        old = self.get(person_id)
        if old is not None and old.account != person.account:
            self._unindex(person_id, old.account)
        super().__setitem__(person_id, person)
        self._by_account.setdefault(person.account, {})[person_id] = None

    def __delitem__(self, person_id: str) -> None:
        self._unindex(person_id, self[person_id].account)
        super().__delitem__(person_id)

    def pop(self, person_id: str, *default: Any) -> Any:  # type: ignore[override]
        """Remove a person and return it (or the default)."""
        if person_id in self:
            self._unindex(person_id, self[person_id].account)
        return super().pop(person_id, *default)

    def clear(self) -> None:
        """Remove every person."""
        super().clear()
        self._by_account.clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add persons, keeping the index."""
        for person_id, person in dict(*args, **kwargs).items():
            self[person_id] = person

    def setdefault(self, person_id: str, default: Person) -> Person:  # type: ignore[override]
        """Return a person, adding `default` first when there is none."""
        if person_id not in self:
            self[person_id] = default
        return self[person_id]

    def popitem(self) -> tuple[str, Person]:
        """Remove and return the newest person."""
        person_id, person = super().popitem()
        self._unindex(person_id, person.account)
        return person_id, person

    def of(self, account_id: str) -> list[Person]:
        """Return an account's persons, oldest first."""
        return [self[pid] for pid in self._by_account.get(account_id, ())]

    def _unindex(self, person_id: str, account_id: str) -> None:
        ids = self._by_account.get(account_id, {})
        ids.pop(person_id, None)
        if not ids:
            self._by_account.pop(account_id, None)


@dataclass
class Store:
    """All sandbox state, guarded by one re-entrant lock."""

    accounts: dict[str, Account] = field(default_factory=dict)
    persons: PersonTable = field(default_factory=PersonTable)
    bank_accounts: dict[str, BankAccount] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    account_links: dict[str, AccountLink] = field(default_factory=dict)  # by secret
    payouts: dict[str, Payout] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    caches: dict[str, Any] = field(default_factory=dict)  # derived data, e.g. the accounts' list order

    def persons_of(self, account_id: str) -> list[Person]:
        """Return the account's persons, oldest first."""
        return self.persons.of(account_id)
