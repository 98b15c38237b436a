"""Person requirements: the fields Stripe asks each person of a company, per country and role.

The data (`data/person_requirements.json`, described in `data/README.md`) records, for the 45
countries, what Stripe's docs say a representative, owner, director or executive must give:
`currently_due` (to be enabled), `eventually_due` (later, at thresholds) and `conditional` (only
when verification fails or the person's residency calls for it). Paths are Person parameter paths
without a role prefix (`dob.day`, `relationship.title`), as the Country Specs write them after
`representative.`, `owners.`, `directors.` and `executives.`.

A business type the file does not list for a country (most `non_profit` and `government_entity`
entries) gets the country's `company` entry: the file lists another type only where the docs differ.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

ROLES = ("representative", "owner", "director", "executive")
# Roles a country's entry lists only where Stripe asks for them (Singapore's authorizer, the legal guardian of
# a minor representative); absent, they are not asked.
OPTIONAL_ROLES = ("authorizer", "legal_guardian")
ALL_ROLES = ROLES + OPTIONAL_ROLES
# The Country Specs' role prefixes (and the catalog's), accepted as role names too.
ROLE_ALIASES = {"owners": "owner", "directors": "director", "executives": "executive", "authorizers": "authorizer",
                "legal_guardians": "legal_guardian"}
PROVIDED_FLAGS = frozenset({"company.owners_provided", "company.directors_provided", "company.executives_provided"})
SOURCE_KINDS = frozenset({"docs", "docs+country_specs", "country_specs", "assumption"})
THRESHOLD_RULES = frozenset({"at_least", "more_than"})
LISTS = ("currently_due", "eventually_due", "conditional")
DEFAULT_TYPE = "company"


class PersonRequirementsError(ValueError):
    """Raised when a person requirements file cannot be used."""


@dataclass(frozen=True)
class RoleFields:
    """What one role is asked in one country and business type."""

    asked: bool
    source_kind: str
    currently_due: tuple[str, ...]
    eventually_due: tuple[str, ...]
    conditional: tuple[str, ...]


NOT_ASKED = RoleFields(False, "assumption", (), (), ())  # an optional role the entry does not list


@dataclass(frozen=True)
class BusinessTypeEntry:
    """The roles and `company.*_provided` flags of one business type."""

    provided_flags: frozenset[str]
    roles: dict[str, RoleFields]


@dataclass(frozen=True)
class CountryEntry:
    """One country's entry, with where it comes from."""

    source: tuple[str, ...]
    read_on: str
    assumption: str | None
    owner_threshold: int | None
    owner_threshold_rule: str | None
    business_types: dict[str, BusinessTypeEntry]


class PersonRequirements:
    """Person requirements indexed by country."""

    def __init__(self, countries: dict[str, CountryEntry]) -> None:
        self._countries = dict(sorted(countries.items()))

    def __contains__(self, country: object) -> bool:
        return country in self._countries

    def countries(self) -> list[str]:
        """Return the country codes in ascending order."""
        return list(self._countries)

    def entry(self, country: str) -> CountryEntry:
        """Return a country's entry; an unknown country is a KeyError naming it."""
        try:
            return self._countries[country]
        except KeyError:
            raise KeyError(f"no person requirements for country {country!r}") from None

    def _type_entry(self, country: str, business_type: str | None) -> BusinessTypeEntry:
        types = self.entry(country).business_types
        return types.get(business_type or DEFAULT_TYPE) or types[DEFAULT_TYPE]

    def role(self, country: str, business_type: str | None, role: str) -> RoleFields:
        """Return everything recorded for one role (`owner` or the Country Specs' `owners`)."""
        name = ROLE_ALIASES.get(role, role)
        if name not in ALL_ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ALL_ROLES)}")
        return self._type_entry(country, business_type).roles.get(name, NOT_ASKED)

    def fields(self, country: str, business_type: str | None, role: str) -> tuple[list[str], list[str]]:
        """Return the (currently_due, eventually_due) field paths of a role."""
        entry = self.role(country, business_type, role)
        return list(entry.currently_due), list(entry.eventually_due)

    def conditional(self, country: str, business_type: str | None, role: str) -> list[str]:
        """Return the fields asked only when verification fails or residency calls for them."""
        return list(self.role(country, business_type, role).conditional)

    def asked(self, country: str, business_type: str | None, role: str) -> bool:
        """Return whether Stripe asks for persons of this role at all."""
        return self.role(country, business_type, role).asked

    def provided_flags(self, country: str, business_type: str | None) -> set[str]:
        """Return the `company.*_provided` flags an account of this kind is asked to set."""
        return set(self._type_entry(country, business_type).provided_flags)

    def owner_threshold(self, country: str) -> int | None:
        """Return the ownership percentage that makes a person an owner, when the docs state one."""
        return self.entry(country).owner_threshold


