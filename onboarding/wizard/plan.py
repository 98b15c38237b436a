"""Which steps and questions an account's user sees: the catalog's fields that answer what Stripe needs.

The fields of a visit are fixed when its link is opened (what was due then, or everything the
catalog asks when the link collects `eventually_due`), so a user who goes back finds every question
of the visit again; fields Stripe asks for during the visit (a failed verification) are added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from requirements_catalog import CountryCatalog, Field, Version

from ..models import ConnectedAccount
from ..services.status import fields_for_requirement, resolve_field
from .forms import condition_met, lookup
from .persons import person_roles

BUSINESS_TYPE_STEP = "business_type"
# Shown on the account page but never changed there: the business type (changing it is onboarding anew, with other
# questions and another verification) and the terms, accepted once. Country and agreement are not catalog fields.
FIXED_FIELDS = frozenset({"business_type", "tos_acceptance"})
FUTURE_NOTICE = timedelta(days=30)  # future requirements are asked this long before they take effect


@dataclass(frozen=True)
class Step:
    """One page of the wizard."""

    id: str
    label: str
    fields: tuple[Field, ...]
    done: bool  # nothing on it is needed any more


def due_requirements(account: ConnectedAccount, collect: str, now: datetime) -> list[str]:
    """Return the requirement paths the visit collects.

    Currently and past due first; then what Stripe will require soon (`future_requirements` whose
    deadline is less than `FUTURE_NOTICE` away); everything eventually due when the link asks for it.
    """
    requirements = account.requirements or {}
    future = account.future_requirements or {}
    due = list(requirements.get("currently_due") or [])
    due += [r for r in requirements.get("past_due") or [] if r not in due]
    deadline = future.get("current_deadline")
    soon = deadline is not None and datetime.fromtimestamp(deadline, timezone.utc) - now < FUTURE_NOTICE
    if soon or collect == "eventually_due":
        due += [r for r in future.get("currently_due") or [] if r not in due]
    if collect == "eventually_due":
        due += [r for r in requirements.get("eventually_due") or [] if r not in due]
        due += [r for r in future.get("eventually_due") or [] if r not in due]
    return due


def needed_fields(country: CountryCatalog, account: ConnectedAccount, requirements: Iterable[str],
                  person_roles: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Return the catalog field paths answering these requirements, in no particular order."""
    business_type = account.business_type or "individual"
    paths: dict[str, None] = {}
    for requirement in requirements:
        for found in fields_for_requirement(country, business_type, requirement, person_roles):
            if account.service_agreement in found.service_agreements:
                paths[found.path] = None
    return list(paths)


def platform_fields(country: CountryCatalog, account: ConnectedAccount) -> tuple[list[str], list[str]]:
    """Return the platform's own questions not answered yet: (all of them, the `minimum` ones).

    Stripe never lists them (`origin = "platform"`, such as `company.structure`), so no requirement
    brings them into a visit; they join the visit until the answer is on the account.
    """
    if account.business_type is None:
        return [], []
    profile = account.stripe_profile or {}
    unanswered = [f for f in country.fields(account.business_type, account.service_agreement)
                  if f.origin == "platform" and f.person_role is None and lookup(profile, f.path) in (None, "")]
    return [f.path for f in unanswered], [f.path for f in unanswered if f.required == "minimum"]


def build_steps(version: Version, account: ConnectedAccount, visit_fields: Iterable[str], needed_now: set[str],
                urgent: set[str] | None = None) -> list[Step]:
    """Return the visit's steps in catalog order; a step is done when none of its fields is needed now.

    A field whose catalog condition the account's answers rule out (a register court for a structure
    with no register entry) is left out, unless it is `urgent` (currently or past due; by default
    everything needed): what Stripe needs now is never hidden, what it may need later can be ruled out.
    """
    urgent = needed_now if urgent is None else urgent
    country = version.country(account.country)
    if country is None:
        return []
    if account.business_type is None:  # everything else depends on it: ask it alone first
        field = next((f for bt in country.business_types.values() for f in bt if f.path == "business_type"), None)
        return [Step(BUSINESS_TYPE_STEP, field.label, (field,), done=False)] if field else []
    wanted = set(visit_fields) | needed_now
    profile = account.stripe_profile or {}
    fields = [f for f in country.fields(account.business_type, account.service_agreement) if f.path in wanted]
    known = {f.path for f in fields}
    fields = [f for f in fields if f.path in urgent or condition_met(f, lambda path: lookup(profile, path))]
    # Questions borrowed for a role whose catalog entry lacks them (see `status.person_field`).
    fields += [f for path in sorted(wanted - known)
               if (f := resolve_field(country, account.business_type, path)) is not None and f.path not in known]
    steps = []
    for step in version.steps:
        on_step = tuple(f for f in fields if f.step == step.id)
        if on_step:
            steps.append(Step(step.id, step.label, on_step, done=not any(f.path in needed_now for f in on_step)))
    return steps


def visit_fields(country: CountryCatalog | None, account: ConnectedAccount, collect: str, now: datetime) -> list[str]:
    """Return the catalog fields a visit collects: what Stripe needs now (or eventually, on request), and the
    platform's own questions not answered yet."""
    if country is None:
        return []
    needed = needed_fields(country, account, due_requirements(account, collect, now),
                           person_roles(account.stripe_persons or []))
    return needed + [path for path in platform_fields(country, account)[0] if path not in needed]


def update_fields(country: CountryCatalog | None, account: ConnectedAccount) -> list[str]:
    """Return the catalog fields an update visit lets the user change: every field of the account's business type
    and agreement but the fixed ones, answered or not."""
    if country is None or account.business_type is None:
        return []
    return [f.path for f in country.fields(account.business_type, account.service_agreement)
            if f.path not in FIXED_FIELDS]
