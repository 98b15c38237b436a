"""`catalog validate`: the schema, Stripe parameter paths, extractable messages and coverage.

The loader already enforces the schema and the seals of approved versions. On top of that:

- every field path (and every part a block fills, every condition path) is a parameter of the API
  version the stripe SDK pins, judged by a checker the caller passes in (the gateway's walker over
  the SDK's own parameter types: this package does not import `stripe`);
- every label and help text is found by the Babel extractor and is shown literally (no `%` format);
- every one of the 45 countries has its file and every business type available there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from babel.messages.catalog import PYTHON_FORMAT

from . import extract, integrity, sources, values
from .model import (
    BUSINESS_TYPES, BUSINESS_TYPES_ONLY_IN, COUNTRIES, PERSON_PREFIXES, CatalogError, CountryCatalog, Field, Problem,
    Version,
)
from .store import Catalog, StoreError, same_person

# (operation, dotted path) -> whether the SDK knows it, e.g. ("accounts.update", "individual.dob.day").
ParamChecker = Callable[[str, str], bool]
BANK_PARAMETERS = ("country", "currency", "routing_number", "account_number", "account_holder_name")


def validate(catalog: Catalog, is_param_path: ParamChecker, version_ids: list[str] | None = None) -> list[Problem]:
    """Return every problem of the given versions (all by default) and of the current pointer."""
    problems: list[Problem] = []
    try:
        current = catalog.current_id()
        if catalog.info(current).status != "approved":
            problems.append(Problem("CURRENT", "", f"names {current}, which is not approved"))
    except (StoreError, OSError) as exc:
        problems.append(Problem("CURRENT", "", str(exc)))
    for version_id in version_ids or catalog.ids():
        try:
            version = catalog.reload(version_id)
        except CatalogError as exc:
            problems += exc.problems
            continue
        problems += coverage(version)
        problems += parameter_paths(version, is_param_path)
        problems += messages(version, catalog.root / version_id)
        problems += bank_test_values(version)
        problems += uncited(version, catalog.root / version_id)
        problems += four_eyes(version, catalog.root / version_id)
    return problems


def four_eyes(version: Version, directory: Path) -> list[Problem]:
    """Return problems of a sign-off: approved by its own author, or sealed other than as reviewed."""
    info, file = version.info, f"{version.id}/version.toml"
    if info.status != "approved":
        return []
    problems = []
    if same_person(info.author, info.reviewed_by):
        problems.append(Problem(file, "reviewed_by", f"is the version's author ({info.author}): four eyes"))
    if info.reviewed_digest and integrity.review_digest(directory) != info.reviewed_digest:
        problems.append(Problem(file, "reviewed_digest", "differs from the sealed files: this is not what was reviewed"))
    return problems


def uncited(version: Version, directory: Path) -> list[Problem]:
    """Return a problem for each country rule and bank format that names no source or assumption, if it must."""
    if not version.info.cite_sources:
        return []
    why = "names no `source` and no `assumption` (this version cites its sources; see requirements_catalog/sources.py)"
    formats = [Problem(f"{version.id}/bank_formats.toml", f"formats.{name}", why)
               for name, spec in version.bank_formats.items() if not any(key in spec for key in sources.NOTE_KEYS)]
    problems = formats + [Problem(f"{version.id}/countries/{rule.country}.toml", rule.place, why)
                          for rule in sources.rules(directory) if rule.kind == "none"]
    line = sources.tally_line(sources.count(directory))
    notes = directory / "NOTES.md"
    if line not in (notes.read_text(encoding="utf-8") if notes.is_file() else ""):
        problems.append(Problem(f"{version.id}/NOTES.md", "", f"must state the counts of its rules: {line!r}"))
    return problems


def bank_test_values(version: Version) -> list[Problem]:
    """Return a problem for each bank format test value that its own format refuses."""
    problems = []
    for name, spec in version.bank_formats.items():
        for index, test in enumerate(spec.get("test_values", [])):
            for invalid in values.check_bank_parts(spec, test):
                problems.append(Problem(f"{version.id}/bank_formats.toml", f"formats.{name}.test_values[{index}]",
                                        f"does not pass its own format: {invalid}"))
    return problems


def coverage(version: Version) -> list[Problem]:
    """Return a problem for each country or business type the version does not cover.

    A country offers the business types its `business_type` question lists (every type when it lists
    none): Stripe supports some in some countries only (the UAE: company). Each offered type needs its
    table, and a table of a type the question does not offer could never be reached.
    """
    problems = []
    for code in COUNTRIES:
        file = f"{version.id}/countries/{code}.toml"
        country = version.country(code)
        if country is None:
            problems.append(Problem(file, "", f"is missing: every one of the {len(COUNTRIES)} countries needs a file"))
            continue
        offered = _offered(country)
        for business_type in BUSINESS_TYPES:
            available = code in BUSINESS_TYPES_ONLY_IN.get(business_type, {code})
            wanted = offered is None or business_type in offered
            if available and wanted and business_type not in country.business_types:
                problems.append(Problem(file, f"business_types.{business_type}", "is missing"))
        for business_type in country.business_types:
            if offered is not None and business_type not in offered:
                problems.append(Problem(file, f"business_types.{business_type}",
                                        'is not offered: fields."business_type" does not list it'))
    return problems


def _offered(country: CountryCatalog) -> set[str] | None:
    """Return the business types a country's `business_type` question offers, or None when it lists no choices."""
    for fields in country.business_types.values():
        for found in fields:
            if found.path == "business_type" and "choices" in found.validation:
                return set(found.validation["choices"])
    return None


