"""The review shown with the terms: what Stripe holds for each question of the visit, with a link to change it.

Values are read back from Stripe and shown in the user's language. Numbers Stripe does not return
(ID and tax numbers) show as provided; a bank account shows its last four digits only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from requirements_catalog import Field, Version
from requirements_catalog.values import N_

from .persons import ROLE_STEPS, display_name, members
from .plan import Step
from .questions import lookup


@dataclass(frozen=True)
class ReviewRow:
    """One answered question."""

    label: str
    value: str


@dataclass(frozen=True)
class ReviewSection:
    """One step's answers and where to change them."""

    step: Step
    rows: list[ReviewRow]


def _value(field: Field, state: Mapping[str, Any], version: Version, locale: str,
           translate: Callable[[str], str]) -> str | None:
    current = lookup(state, field.path)
    kind = field.type
    if kind in ("id_number", "tax_id"):
        return translate(N_("Provided")) if lookup(state, f"{field.path}_provided") else None
    if kind == "bank_account":
        banks = lookup(state, "external_accounts.data") or []
        return f"•••• {banks[0].get('last4')}" if banks else None
    if kind == "date" and isinstance(current, Mapping) and current.get("year"):
        return format_date(date(current["year"], current["month"], current["day"]), "long", locale=locale)
    if kind == "address" and isinstance(current, Mapping):
        return ", ".join(str(current[p]) for p in field.validation["parts"] if current.get(p)) or None
    if kind == "select" and current:
        labels = {o.value: o.label for o in version.options(field.validation["source"])}
        return translate(labels[current]) if current in labels else str(current)
    if kind == "document":
        return translate(N_("Uploaded")) if current else None
    if kind in ("boolean", "attestation"):
        return translate(N_("Yes")) if current else None
    return str(current) if current not in (None, "", []) else None


def review(steps: list[Step], state: Mapping[str, Any], persons: list[dict[str, Any]], version: Version,
           locale: str, translate: Callable[[str], str]) -> list[ReviewSection]:
    """Return the answered questions of every step before the terms."""
    sections = []
    for step in steps:
        if step.id == "terms":
            continue
        if step.id in ROLE_STEPS:
            people = members(persons, step.id)
            rows = [ReviewRow(translate(step.label), ", ".join(display_name(p) for p in people))] if people else []
        else:
            rows = [ReviewRow(translate(f.label), value) for f in step.fields
                    if (value := _value(f, state, version, locale, translate)) is not None]
        if rows:
            sections.append(ReviewSection(step, rows))
    return sections
