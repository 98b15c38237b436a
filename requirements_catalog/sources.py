"""Where a version's rules come from: `source` and `assumption` notes on country rules, read and counted.

A rule is a table of a country file that says something Stripe decides: a field definition
(`[fields."<path>"]`, `[person."<sub path>"]`, also under a business type) or a business type's
`minimum`/`eventually` lists. Each may carry

    source = { url = "https://docs.stripe.com/...", read = 2026-12-06, says = "what the page says" }
    source = [ { ... }, { ... } ]                   # several sources
    assumption = "why this is believed without a source"

A version whose `version.toml` has `cite_sources = true` must note every rule one way or the other
(`catalog validate` names the ones that do not). The notes travel with the resolved fields, so the
compliance diff shows them beside the changes they explain; `count` gives NOTES.md its figures.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .model import Note

NOTE_KEYS = ("source", "assumption")
SOURCE_KEYS = ("url", "read", "says")


def problems(value: Any, key: str) -> list[str]:
    """Return what is wrong with a `source` or `assumption` value (empty when it is well formed)."""
    if key == "assumption":
        return [] if isinstance(value, str) and value.strip() else ["must be a non-empty string saying why"]
    entries = value if isinstance(value, list) else [value]
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            found.append("must be a table { url, read, says } or a list of them")
            continue
        found += [f"has unknown key {k!r}; allowed: {', '.join(SOURCE_KEYS)}" for k in entry if k not in SOURCE_KEYS]
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "stripe-python:", "stripe-node:", "openapi:")):
            found.append("url must be an https:// address (or stripe-python:, stripe-node:, openapi: for SDK "
                         "and fixture sources)")
        if not isinstance(entry.get("read"), date):
            found.append("read must be the date the source was read (YYYY-MM-DD)")
        if "says" in entry and not (isinstance(entry["says"], str) and entry["says"].strip()):
            found.append("says must be a non-empty string")
    return found


def notes_of(table: Mapping[str, Any]) -> tuple[Note, ...]:
    """Return the notes a well-formed table carries."""
    notes: list[Note] = []
    source = table.get("source")
    for entry in source if isinstance(source, list) else [source] if source is not None else []:
        if isinstance(entry, dict):
            notes.append(Note("source", str(entry.get("says", "")), entry.get("url"), entry.get("read")))
    if isinstance(table.get("assumption"), str):
        notes.append(Note("assumption", table["assumption"]))
    return tuple(notes)


@dataclass(frozen=True)
class Rule:
    """One rule of a country file and how it is noted."""

    country: str
    place: str  # `business_types.company.fields."company.structure"`
    kind: str  # "source", "assumption" or "none"
    structure: bool  # a company.structure list (NOTES.md counts those apart)


def rules(directory: Path) -> Iterator[Rule]:
    """Yield every rule of a version's country files."""
    for path in sorted((directory / "countries").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        country = path.stem
        scopes: list[tuple[str, Mapping[str, Any]]] = [("", data)]
        for business_type, table in (data.get("business_types") or {}).items():
            if isinstance(table, dict):
                yield _rule(country, f"business_types.{business_type}", table, False)
                scopes.append((f"business_types.{business_type}.", table))
        for prefix, scope in scopes:
            for kind in ("fields", "person"):
                for key, table in (scope.get(kind) or {}).items():
                    if isinstance(table, dict):
                        yield _rule(country, f'{prefix}{kind}."{key}"', table, key == "company.structure")


def _rule(country: str, place: str, table: Mapping[str, Any], structure: bool) -> Rule:
    kind = "source" if "source" in table else "assumption" if "assumption" in table else "none"
    return Rule(country, place, kind, structure)


def tally_line(counts: Mapping[str, Any]) -> str:
    """Return the sentence NOTES.md must carry for these counts (`catalog validate` compares them)."""
    lists = counts["structure_lists"]
    return (f"Rules with a source: {counts['source']}. Rules that are assumptions: {counts['assumption']}. "
            f"Company structure lists with a source: {lists['source']} of {lists['total']}.")


def count(directory: Path) -> dict[str, Any]:
    """Return how many rules have a source, are assumptions, or say nothing; structure lists apart."""
    found = list(rules(directory))
    tally = {kind: sum(1 for r in found if r.kind == kind) for kind in ("source", "assumption", "none")}
    structures = {kind: sum(1 for r in found if r.structure and r.kind == kind)
                  for kind in ("source", "assumption", "none")}
    return {"rules": len(found), **tally, "structure_lists": {"total": sum(structures.values()), **structures}}
