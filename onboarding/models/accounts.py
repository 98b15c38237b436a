"""Connected accounts and the state cached from Stripe."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlmodel import Field, SQLModel

from . import ordering
from .types import as_utc, json_column, new_uuid, tz_column, utcnow

EMPTY_REQUIREMENTS: dict[str, Any] = {
    "alternatives": [], "current_deadline": None, "currently_due": [], "disabled_reason": None,
    "errors": [], "eventually_due": [], "past_due": [], "pending_verification": [],
}


# The parts of Stripe's account object the forms prefill and the review shows. Stripe never returns full
# ID, tax or account numbers (only `*_provided` flags and `last4`); the whitelist keeps it that way here
# whatever a future API version adds, and leaves out what no form reads.
PROFILE_KEYS = ("business_profile", "business_type", "company", "individual", "email", "documents",
                "tos_acceptance")
BANK_KEYS = ("id", "object", "bank_name", "country", "currency", "last4", "status", "default_for_currency")
PERSON_DROPPED = ("metadata",)  # our write markers; not part of what the forms show


def _without(obj: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in keys}


def profile_of(account: dict[str, Any]) -> dict[str, Any]:
    """Return the non-sensitive part of a Stripe account that the wizard's pages read."""
    profile = {key: account[key] for key in PROFILE_KEYS if account.get(key) is not None}
    if isinstance(profile.get("tos_acceptance"), dict):
        profile["tos_acceptance"] = {k: v for k, v in profile["tos_acceptance"].items() if k != "user_agent"}
    payouts = (account.get("settings") or {}).get("payouts")
    if isinstance(payouts, dict):  # the payout schedule the account page shows (and, where allowed, changes)
        profile["settings"] = {"payouts": payouts}
    banks = ((account.get("external_accounts") or {}).get("data")) or []
    profile["external_accounts"] = {"data": [bank_part(b) for b in banks]}
    return profile


def account_part(account: dict[str, Any]) -> dict[str, Any]:
    """Return what the cache keeps of an account object, without its capabilities and external accounts.

    Those are parts of their own (`ordering`): their events arrive apart from `account.updated`.
    """
    profile = profile_of(account)
    del profile["external_accounts"]
    return {"requirements": account.get("requirements") or dict(EMPTY_REQUIREMENTS),
            "future_requirements": account.get("future_requirements") or dict(EMPTY_REQUIREMENTS),
            "charges_enabled": bool(account.get("charges_enabled")),
            "payouts_enabled": bool(account.get("payouts_enabled")),
            "details_submitted": bool(account.get("details_submitted")), "profile": profile}


def bank_part(bank: dict[str, Any]) -> dict[str, Any]:
    """Return what the cache keeps of an external account (bank account or card): never its number."""
    return {k: bank.get(k) for k in BANK_KEYS}


def person_part(person: dict[str, Any]) -> dict[str, Any]:
    """Return what the cache keeps of a person."""
    return _without(person, PERSON_DROPPED)


def _second(now: datetime | None, at: int | None) -> int | None:
    """Return the ordering second of a state: an event's `created`, or when the request that read it began."""
    return at if at is not None else ordering.second(now) if now is not None else None


