"""What a loaded catalog version is: metadata, steps, option lists, bank formats and resolved fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The 45 countries that can hold a Stripe connected account (Stripe docs, 2026).
COUNTRIES = tuple(sorted(
    "AU AT BE BR BG CA HR CY CZ DK EE FI FR DE GI GR HK HU IN IE IT JP LV LI LT LU MY MT MX NL NZ NO PL PT RO "
    "SG SK SI ES SE CH TH AE GB US".split()))
BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
# government_entity exists only for US accounts.
BUSINESS_TYPES_ONLY_IN = {"government_entity": frozenset({"US"})}
SERVICE_AGREEMENTS = ("full", "recipient")
REQUIRED_LEVELS = ("minimum", "eventually")
# Field paths starting with these name a person; the rest of the path is a Person parameter.
PERSON_PREFIXES = ("individual", "representative", "owners", "directors", "executives", "authorizers",
                   "legal_guardians")
STATUSES = ("draft", "approved")
# stripe: Stripe lists the field (Country Specs, requirements); platform: the platform's own question;
# conditional: Stripe asks it only in cases its Country Specs cannot express (a structure, a failed check, a
# minor representative, no website), so the freshness check never expects it there.
ORIGINS = ("stripe", "platform", "conditional")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with catalog data: the file, the place in it, and what is wrong."""

    file: str
    place: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.place}: {self.message}" if self.place else f"{where}: {self.message}"


class CatalogError(Exception):
    """Raised when catalog data is broken; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Step:
    """A page of the onboarding form."""

    id: str
    label: str
    help: str | None = None


@dataclass(frozen=True)
class Option:
    """One value of a named option list (an MCC, a company structure, ...)."""

    value: str
    label: str
    group: str | None = None


@dataclass(frozen=True)
class Note:
    """Where a rule comes from: a source read on a date, or an assumption and why (see `sources`)."""

    kind: str  # "source" or "assumption"
    text: str  # what the source says, or why the assumption is made
    url: str | None = None
    read: date | None = None


@dataclass(frozen=True)
class Field:
    """A question asked of one country and business type, fully resolved."""

    path: str  # the Stripe parameter path (`individual.address`), which is also the form input name
    type: str
    step: str
    required: str  # "minimum" (needed to enable the account) or "eventually"
    label: str
    help: str | None
    validation: Mapping[str, Any]
    condition: Mapping[str, tuple[Any, ...]]  # ask only when each path has one of these values
    service_agreements: tuple[str, ...]
    order: int
    origin: str = "stripe"  # "platform": asked by the platform, not listed by Stripe (the freshness check knows)
    answers: tuple[str, ...] = ()  # other Stripe requirement names this field answers (`company.pan` in India)
    # Where its definition comes from (its place in the lists: `CountryCatalog.list_notes`); not compared by a
    # diff, shown beside the changes it explains.
    notes: tuple[Note, ...] = ()

    @property
    def person_role(self) -> str | None:
        """Return the person prefix (`representative`, `owners`, ...) or None for account fields."""
        head = self.path.split(".", 1)[0]
        return head if head in PERSON_PREFIXES else None

    def covers(self, requirement: str) -> bool:
        """Return whether a Stripe requirement path (`individual.address.city`) is answered by this field."""
        return any(requirement == path or requirement.startswith(path + ".") for path in (self.path, *self.answers))

    def comparable(self) -> dict[str, Any]:
        """Return the attributes a diff compares."""
        return {
            "type": self.type, "step": self.step, "required": self.required, "label": self.label,
            "help": self.help, "validation": dict(self.validation),
            "condition": {k: list(v) for k, v in self.condition.items()},
            "service_agreements": list(self.service_agreements), "origin": self.origin, "answers": list(self.answers),
        }


@dataclass(frozen=True)
class CountryCatalog:
    """One country's questions, per business type."""

    country: str
    default_currency: str
    business_types: Mapping[str, tuple[Field, ...]]
    # business type -> the notes of its `minimum`/`eventually` lists: why these fields are asked at all
    list_notes: Mapping[str, tuple[Note, ...]] = field(default_factory=dict)
    # business type -> path (a field's own or one it answers) -> fields; built on first use
    _by_path: dict[str, dict[str, tuple[Field, ...]]] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    def fields(self, business_type: str, service_agreement: str | None = None) -> tuple[Field, ...]:
        """Return the fields for a business type in step order, optionally for one service agreement."""
        found = self.business_types.get(business_type, ())
        if service_agreement is None:
            return found
        return tuple(f for f in found if service_agreement in f.service_agreements)

    def field_for(self, business_type: str, requirement: str) -> Field | None:
        """Return the field answering a Stripe requirement path, matching the longest path.

        A field covers a requirement when its path (or a path it answers) is the requirement or one of
        its dotted prefixes, so the lookup tries each prefix in an index instead of every field.
        """
        index = self._by_path.get(business_type)
        if index is None:
            grouped: dict[str, list[Field]] = {}
            for found in self.business_types.get(business_type, ()):
                for path in dict.fromkeys((found.path, *found.answers)):
                    grouped.setdefault(path, []).append(found)
            index = self._by_path[business_type] = {path: tuple(fields) for path, fields in grouped.items()}
        parts = requirement.split(".")
        matches = [f for end in range(1, len(parts) + 1) for f in index.get(".".join(parts[:end]), ())]
        return max(matches, key=lambda f: (requirement in f.answers, len(f.path)), default=None)


@dataclass(frozen=True)
class VersionInfo:
    """A version's metadata (`version.toml`)."""

    id: str
    reviewed_on: date
    reviewed_by: str
    status: str
    notes: str
    based_on: str | None
    api_version: str
    seal: Mapping[str, str] = field(default_factory=dict)  # relative file -> sha256, once approved
    cite_sources: bool = False  # every country rule and bank format names a `source` or an `assumption`
    author: str = ""  # who prepared the draft (a staff e-mail); it never signs the version off
    sign_off_note: str = ""  # what the reviewer wrote when approving
    reviewed_digest: str = ""  # `integrity.review_digest` of what the reviewer saw in the diff
    reviewed_against: str = ""  # the version the reviewer compared it with

    @property
    def prepared_by(self) -> str:
        """Return the draft's author (older drafts kept it in `reviewed_by` until approval)."""
        return self.author or (self.reviewed_by if self.status == "draft" else "")


@dataclass(frozen=True)
class Version:
    """A whole catalog version, loaded and resolved."""

    info: VersionInfo
    steps: tuple[Step, ...]
    lists: Mapping[str, tuple[Option, ...]]
    bank_formats: Mapping[str, Mapping[str, Any]]
    countries: Mapping[str, CountryCatalog]
    names_from: Mapping[str, str] = field(default_factory=dict)  # list -> where its shown names come from
    notes_md: str = ""  # NOTES.md: how the version was derived; compared by a diff like every other part

    @property
    def id(self) -> str:
        """Return the version id (its review date)."""
        return self.info.id

    def country(self, code: str) -> CountryCatalog | None:
        """Return a country's catalog, or None when the country is not covered."""
        return self.countries.get(code.upper())

    def options(self, name: str) -> tuple[Option, ...]:
        """Return a named option list."""
        return self.lists[name]
