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
        self.synced_at = now
        self.updated_at = now

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
