"""The registry of field types a catalog field may have, and the validation keys each accepts.

A field's `type` names one of these; its `validation` table may use only that type's keys, each
checked here for shape. What the keys mean when a value is checked lives in `values.py`; how a
type is rendered is the forms' business (they keep their own registry keyed by these names).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A checker returns what is wrong with a value, or None.
Checker = Callable[[Any], str | None]


def _integer(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else (
        "must be a non-negative integer")


def _number(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else "must be a number"


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _strings(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of strings"
    if not all(isinstance(item, str) and item for item in value):
        return "must be a non-empty list of strings"
    if len(set(value)) != len(value):
        return "must not repeat a value"
    return None


def check_pattern(value: Any) -> str | None:
    """Return what is wrong with a regular expression, or None."""
    if (problem := _string(value)) is not None:
        return problem
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


def _one_of(*allowed: str) -> Checker:
    def check(value: Any) -> str | None:
        return None if value in allowed else "must be one of " + ", ".join(allowed)
    return check


def _subset_of(*allowed: str) -> Checker:
    def check(value: Any) -> str | None:
        if (problem := _strings(value)) is not None:
            return problem
        unknown = [item for item in value if item not in allowed]
        return f"has unknown values {', '.join(unknown)}; allowed: {', '.join(allowed)}" if unknown else None
    return check


@functools.cache
def _stdnum_root() -> Path | None:
    spec = importlib.util.find_spec("stdnum")  # finds the package without importing it
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


@functools.cache
def _module_exists(name: str) -> bool:
    # A file check instead of find_spec("stdnum.us.ssn"), which would import the packages on the way.
    root = _stdnum_root()
    return root is not None and (root.joinpath(*name.split(".")).with_suffix(".py")).is_file()


def check_stdnum(value: Any) -> str | None:
    """Return what is wrong with a list of python-stdnum module names, or None."""
    if (problem := _strings(value)) is not None:
        return problem
    for name in value:
        # Countries whose code is a Python keyword live in `stdnum.in_`, `stdnum.is_`.
        if not re.fullmatch(r"[a-z]{2}_?\.[a-z0-9_]+", name) or not _module_exists(name):
            return f"names {name!r}, which is not a python-stdnum module (e.g. 'us.ssn')"
    return None


def _currencies(value: Any) -> str | None:
    if (problem := _strings(value)) is not None:
        return problem
    bad = [item for item in value if not re.fullmatch(r"[a-z]{3}", item)]
    return f"has values that are not ISO 4217 codes in lower case: {', '.join(bad)}" if bad else None


ID_KEYS: dict[str, Checker] = {"stdnum": check_stdnum, "pattern": check_pattern, "test_values": _strings}
ADDRESS_PARTS = ("line1", "line2", "city", "town", "state", "postal_code")
DOCUMENT_PURPOSES = ("identity_document", "additional_verification", "account_requirement")


@dataclass(frozen=True)
class FieldType:
    """A kind of question: what its validation table may say, and which sub-parameters it fills."""

    name: str
    description: str
    keys: dict[str, Checker] = field(default_factory=dict)
    required_keys: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()  # sub-parameters the block fills below its path (dob -> day, month, year)

    def check(self, validation: dict[str, Any], complete: bool = True) -> list[tuple[str, str]]:
        """Return (key, problem) pairs for a validation table (`complete`: required keys must be there)."""
        problems = [(key, f"is not a validation key of type {self.name!r}; allowed: "
                          f"{', '.join(self.keys) or 'none'}") for key in validation if key not in self.keys]
        problems += [(key, "is required for this type") for key in self.required_keys
                     if complete and key not in validation]
        for key, value in validation.items():
            checker = self.keys.get(key)
            if checker is not None and (problem := checker(value)) is not None:
                problems.append((key, problem))
        return problems


REGISTRY: dict[str, FieldType] = {t.name: t for t in (
    FieldType("text", "free text", {"min_length": _integer, "max_length": _integer, "pattern": check_pattern}),
    FieldType("name", "a person's or company's name",
              {"max_length": _integer, "script": _one_of("latin", "kana", "kanji")}),
    FieldType("email", "an e-mail address"),
    FieldType("phone", "a phone number, parsed for the account's country", {"test_values": _strings}),
    FieldType("url", "a website address (https)"),
    FieldType("date", "a date of birth", {"min_age": _integer, "max_age": _integer, "test_values": _strings},
              parts=("day", "month", "year")),
    FieldType("address", "a postal address in the country's format",
              {"parts": _subset_of(*ADDRESS_PARTS), "script": _one_of("kana", "kanji")}, ("parts",)),
    FieldType("id_number", "a personal identification number", ID_KEYS),
    FieldType("tax_id", "a business tax or registration number", ID_KEYS),
    FieldType("select", "one value from a named list", {"source": _string, "choices": _strings}, ("source",)),
    FieldType("boolean", "a yes/no question"),
    FieldType("attestation", "a declaration the user makes; date and IP are recorded",
              {"parts": _subset_of("date", "ip", "user_agent")}, ("parts",)),
    FieldType("percentage", "a percentage", {"min": _number, "max": _number}),
    FieldType("document", "an uploaded document",
              {"purpose": _one_of(*DOCUMENT_PURPOSES), "formats": _subset_of("jpeg", "png", "pdf"),
               "sides": _subset_of("front", "back"), "max_files": _integer}, ("purpose", "formats")),
    FieldType("bank_account", "a payout bank account in the country's format",
              {"format": _string, "alternatives": _strings, "currencies": _currencies}, ("format", "currencies")),
    FieldType("text_list", "several short texts (e.g. other names)", {"max_items": _integer, "max_length": _integer}),
)}
