"""What an account's onboarding state means to its user: one state, what is still needed, and by when."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from requirements_catalog import CountryCatalog, Field

from ..models import ConnectedAccount
from ..requirement_strings import general, read

logger = logging.getLogger(__name__)
STATES = ("enabled", "pending", "action_required", "restricted")
PERSON_ROLES = ("representative", "owners", "directors", "executives", "authorizers", "legal_guardians",
                "individual")


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


def fields_for_requirement(country: CountryCatalog, business_type: str, requirement: str,
                           person_roles: Mapping[str, Sequence[str]] | None = None) -> tuple[Field, ...]:
    """Return the catalog fields that answer a Stripe requirement string, in any of its forms.

    An account field is answered by one field; a person's field (`person_xxx.` or `person.person_xxx.`)
    by the field of the person's own roles (`person_roles`: id -> roles) or, without them, of the first
    role that asks it, since person questions are worded alike in every role; a role to fill
    (`relationship.owner`) by the minimum questions the catalog asks of that role's people (see
    `_fills_role`). Risk reviews and
    Stripe-only checks by none (see `onboarding/requirement_strings.py`).
    """
    found = read(requirement)
    if found.kind == "field":
        field_ = country.field_for(business_type, found.path)
        return (field_,) if field_ is not None else ()
    if found.kind == "person":
        own_roles = [r for r in (person_roles or {}).get(found.person or "", ()) if r in PERSON_ROLES]
        if own_roles:
            borrowed = person_field(country, business_type, own_roles[0], found.path, own_roles)
            return (borrowed,) if borrowed is not None else ()
        candidates = (country.field_for(business_type, f"{role}.{found.path}") for role in PERSON_ROLES)
        return next(((f,) for f in candidates if f is not None), ())
    if found.kind == "role":
        return tuple(f for f in country.fields(business_type) if _fills_role(f, found.path))
    return ()


def _fills_role(field_: Field, role: str) -> bool:
    """Tell whether a field belongs to adding somebody to a role, or to saying there is nobody (more) to add.

    The role's minimum questions, without its documents: Stripe asks a document of one person once
    verifying them needs it (`person_xxx.verification.document`), and the rest later by person id.
    `company.<role>_provided` answers it too: a company may have no owner above the threshold.
    """
    if field_.path == f"company.{role}_provided":
        return True
    return field_.path.startswith(f"{role}.") and field_.required == "minimum" and field_.type != "document"


def person_field(country: CountryCatalog, business_type: str, role: str, rest: str,
                 roles: Sequence[str] = ()) -> Field | None:
    """Return the question asking a person of `role` for `rest`, borrowing another role's when the catalog has none.

    Stripe may ask a person for a field the catalog does not ask of that person's role (a director's
    address). Person questions are worded alike in every role, so the question the catalog asks of
    another role is asked of this person, on this role's step (`role.rest`); the person's other
    `roles` are tried first. The catalog check still counts the gap: the borrowed field is not the
    catalog's, and compliance adds it to the role in a new version.
    """
    for candidate in (role, *roles):
        own = country.field_for(business_type, f"{candidate}.{rest}")
        if own is not None:
            return own if candidate == role else _rehome(own, candidate, role)
    for other in PERSON_ROLES:
        if other in ("individual", role):
            continue
        found = country.field_for(business_type, f"{other}.{rest}")
        if found is not None:
            return _rehome(found, other, role)
    return None


def _rehome(field_: Field, role: str, target: str) -> Field:
    """Return another role's question as the same question of `target`, shown on that role's step."""
    return replace(field_, path=f"{target}{field_.path[len(role):]}", step=target,
                   answers=tuple(f"{target}{a[len(role):]}" for a in field_.answers if a.startswith(f"{role}.")))


def resolve_field(country: CountryCatalog, business_type: str, path: str) -> Field | None:
    """Return the field at a visit path: the catalog's own, or a question borrowed for a role (`person_field`)."""
    exact = next((f for f in country.fields(business_type) if f.path == path), None)
    if exact is not None:
        return exact
    role, _, rest = path.partition(".")
    if role in PERSON_ROLES and role != "individual" and rest:
        return person_field(country, business_type, role, rest)
    return None


def field_for_requirement(country: CountryCatalog, business_type: str, requirement: str,
                          person_roles: Mapping[str, Sequence[str]] | None = None) -> Field | None:
    """Return the first catalog field that answers a Stripe requirement (see `fields_for_requirement`)."""
    return next(iter(fields_for_requirement(country, business_type, requirement, person_roles)), None)


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
    _log_unknown(account, missing_now + missing_later)
    return AccountStatus(state=state, charges_enabled=account.charges_enabled, payouts_enabled=account.payouts_enabled,
                         deadline=account.current_deadline, disabled_reason=account.disabled_reason,
                         currently_due=currently, eventually_due=eventually, pending=pending,
                         unanswerable=missing_now + missing_later)


_logged: set[tuple[str, str, str]] = set()
_logged_lock = threading.Lock()


def _log_unknown(account: ConnectedAccount, unanswered: list[str]) -> None:
    """Log, once per process, each requirement a form could answer but the catalog does not know.

    Risk reviews and Stripe-only checks are not the catalog's to answer; `flask catalog check` counts
    the rest across every account, and compliance adds them to a new version.
    """
    for requirement in unanswered:
        if not read(requirement).answerable_by_form:
            continue
        key = (account.country, account.business_type or "individual", general(requirement))
        with _logged_lock:
            if key in _logged:
                continue
            _logged.add(key)
        logger.warning("Stripe asks account %s (%s %s) for %r, which no catalog field answers", account.id, *key[:2],
                       requirement)
