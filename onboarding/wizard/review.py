"""The review shown with the terms: what Stripe holds for each question of the visit, with a link to change it.

Values are read back from Stripe and shown in the user's language. Numbers Stripe does not return
(ID and tax numbers) show as provided; a bank account shows its last four digits only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from requirements_catalog import Version

from .persons import ROLE_STEPS, display_name, members
from .plan import Step
from .forms import KINDS


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


def review(steps: list[Step], state: Mapping[str, Any], persons: list[dict[str, Any]], version: Version,
           locale: str, translate: Callable[[str], str]) -> list[ReviewSection]:
    """Return the answered questions of every step before the terms."""
    sections = []
    for step in steps:
        if step.id != "terms" and (rows := step_rows(step, state, persons, version, locale, translate)):
            sections.append(ReviewSection(step, rows))
    return sections


def step_rows(step: Step, state: Mapping[str, Any], persons: list[dict[str, Any]], version: Version, locale: str,
              translate: Callable[[str], str]) -> list[ReviewRow]:
    """Return a step's answered questions as Stripe holds them; a step about people lists their names."""
    if step.id in ROLE_STEPS:
        people = members(persons, step.id)
        return [ReviewRow(translate(step.label), ", ".join(display_name(p) for p in people))] if people else []
    return [ReviewRow(translate(f.label), value) for f in step.fields
            if (value := KINDS[f.type].shown(f, state, version, locale, translate)) is not None]
