"""Compare two catalog versions: fields added, removed and changed per country and business type.

The result is plain data in a deterministic order (countries by code, business types in Stripe's
order, fields by path, attributes in `ATTRIBUTES` order), so the CLI's JSON, its text and the
compliance pages show the same thing. Option lists and bank formats are compared too.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from .model import BUSINESS_TYPES, CountryCatalog, Field, Note, Version

ATTRIBUTES = ("type", "step", "required", "label", "help", "validation", "condition", "service_agreements",
              "origin", "answers")


def _notes(notes: tuple[Note, ...] | list[Note]) -> list[dict[str, Any]]:
    """Return a rule's notes as plain data: a source (url, date read, what it says) or an assumption."""
    return [{"kind": n.kind, "text": n.text, "url": n.url, "read": n.read.isoformat() if n.read else None}
            for n in notes]


def _summary(field: Field, notes: tuple[Note, ...] | None = None) -> dict[str, Any]:
    summary = {"path": field.path, "type": field.type, "step": field.step, "required": field.required,
               "label": field.label}
    return {**summary, "notes": _notes(notes)} if notes is not None else summary


def _compare_fields(old: tuple[Field, ...], new: tuple[Field, ...], listed: tuple[Note, ...] = ()
                    ) -> dict[str, list[dict[str, Any]]]:
    """Compare two business types' fields; each entry carries the new version's notes.

    An added or changed field shows its definition's notes, then those of the lists that ask it
    (`listed`); a removed field shows the lists' notes: why the new version no longer asks it.
    """
    before, after = {f.path: f for f in old}, {f.path: f for f in new}

    def why(found: Field) -> tuple[Note, ...]:
        return tuple(dict.fromkeys((*found.notes, *listed)))

    changed = []
    for path in sorted(before.keys() & after.keys()):
        a, b = before[path].comparable(), after[path].comparable()
        changes = [{"attribute": key, "old": a[key], "new": b[key]} for key in ATTRIBUTES if a[key] != b[key]]
        if changes:
            changed.append({"path": path, "changes": changes, "notes": _notes(why(after[path]))})
    return {
        "added": [_summary(after[p], why(after[p])) for p in sorted(after.keys() - before.keys())],
        "removed": [_summary(before[p], listed) for p in sorted(before.keys() - after.keys())],
        "changed": changed,
    }


def _compare_country(old: CountryCatalog | None, new: CountryCatalog | None) -> list[dict[str, Any]]:
    out = []
    for business_type in BUSINESS_TYPES:
        a = old.business_types.get(business_type) if old else None
        b = new.business_types.get(business_type) if new else None
        if a is None and b is None:
            continue
        entry = _compare_fields(a or (), b or (), new.list_notes.get(business_type, ()) if new else ())
        status = "added" if a is None else "removed" if b is None else "changed"
        if status != "changed" or any(entry.values()):
            out.append({"business_type": business_type, "status": status, **entry})
    return out


def _compare_lists(old: Version, new: Version) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(old.lists.keys() | new.lists.keys()):
        a = {o.value: o for o in old.lists.get(name, ())}
        b = {o.value: o for o in new.lists.get(name, ())}
        entry = {"added": sorted(b.keys() - a.keys()), "removed": sorted(a.keys() - b.keys()),
                 "changed": [{"value": v, "old": a[v].label, "new": b[v].label}
                             for v in sorted(a.keys() & b.keys()) if a[v] != b[v]]}
        if any(entry.values()):
            out[name] = entry
    return out


def _compare_steps(old: Version, new: Version) -> dict[str, Any]:
    """Compare the form's pages: added, removed, and changed labels, help or positions."""
    a = {s.id: (i, s) for i, s in enumerate(old.steps)}
    b = {s.id: (i, s) for i, s in enumerate(new.steps)}
    changed = []
    for step_id in [s.id for s in new.steps if s.id in a]:
        (i, was), (j, now) = a[step_id], b[step_id]
        changes = [{"attribute": key, "old": getattr(was, key), "new": getattr(now, key)}
                   for key in ("label", "help") if getattr(was, key) != getattr(now, key)]
        if i != j:
            changes.append({"attribute": "position", "old": i + 1, "new": j + 1})
        if changes:
            changed.append({"step": step_id, "changes": changes})
    return {"added": [s.id for s in new.steps if s.id not in a], "removed": [s.id for s in old.steps if s.id not in b],
            "changed": changed}


def _compare_formats(old: Version, new: Version) -> list[dict[str, Any]]:
    """Return each changed bank format with the keys that changed, old and new values side by side."""
    out = []
    for name in sorted(old.bank_formats.keys() & new.bank_formats.keys()):
        a, b = old.bank_formats[name], new.bank_formats[name]
        changes = [{"attribute": key, "old": a.get(key), "new": b.get(key)}
                   for key in sorted(a.keys() | b.keys()) if a.get(key) != b.get(key)]
        if changes:
            out.append({"format": name, "changes": changes})
    return out