def _fail(where: str, message: str) -> PersonRequirementsError:
    return PersonRequirementsError(f"{where}: {message}")


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _fail(where, "must be a list of non-empty strings")
    if len(set(value)) != len(value):
        raise _fail(where, "lists a field twice")
    return tuple(value)


def _parse_role(raw: Any, where: str) -> RoleFields:
    if not isinstance(raw, dict):
        raise _fail(where, "a role must be an object")
    unknown = set(raw) - {"asked", "source_kind", *LISTS}
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("asked"), bool):
        raise _fail(where, "'asked' must be true or false")
    if raw.get("source_kind") not in SOURCE_KINDS:
        raise _fail(where, f"'source_kind' must be one of {sorted(SOURCE_KINDS)}")
    lists = {name: _string_list(raw.get(name), f"{where}.{name}") for name in LISTS}
    if not raw["asked"] and any(lists.values()):
        raise _fail(where, "a role that is not asked cannot list fields")
    if raw["asked"] and not (lists["currently_due"] or lists["eventually_due"]):
        raise _fail(where, "a role that is asked must list fields")
    overlap = set(lists["currently_due"]) & set(lists["eventually_due"])
    if overlap:
        raise _fail(where, f"fields both currently and eventually due: {sorted(overlap)}")
    return RoleFields(raw["asked"], raw["source_kind"], **lists)


def _parse_type(raw: Any, where: str) -> BusinessTypeEntry:
    if not isinstance(raw, dict) or not isinstance(raw.get("roles"), dict):
        raise _fail(where, "a business type needs a 'roles' object")
    flags = _string_list(raw.get("provided_flags"), f"{where}.provided_flags")
    if not set(flags) <= PROVIDED_FLAGS:
        raise _fail(where, f"unknown provided flags {sorted(set(flags) - PROVIDED_FLAGS)}")
    roles = raw["roles"]
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise _fail(where, f"unknown roles {sorted(unknown)}; expected {', '.join(ALL_ROLES)}")
    missing = set(ROLES) - set(roles)
    if missing:
        raise _fail(where, f"missing roles {sorted(missing)}")
    return BusinessTypeEntry(
        frozenset(flags), {name: _parse_role(roles[name], f"{where}.roles.{name}") for name in ALL_ROLES if name in roles}
    )


def _parse_country(raw: Any, where: str) -> CountryEntry:
    if not isinstance(raw, dict):
        raise _fail(where, "a country must be an object")
    source = _string_list(raw.get("source"), f"{where}.source")
    if not source:
        raise _fail(where, "'source' must name at least one document")
    if not isinstance(raw.get("read_on"), str):
        raise _fail(where, "'read_on' must be a date string")
    assumption = raw.get("assumption")
    if assumption is not None and not isinstance(assumption, str):
        raise _fail(where, "'assumption' must be a string or null")
    threshold, rule = raw.get("owner_threshold"), raw.get("owner_threshold_rule")
    if threshold is not None and (not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 < threshold <= 100):
        raise _fail(where, "'owner_threshold' must be a percentage or null")
    if (threshold is None) != (rule is None) or (rule is not None and rule not in THRESHOLD_RULES):
        raise _fail(where, f"'owner_threshold_rule' must be one of {sorted(THRESHOLD_RULES)} exactly when a threshold is set")
    types = raw.get("business_types")
    if not isinstance(types, dict) or DEFAULT_TYPE not in types:
        raise _fail(where, f"'business_types' must contain '{DEFAULT_TYPE}'")
    return CountryEntry(
        source=source,
        read_on=raw["read_on"],
        assumption=assumption,
        owner_threshold=threshold,
        owner_threshold_rule=rule,
        business_types={name: _parse_type(value, f"{where}.{name}") for name, value in types.items()},
    )


def parse(payload: Any, origin: str = "person_requirements.json") -> PersonRequirements:
    """Validate a decoded file and index it; errors name the offending path."""
    if not isinstance(payload, dict) or not isinstance(payload.get("countries"), dict):
        raise _fail(origin, "expected an object with a 'countries' object")
    return PersonRequirements(
        {code: _parse_country(raw, f"{origin}: {code}") for code, raw in payload["countries"].items()}
    )


def load(path: str | Path | None = None) -> PersonRequirements:
    """Load a person requirements file, or the bundled one."""
    if path is None:
        text = (resources.files("stripe_sandbox") / "data" / "person_requirements.json").read_text(encoding="utf-8")
        origin = "person_requirements.json"
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(origin, str(exc)) from exc
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise _fail(origin, f"not JSON: {exc}") from exc
    return parse(payload, origin)


@functools.cache
def bundled() -> PersonRequirements:
    """Return the bundled file, parsed once per process (every sandbox reads it; none changes it)."""
    return load()
