"""Add fields to a draft version's country files, keeping their layout and comments (tomlkit).

`catalog check --draft` uses this to turn "Stripe now lists X" into a draft that compliance
reviews; approved versions are never edited. A field with no definition yet gets a placeholder
(`type = "text"`, the path as its label, `origin = "stripe"`) that the reviewer words and types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from .model import PERSON_PREFIXES


@dataclass(frozen=True)
class Addition:
    """A field to ask one country's business type, at a required level."""

    country: str
    business_type: str
    path: str
    required: str  # minimum | eventually


def _defined(shared: dict, country: dict, path: str) -> bool:
    head, _, rest = path.partition(".")
    tables = [shared.get("fields", {}), country.get("fields", {})]
    if head in PERSON_PREFIXES and rest:
        return any(path in t for t in tables) or any(rest in t.get("person", {}) for t in (shared, country))
    return any(path in t for t in tables)


def add_fields(directory: Path, additions: list[Addition]) -> list[Addition]:
    """Add each field to its country file in a draft directory; return the ones added."""
    shared = tomlkit.parse((directory / "fields.toml").read_text(encoding="utf-8")).unwrap()
    added = []
    for country in sorted({a.country for a in additions}):
        path = directory / "countries" / f"{country}.toml"
        if not path.is_file():
            continue
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        for addition in (a for a in additions if a.country == country):
            table = document.get("business_types", {}).get(addition.business_type)
            if table is None or addition.path in table.get("minimum", []) + table.get("eventually", []):
                continue
            if addition.required not in table:
                table[addition.required] = tomlkit.array()
            table[addition.required].append(addition.path)
            if not _defined(shared, document.unwrap(), addition.path):
                fields = document.setdefault("fields", tomlkit.table(is_super_table=True))
                stub = tomlkit.table()
                stub.add(tomlkit.comment("Added by `catalog check --draft`: choose the type, word the label."))
                stub.add("type", "text")
                stub.add("label", addition.path)
                stub.add("assumption", "Stripe's Country Specs list it (catalog check --draft); cite the source "
                                       "once reviewed.")
                stub.add(tomlkit.nl())
                fields[addition.path] = stub
            added.append(addition)
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return added
