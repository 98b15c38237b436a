"""The people behind a company: representative, owners, directors and executives, via Stripe's Persons API.

Catalog paths name a role (`owners.first_name`); Stripe names persons by id and flags their roles
in `relationship`. Person answers go to `persons.create` / `persons.update` with the role's flag set.
"""

from __future__ import annotations

from typing import Any

RELATIONSHIP = {"representative": "representative", "owners": "owner", "directors": "director",
                "executives": "executive", "authorizers": "authorizer", "legal_guardians": "legal_guardian"}
ROLE_STEPS = tuple(RELATIONSHIP)  # the catalog's step ids are the role names
SINGLE = frozenset({"representative"})  # a company has exactly one representative


def roles_of(person: dict[str, Any]) -> list[str]:
    """Return the catalog roles a person holds, the representative first."""
    relationship = person.get("relationship") or {}
    return [role for role, flag in RELATIONSHIP.items() if relationship.get(flag)]


def person_roles(persons: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Return person id -> roles."""
    return {person["id"]: roles_of(person) for person in persons}


def members(persons: list[dict[str, Any]], role: str) -> list[dict[str, Any]]:
    """Return the persons holding a role."""
    return [person for person in persons if role in roles_of(person)]


def display_name(person: dict[str, Any]) -> str:
    """Return how a person is named in lists (no numbers, only names)."""
    names = [person.get("first_name"), person.get("last_name")]
    kanji = [person.get("first_name_kanji"), person.get("last_name_kanji")]
    return " ".join(n for n in names if n) or " ".join(n for n in kanji if n) or person["id"]
