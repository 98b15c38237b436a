"""What `catalog show` prints: the versions, and each country's fields per business type."""

from __future__ import annotations

from typing import Any

from .model import Field
from .store import Catalog


def _field(field: Field) -> dict[str, Any]:
    return {"path": field.path, **field.comparable()}


def describe(catalog: Catalog, version_id: str | None = None, country: str | None = None) -> dict[str, Any]:
    """Return the catalog as data: versions, the shown version, and field paths per country.

    With `country`, the answer also has every field of that country in full (`fields`).
    """
    version = catalog.version(version_id)
    codes = [country.upper()] if country else sorted(version.countries)
    out: dict[str, Any] = {
        "current": catalog.current_id(),
        "version": version.id,
        "versions": [{"id": info.id, "reviewed_on": info.reviewed_on.isoformat(), "reviewed_by": info.reviewed_by,
                      "author": info.prepared_by, "status": info.status, "based_on": info.based_on}
                     for info in map(catalog.info, catalog.ids())],
        "countries": {code: {bt: [f.path for f in fields]
                             for bt, fields in version.countries[code].business_types.items()}
                      for code in codes if code in version.countries},
    }
    if country and country.upper() in version.countries:
        entry = version.countries[country.upper()]
        out["fields"] = {bt: [_field(f) for f in fields] for bt, fields in entry.business_types.items()}
    return out


def render_text(catalog: Catalog, version_id: str | None = None, country: str | None = None) -> str:
    """Render the catalog for people: versions, then each country's steps and questions."""
    version = catalog.version(version_id)
    current = catalog.current_id()
    lines = ["Versions:"]
    for info in map(catalog.info, catalog.ids()):
        mark = "*" if info.id == current else " "
        who = f"reviewed {info.reviewed_on} by {info.reviewed_by}" if info.status == "approved" else \
            f"drafted {info.reviewed_on}"
        lines.append(f" {mark} {info.id}  {info.status:<8}  {who}" + (f", prepared by {info.prepared_by}"
                                                                      if info.prepared_by else ""))
    steps = {step.id: step.label for step in version.steps}
    codes = [country.upper()] if country else sorted(version.countries)
    for code in codes:
        entry = version.country(code)
        if entry is None:
            continue
        for business_type, fields in entry.business_types.items():
            lines += ["", f"{code} {business_type} (version {version.id})"]
            step = None
            for field in fields:
                if field.step != step:
                    step = field.step
                    lines.append(f"  {steps.get(step, step)}")
                extra = f"  [{', '.join(field.service_agreements)} only]" if len(field.service_agreements) == 1 else ""
                when = "".join(f"  when {k} in {list(v)}" for k, v in field.condition.items())
                lines.append(f"    {field.required:<10} {field.path:<50} {field.type:<12} {field.label}{extra}{when}")
    return "\n".join(lines) + "\n"
