"""Connected accounts and the state cached from Stripe."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlmodel import Field, SQLModel

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
    banks = ((account.get("external_accounts") or {}).get("data")) or []
    profile["external_accounts"] = {"data": [{k: b.get(k) for k in BANK_KEYS} for b in banks]}
    return profile


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))

    def apply_stripe_state(self, account: dict[str, Any], now: datetime) -> None:
        """Cache what Stripe says about the account (never anything sensitive: Stripe returns none)."""
        requirements = account.get("requirements") or dict(EMPTY_REQUIREMENTS)
        self.stripe_id = account["id"]
        self.business_type = account.get("business_type") or self.business_type
        self.email = account.get("email") or self.email
        self.requirements = requirements
        self.future_requirements = account.get("future_requirements") or dict(EMPTY_REQUIREMENTS)
        self.requirement_errors = list(requirements.get("errors") or [])
        self.capabilities = dict(account.get("capabilities") or {})
        self.charges_enabled = bool(account.get("charges_enabled"))
        self.payouts_enabled = bool(account.get("payouts_enabled"))
        self.details_submitted = bool(account.get("details_submitted"))
        self.disabled_reason = requirements.get("disabled_reason")
        deadline = requirements.get("current_deadline")
        self.current_deadline = datetime.fromtimestamp(deadline, timezone.utc) if deadline else None
        due = requirements.get("currently_due") or requirements.get("past_due") or requirements.get("errors")
        # A new account owes everything; only one that was submitted "needs action" again.
        needs_action = bool(due) and self.details_submitted
        self.needs_action_since = (self.needs_action_since or now) if needs_action else None
        self.stripe_profile = profile_of(account)
        self.synced_at = now
        self.updated_at = now

    def keep_person(self, person: dict[str, Any]) -> None:
        """Cache a person Stripe returned (created, updated or listed), replacing its earlier copy."""
        persons = [p for p in self.stripe_persons or [] if p.get("id") != person.get("id")]
        self.stripe_persons = [*persons, _without(person, PERSON_DROPPED)]
        self.updated_at = utcnow()  # what pages show changed (pages are cached by it)

    def forget_person(self, person_id: str) -> None:
        """Drop a deleted person from the cache."""
        self.stripe_persons = [p for p in self.stripe_persons or [] if p.get("id") != person_id]
        self.updated_at = utcnow()

    def keep_persons(self, persons: list[dict[str, Any]]) -> None:
        """Replace the cached persons with a complete list read from Stripe."""
        self.stripe_persons = [_without(p, PERSON_DROPPED) for p in persons]
        self.updated_at = utcnow()

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
