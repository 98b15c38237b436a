"""Read the smaller files of a version: `version.toml`, `lists/*.toml` and `bank_formats.toml`."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path
from typing import Any

from . import sources
from .fieldtypes import check_pattern, check_stdnum
from .model import STATUSES, Option, VersionInfo
from .reader import Reader


VERSION_KEYS = ("id", "reviewed_on", "reviewed_by", "status", "notes", "based_on", "api_version", "seal",
                "cite_sources", "author", "sign_off_note", "reviewed_digest", "reviewed_against")
FORMAT_KEYS = ("description", "parts", "routing_number", "account_number", "needs_holder_name", "holder_name_help",
               "normalize", "test_values", "source", "assumption")
PART_KEYS = ("name", "label", "pattern", "check", "help")
BANK_CHECKS = ("stdnum:", "schwifty:iban", "schwifty:bic")
NAMES_FROM = ("babel-territories",)


def read_info(read: Reader, directory: Path) -> VersionInfo | None:
    """Read `version.toml`."""
    path = directory / "version.toml"
    data = read.load(path)
    if data is None:
        return None
    file = read.name(path)
    read.unknown_keys(file, "", data, VERSION_KEYS)
    ok = all([
        read.expect(file, "id", data.get("id"), str, "a string"),
        read.expect(file, "reviewed_on", data.get("reviewed_on"), date, "a date (YYYY-MM-DD)"),
        # A draft has an author and no reviewer yet (older drafts named their author here).
        data.get("status") == "draft" and "reviewed_by" not in data
        or read.expect(file, "reviewed_by", data.get("reviewed_by"), str, "a non-empty string"),
        "author" not in data or read.expect(file, "author", data["author"], str, "a non-empty string"),
        read.expect(file, "status", data.get("status"), str, "a string"),
        read.expect(file, "api_version", data.get("api_version"), str, "a string"),
    ])
    if ok and data["id"] != directory.name:
        read.problem(file, "id", f"is {data['id']!r} but the directory is {directory.name!r}", "id")
    if ok and data["status"] not in STATUSES:
        read.problem(file, "status", f"must be one of {', '.join(STATUSES)}", "status")
    seal = data.get("seal", {})
    if ok and data["status"] == "approved" and not seal:
        read.problem(file, "seal", "an approved version needs a seal (run `catalog approve`)", "status")
    return VersionInfo(
        id=data.get("id", ""), reviewed_on=data.get("reviewed_on", date.min), reviewed_by=data.get("reviewed_by", ""),
        status=data.get("status", ""), notes=data.get("notes", ""), based_on=data.get("based_on") or None,
        api_version=data.get("api_version", ""), seal=seal if isinstance(seal, dict) else {},
        cite_sources=data.get("cite_sources") is True, author=str(data.get("author", "")),
        sign_off_note=str(data.get("sign_off_note", "")), reviewed_digest=str(data.get("reviewed_digest", "")),
        reviewed_against=str(data.get("reviewed_against", "")),
    ) if ok else None


def read_lists(read: Reader, directory: Path) -> tuple[dict[str, tuple[Option, ...]], dict[str, str]]:
    """Read the option lists in `lists/`; return them and, per list, where its names come from.

    A list with `names_from = "babel-territories"` keeps English labels only as a fallback: the
    forms show Babel's country names in the user's language, so its labels are not translated.
    """
    lists: dict[str, tuple[Option, ...]] = {}
    names_from: dict[str, str] = {}
    for path in sorted((directory / "lists").glob("*.toml")):
        data = read.load(path)
        if data is None:
            continue
        file = read.name(path)
        read.unknown_keys(file, "", data, ("option", "names_from"))
        if "names_from" in data:
            if data["names_from"] not in NAMES_FROM:
                read.problem(file, "names_from", f"must be one of {', '.join(NAMES_FROM)}", "names_from")
            else:
                names_from[path.stem] = data["names_from"]
        options, seen = [], set()
        for index, raw in read.tables(file, "option", data.get("option")):
            place = f"option[{index}]"
            value = raw.get("value")
            if not (read.expect(file, f"{place}.value", value, str, "a string", str(value)) and
                    read.expect(file, f"{place}.label", raw.get("label"), str, "a non-empty string", value)):
                continue
            if value in seen:
                read.problem(file, f"{place}.value", f"repeats the value {value!r}", value)
            seen.add(value)
            options.append(Option(value, raw["label"], raw.get("group")))
        if not options:
            read.problem(file, "option", "must list at least one option ([[option]] value, label)")
        lists[path.stem] = tuple(options)
    return lists, names_from


def read_bank_formats(read: Reader, directory: Path) -> dict[str, dict[str, Any]]:
    """Read `bank_formats.toml`."""
    path = directory / "bank_formats.toml"
    data = read.load(path) or {}
    file = read.name(path)
    formats = read.table(file, "formats", data.get("formats"))
    for name, spec in list(formats.items()):
        place = f"formats.{name}"
        if not isinstance(spec, dict):
            read.table(file, place, spec)
            del formats[name]
            continue
        read.unknown_keys(file, place, spec, FORMAT_KEYS)
        for key in sources.NOTE_KEYS:
            for message in sources.problems(spec[key], key) if key in spec else ():
                read.problem(file, f"{place}.{key}", message, name)
        parts = spec.get("parts")
        if not isinstance(parts, list) or not parts:
            read.problem(file, f"{place}.parts", "must list the parts the user types", name)
            continue
        for index, part in enumerate(parts):
            _bank_part(read, file, f"{place}.parts[{index}]", part)
        names = {part.get("name") for part in parts if isinstance(part, dict) and isinstance(part.get("name"), str)}
        spec["test_values"] = [test for _, test in read.tables(file, f"{place}.test_values", spec.get("test_values"))]
        for key in ("routing_number", "account_number"):
            template = spec.get(key, "")
            if not isinstance(template, str):
                read.problem(file, f"{place}.{key}", "must be a string such as \"{iban}\"", key)
                continue
            for used in _placeholders(template):
                if used not in names:
                    read.problem(file, f"{place}.{key}", f"uses {{{used}}}, which is not a part", key)
    return formats


def _bank_part(read: Reader, file: str, place: str, part: Any) -> None:
    if not isinstance(part, dict):
        read.problem(file, place, "must be a table { name, label, pattern, check, help }")
        return
    read.unknown_keys(file, place, part, PART_KEYS)
    for key in ("name", "label", "pattern"):
        read.expect(file, f"{place}.{key}", part.get(key), str, "a non-empty string", part.get("name"))
    problem = check_pattern(part.get("pattern"))
    if isinstance(part.get("pattern"), str) and problem:
        read.problem(file, f"{place}.pattern", problem, part.get("name"))
    check = part.get("check")
    if check is not None and (not isinstance(check, str) or not check.startswith(BANK_CHECKS)):
        read.problem(file, f"{place}.check", f"must be one of stdnum:<module>, schwifty:iban, schwifty:bic "
                                                  f"(got {check!r})", part.get("name"))
    elif isinstance(check, str) and check.startswith("stdnum:") and check_stdnum([check.removeprefix("stdnum:")]):
        read.problem(file, f"{place}.check", f"names {check!r}, which is not a python-stdnum module",
                          part.get("name"))


def _placeholders(template: Any) -> list[str]:
    if not isinstance(template, str):
        return []
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]