def _parameters(field: Field) -> Iterator[tuple[str, str]]:
    """Yield (operation, path) for the field, each part it fills and each path it is conditional on."""
    role = field.person_role
    prefix = f"{role}." if role and role != "individual" else ""
    operation = "persons.create" if prefix else "accounts.update"
    base = field.path.removeprefix(prefix)
    parts = list(field.validation.get("parts", ())) + list(field.validation.get("sides", ()))
    if field.type == "date":
        parts = ["day", "month", "year"]
    yield operation, base
    for part in parts:
        yield operation, f"{base}.{part}"
    if field.type == "bank_account":
        for name in BANK_PARAMETERS:
            yield "external_accounts.create", f"external_account.{name}"
    for path in field.condition:
        condition_prefix = path.split(".", 1)[0] + "."
        if condition_prefix.rstrip(".") in PERSON_PREFIXES[1:]:
            yield "persons.create", path.removeprefix(condition_prefix)
        else:
            yield "accounts.update", path


def parameter_paths(version: Version, is_param_path: ParamChecker) -> list[Problem]:
    """Return a problem for every path the SDK's parameter types do not know (once per country and path)."""
    problems, seen = [], set()
    for code, country in version.countries.items():
        for business_type, fields in country.business_types.items():
            for field in fields:
                for operation, path in _parameters(field):
                    if (code, field.path, path) in seen or is_param_path(operation, path):
                        continue
                    seen.add((code, field.path, path))
                    problems.append(Problem(
                        f"{version.id}/countries/{code}.toml", f"business_types.{business_type}",
                        f"{field.path}: {path!r} is not a parameter of {operation} in Stripe API "
                        f"{version.info.api_version or 'pinned by the SDK'}"))
    return problems


def _needed_messages(version: Version) -> Iterator[tuple[str, str]]:
    for step in version.steps:
        yield f"step {step.id}", step.label
        if step.help:
            yield f"step {step.id}", step.help
    for code, country in version.countries.items():
        for fields in country.business_types.values():
            for field in fields:
                yield f"{code} {field.path}", field.label
                if field.help:
                    yield f"{code} {field.path}", field.help
    for name, options in version.lists.items():
        if name in version.names_from:
            continue
        for option in options:
            yield f"lists/{name} {option.value}", option.label
    for name, spec in version.bank_formats.items():
        for part in spec["parts"]:
            yield f"bank format {name} {part['name']}", part["label"]


def messages(version: Version, directory: Path) -> list[Problem]:
    """Return a problem for each label or help text the extractor misses or that looks like a format."""
    extracted: set[str] = set()
    for path in sorted(directory.rglob("*.toml")):
        with path.open("rb") as handle:
            extracted.update(message for _, _, message, _ in extract.extract_catalog(handle, {}, [], {}))
    problems, seen = [], set()
    for where, message in _needed_messages(version):
        if message in seen:
            continue
        seen.add(message)
        if message not in extracted:
            problems.append(Problem(version.id, where,
                                    f"message {message!r} is not extracted by the catalog extractor"))
        elif PYTHON_FORMAT.search(message) or re.search(r"\{\w*\}", message):
            problems.append(Problem(version.id, where, f"message {message!r} looks like a format string; labels and "
                                                       "help are shown as written"))
    return problems
