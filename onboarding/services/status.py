"""What an account's onboarding state means to its user: one state, what is still needed, and by when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from requirements_catalog import CountryCatalog, Field

from ..models import ConnectedAccount

STATES = ("enabled", "pending", "action_required", "restricted")
PERSON_ROLES = ("representative", "owners", "directors", "executives", "individual")


@dataclass(frozen=True)
class Needed:
    """A question the user still has to answer, named by the catalog field that asks it."""

    path: str
    label: str
    step: str


@dataclass(frozen=True)
class AccountStatus:
    """The onboarding state shown on the status page and returned by the platform API."""

    state: str  # one of STATES
    charges_enabled: bool
    payouts_enabled: bool
    deadline: datetime | None
    disabled_reason: str | None
    currently_due: list[Needed] = field(default_factory=list)
    eventually_due: list[Needed] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    unanswerable: list[str] = field(default_factory=list)  # requirements no form field answers (risk reviews)


def _needed(country: CountryCatalog | None, business_type: str, requirements: list[str]
            ) -> tuple[list[Needed], list[str]]:
    found: dict[str, Needed] = {}
    missing = []
    for requirement in requirements:
        catalog_field = field_for_requirement(country, business_type, requirement) if country else None
        if catalog_field is None:
            missing.append(requirement)
        elif catalog_field.path not in found:
            found[catalog_field.path] = Needed(catalog_field.path, catalog_field.label, catalog_field.step)
    return list(found.values()), missing


def field_for_requirement(country: CountryCatalog, business_type: str, requirement: str,
                          person_roles: Mapping[str, Sequence[str]] | None = None) -> Field | None:
    """Return the catalog field that answers a Stripe requirement, persons (`person_xxx.`) included.

    Stripe names an existing person `person_xxx.<field>`; the catalog names the role. With the
    account's persons (`person_roles`: id -> roles) the person's own roles are tried first; person
    questions are worded alike in every role, so otherwise the first role that asks it is used.
    """
    if not requirement.startswith("person_"):
        return country.field_for(business_type, requirement)
    person, _, rest = requirement.partition(".")
    roles = [*(person_roles or {}).get(person, ()), *PERSON_ROLES]
    candidates = (country.field_for(business_type, f"{role}.{rest}") for role in roles)
    return next((found for found in candidates if found is not None), None)


def account_status(account: ConnectedAccount, country: CountryCatalog | None) -> AccountStatus:
    """Summarise an account's cached Stripe state for its user."""
    requirements = account.requirements or {}
    business_type = account.business_type or "individual"
    currently, missing_now = _needed(country, business_type, list(requirements.get("currently_due") or []))
    eventually, missing_later = _needed(country, business_type, [
        r for r in requirements.get("eventually_due") or [] if r not in (requirements.get("currently_due") or [])])
    pending = list(requirements.get("pending_verification") or [])
    if account.disabled_reason and not account.disabled_reason.startswith("requirements."):
        state = "restricted"  # under review, rejected, ...: nothing the user can type fixes it
    elif currently or missing_now:
        state = "action_required"
    elif pending or not (account.charges_enabled or account.payouts_enabled):
        state = "pending"
    else:
        state = "enabled"
    return AccountStatus(state=state, charges_enabled=account.charges_enabled, payouts_enabled=account.payouts_enabled,
                         deadline=account.current_deadline, disabled_reason=account.disabled_reason,
                         currently_due=currently, eventually_due=eventually, pending=pending,
                         unanswerable=missing_now + missing_later)