class ConnectedAccount(SQLModel, table=True):
    """A platform's connected account; Stripe is the source of truth, this row caches it."""

    __tablename__ = "connected_accounts"

    id: str = Field(default_factory=new_uuid, primary_key=True, max_length=32)
    stripe_id: str | None = Field(default=None, unique=True, index=True, max_length=64)
    country: str = Field(max_length=2)
    business_type: str | None = Field(default=None, max_length=32)
    service_agreement: str = Field(default="full", max_length=16)
    email: str | None = Field(default=None, max_length=320)
    catalog_version: str | None = Field(default=None, max_length=64)
    requirements: dict[str, Any] = Field(default_factory=lambda: dict(EMPTY_REQUIREMENTS),
                                         sa_column=json_column(nullable=False))
    future_requirements: dict[str, Any] = Field(default_factory=lambda: dict(EMPTY_REQUIREMENTS),
                                                sa_column=json_column(nullable=False))
    requirement_errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    capabilities: dict[str, str] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    charges_enabled: bool = False
    payouts_enabled: bool = False
    details_submitted: bool = False
    disabled_reason: str | None = Field(default=None, max_length=64)
    current_deadline: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # Set when a submitted account needs the user again (new requirements, a failed check).
    needs_action_since: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # What Stripe holds of the forms' answers, so that a page view needs no Stripe call (see `profile_of`).
    # None: never read (rows from before the cache); the wizard then reads Stripe once and keeps it.
    stripe_profile: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    stripe_persons: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column(nullable=True))
    synced_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # How new each cached part is, so that an older event never overwrites it (see `ordering`);
    # None: rows from before the marks, which the next event re-reads once.
    stripe_marks: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))

    def apply_stripe_state(self, account: dict[str, Any], now: datetime) -> None:
        """Cache an account object Stripe answered (never anything sensitive: Stripe returns none).

        All of it: the account, its capabilities and its external accounts, known as of `now`.
        """
        at = ordering.second(now)
        self.apply_account(account, now, at)
        capabilities = dict(account.get("capabilities") or {})
        for name in set(capabilities) | set(self.capabilities) | set(self._marked("capability")):
            self.mark(f"capability:{name}", capabilities.get(name), at)
        self.capabilities = capabilities
        self.mark_collection("capabilities", at)
        if "external_accounts" in account:  # else the cached ones stay, as their own events left them
            banks = [bank_part(b) for b in (account["external_accounts"] or {}).get("data") or []]
            self.stripe_profile = {**(self.stripe_profile or {}), "external_accounts": {"data": banks}}
            for bank_id in {b.get("id") for b in banks} | set(self._marked("bank")):
                self.mark(f"bank:{bank_id}", next((b for b in banks if b.get("id") == bank_id), None), at)
            self.mark_collection("banks", at)

    def apply_account(self, account: dict[str, Any], now: datetime, at: int) -> None:
        """Cache the account part of an account object (`account_part`), known as of second `at`."""
        part = account_part(account)
        requirements = part["requirements"]
        self.stripe_id = account["id"]
        self.business_type = account.get("business_type") or self.business_type
        self.email = account.get("email") or self.email
        self.requirements = requirements
        self.future_requirements = part["future_requirements"]
        self.requirement_errors = list(requirements.get("errors") or [])
        self.charges_enabled = part["charges_enabled"]
        self.payouts_enabled = part["payouts_enabled"]
        self.details_submitted = part["details_submitted"]
        self.disabled_reason = requirements.get("disabled_reason")
        deadline = requirements.get("current_deadline")
        self.current_deadline = datetime.fromtimestamp(deadline, timezone.utc) if deadline else None
        due = requirements.get("currently_due") or requirements.get("past_due") or requirements.get("errors")
        # A new account owes everything; only one that was submitted "needs action" again.
        needs_action = bool(due) and self.details_submitted
        self.needs_action_since = (self.needs_action_since or now) if needs_action else None
        kept = (self.stripe_profile or {}).get("external_accounts") or {"data": []}
        self.stripe_profile = {**part["profile"], "external_accounts": kept}
        self.synced_at = now
        self.updated_at = now
        self.mark("account", part, at)

    def apply_capability(self, name: str, status: str | None, now: datetime, at: int) -> None:
        """Cache a capability's status (None: the account no longer has it)."""
        capabilities = {k: v for k, v in self.capabilities.items() if k != name}
        if status is not None:
            capabilities[name] = status
        self.capabilities = capabilities
        self.updated_at = now
        self.mark(f"capability:{name}", status, at)

    def apply_bank(self, bank_id: str, bank: dict[str, Any] | None, now: datetime, at: int) -> None:
        """Cache an external account (`bank_part`), or forget it (None)."""
        profile = dict(self.stripe_profile or {})
        banks = list((profile.get("external_accounts") or {}).get("data") or [])
        index = next((i for i, b in enumerate(banks) if b.get("id") == bank_id), None)
        if bank is None and index is not None:
            del banks[index]
        elif bank is not None and index is not None:
            banks[index] = bank
        elif bank is not None:
            banks.append(bank)
        profile["external_accounts"] = {"data": banks}
        self.stripe_profile = profile
        self.updated_at = now
        self.mark(f"bank:{bank_id}", bank, at)

    def keep_person(self, person: dict[str, Any], now: datetime | None = None, at: int | None = None) -> None:
        """Cache a person Stripe returned (created, updated or listed), replacing its earlier copy.

        `now`: when the request that got it began; `at`: the `created` of the event that carried it.
        Neither: the person is held without advancing its ordering mark (`ordering.noted`).
        """
        kept = person_part(person)
        persons = [p for p in self.stripe_persons or [] if p.get("id") != person.get("id")]
        self.stripe_persons = [*persons, kept]
        self.updated_at = now or utcnow()  # what pages show changed (pages are cached by it)
        self.mark(f"person:{person.get('id')}", kept, _second(now, at))

    def forget_person(self, person_id: str, now: datetime | None = None, at: int | None = None) -> None:
        """Drop a deleted person from the cache (`now` and `at` as for `keep_person`)."""
        self.stripe_persons = [p for p in self.stripe_persons or [] if p.get("id") != person_id]
        self.updated_at = now or utcnow()
        self.mark(f"person:{person_id}", None, _second(now, at))

    def keep_persons(self, persons: list[dict[str, Any]], now: datetime | None = None) -> None:
        """Replace the cached persons with a complete list read from Stripe (`now`: when the read began)."""
        at = _second(now, None)
        self.stripe_persons = [person_part(p) for p in persons]
        self.updated_at = now or utcnow()
        for person_id in {p.get("id") for p in persons} | set(self._marked("person")):
            kept = next((p for p in self.stripe_persons if p.get("id") == person_id), None)
            self.mark(f"person:{person_id}", kept, at)
        self.mark_collection("persons", at)

    def mark(self, key: str, state: Any, at: int | None) -> None:
        """Record that the cache holds `state` of part `key`, known as of second `at` (`ordering`)."""
        marks = dict(self.stripe_marks or {})
        marks[key] = ordering.noted(ordering.mark_of(marks, key), ordering.fingerprint(state), at)
        self.stripe_marks = marks

    def mark_collection(self, collection: str, at: int | None) -> None:
        """Record that a complete list of a kind of part (`ordering.COLLECTION_OF`) was read as of second `at`.

        The marks of parts absent from it go: the list's own mark says the same of them, and the marks
        would otherwise grow with every person or bank account ever deleted.
        """
        marks = dict(self.stripe_marks or {})
        if at is None:  # a list read at a time not known: no newer than what we knew of the collection
            at = (marks.get(collection) or {}).get("at", 0)
        at = max(at, (marks.get(collection) or {}).get("at", at))
        kind = next(k for k, c in ordering.COLLECTION_OF.items() if c == collection)
        self.stripe_marks = {key: mark for key, mark in marks.items()
                             if not (key.startswith(f"{kind}:") and mark["fp"] == ordering.ABSENT and mark["at"] < at)}
        self.stripe_marks[collection] = {"at": at}

    def _marked(self, kind: str) -> list[str]:
        return [key.split(":", 1)[1] for key in self.stripe_marks or {} if key.startswith(f"{kind}:")]

    def summary(self) -> dict[str, Any]:
        """Return the JSON the CLI and the platform API show."""
        return {
            "id": self.id,
            "stripe_id": self.stripe_id,
            "country": self.country,
            "business_type": self.business_type,
            "service_agreement": self.service_agreement,
            "email": self.email,
            "catalog_version": self.catalog_version,
            "charges_enabled": self.charges_enabled,
            "payouts_enabled": self.payouts_enabled,
            "details_submitted": self.details_submitted,
            "capabilities": self.capabilities,
            "requirements": {
                "currently_due": list(self.requirements.get("currently_due") or []),
                "eventually_due": list(self.requirements.get("eventually_due") or []),
                "past_due": list(self.requirements.get("past_due") or []),
                "pending_verification": list(self.requirements.get("pending_verification") or []),
                "errors": self.requirement_errors,
                "disabled_reason": self.disabled_reason,
                "current_deadline": as_utc(self.current_deadline).isoformat() if self.current_deadline else None,
            },
            "future_requirements": {
                "currently_due": list(self.future_requirements.get("currently_due") or []),
                "eventually_due": list(self.future_requirements.get("eventually_due") or []),
                "current_deadline": self.future_requirements.get("current_deadline"),
            },
            "synced_at": as_utc(self.synced_at).isoformat() if self.synced_at else None,
        }