def _compare_notes(old: Version, new: Version) -> dict[str, Any]:
    """Return the version notes (version.toml) and NOTES.md when they differ; NOTES.md as a unified diff."""
    out: dict[str, Any] = {}
    if old.info.notes != new.info.notes:
        out["notes"] = {"old": old.info.notes, "new": new.info.notes}
    if old.notes_md != new.notes_md:
        out["notes_md"] = "".join(difflib.unified_diff(old.notes_md.splitlines(keepends=True),
                                                       new.notes_md.splitlines(keepends=True),
                                                       f"{old.id}/NOTES.md", f"{new.id}/NOTES.md", n=1))
    return out


def diff(old: Version, new: Version, country: str | None = None) -> dict[str, Any]:
    """Return the differences from `old` to `new`, for one country or all."""
    codes = sorted(old.countries.keys() | new.countries.keys())
    if country is not None:
        codes = [c for c in codes if c == country.upper()]
    countries: list[dict[str, Any]] = []
    for code in codes:
        business_types = _compare_country(old.countries.get(code), new.countries.get(code))
        if business_types:
            status = ("added" if code not in old.countries else "removed" if code not in new.countries else "changed")
            countries.append({"country": code, "status": status, "business_types": business_types})
    summary = {key: sum(len(bt[key]) for c in countries for bt in c["business_types"])
               for key in ("added", "removed", "changed")}
    formats_old, formats_new = old.bank_formats, new.bank_formats
    return {
        "old": old.id, "new": new.id, "country": country.upper() if country else None, "summary": summary,
        "countries": countries,
        "lists": _compare_lists(old, new) if country is None else {},
        "bank_formats": {} if country is not None else {
            "added": sorted(formats_new.keys() - formats_old.keys()),
            "removed": sorted(formats_old.keys() - formats_new.keys()),
            "changed": sorted(k for k in formats_old.keys() & formats_new.keys() if formats_old[k] != formats_new[k]),
        },
        # What the whole version says, beyond its fields: a reviewer signs all of it (issue 14).
        "steps": {} if country is not None else _compare_steps(old, new),
        "bank_format_changes": [] if country is not None else _compare_formats(old, new),
        "version_notes": {} if country is not None else _compare_notes(old, new),
    }


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _note_lines(notes: list[dict[str, Any]]) -> list[str]:
    return [f"      why: {n['url']} (read {n['read']})" + (f": {n['text']}" if n["text"] else "")
            if n["kind"] == "source" else f"      why: assumption: {n['text']}" for n in notes]


def render_text(result: dict[str, Any]) -> str:
    """Render a diff for people: one block per country and business type."""
    s = result["summary"]
    scope = f" ({result['country']})" if result["country"] else ""
    lines = [f"Catalog {result['old']} -> {result['new']}{scope}: "
             f"{s['added']} added, {s['removed']} removed, {s['changed']} changed"]
    for country in result["countries"]:
        for bt in country["business_types"]:
            note = f" [{bt['status']}]" if bt["status"] != "changed" else ""
            lines.append(f"{country['country']} {bt['business_type']}{note}")
            for f in bt["added"]:
                lines.append(f"  + {f['path']} ({f['type']}, {f['required']}, step {f['step']}): {f['label']}")
                lines += _note_lines(f["notes"])
            for f in bt["removed"]:
                lines.append(f"  - {f['path']}")
                lines += _note_lines(f["notes"])
            for change in bt["changed"]:
                lines.append(f"  ~ {change['path']}")
                lines += [f"      {c['attribute']}: {_value(c['old'])} -> {_value(c['new'])}"
                          for c in change["changes"]]
                lines += _note_lines(change["notes"])
    for name, entry in result["lists"].items():
        lines.append(f"lists/{name}: " + ", ".join(
            [f"+{v}" for v in entry["added"]] + [f"-{v}" for v in entry["removed"]] +
            [f"~{c['value']} {_value(c['old'])} -> {_value(c['new'])}" for c in entry["changed"]]))
    formats = result["bank_formats"]
    for key, mark in (("added", "+"), ("removed", "-")):
        lines += [f"bank format {mark}{name}" for name in formats.get(key, [])]
    details = {c["format"]: c["changes"] for c in result.get("bank_format_changes", [])}
    for name in formats.get("changed", []):
        lines.append(f"bank format ~{name}")
        lines += [f"      {c['attribute']}: {_value(c['old'])} -> {_value(c['new'])}" for c in details.get(name, [])]
    steps = result.get("steps") or {}
    lines += [f"step +{s}" for s in steps.get("added", [])] + [f"step -{s}" for s in steps.get("removed", [])]
    for change in steps.get("changed", []):
        lines.append(f"step ~{change['step']}")
        lines += [f"      {c['attribute']}: {_value(c['old'])} -> {_value(c['new'])}" for c in change["changes"]]
    notes = result.get("version_notes") or {}
    if "notes" in notes:
        lines.append(f"version notes: {_value(notes['notes']['old'])} -> {_value(notes['notes']['new'])}")
    if "notes_md" in notes:
        lines += ["NOTES.md:", *("  " + line for line in notes["notes_md"].splitlines())]
    if len(lines) == 1:
        lines.append("No differences.")
    return "\n".join(lines) + "\n"
