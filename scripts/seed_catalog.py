"""Derive the first requirements catalog version (2026-11-28) from collected facts.

Kept as the record of how that version was made; later versions are edited copies
(`flask --app wsgi catalog new-version`), never regenerated. Inputs:

- `stripe_sandbox/data/country_specs.json`: Stripe's 2022 Country Specs for 41 countries plus the
  newer requirements and the four missing countries (GI, HR, LI, TH), as derived and documented in
  `stripe_sandbox/data/README.md`;
- `scripts/catalog_seed/identity.toml`: per-country ID and tax number wording and python-stdnum modules;
- `scripts/catalog_seed/company_structures.toml`, `mcc.toml`: option lists from Stripe's docs;
- `scripts/catalog_seed/bank_formats.toml`: payout bank account formats and test numbers;
- Babel's English territory names for the nationality list.

It writes `countries/`, `lists/`, `bank_formats.toml` and `version.toml` of the version; the shared
`fields.toml` is written by hand. Run: `.venv/bin/python scripts/seed_catalog.py`.
"""

from __future__ import annotations

import json
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "scripts" / "catalog_seed"
VERSION = ROOT / "requirements_catalog" / "versions" / "2026-11-28"
COLLAPSE = (  # Country Specs sub-fields answered by one block field
    ".address", ".address_kana", ".address_kanji", ".dob", ".ownership_declaration", ".directorship_declaration",
)
# Country Specs paths that are not Account or Person parameters of API 2026-10-28: what the catalog asks instead.
REPLACED = {
    "company.pan": "company.tax_id",  # India: the company PAN is its tax id
    "company.business_vat_id_number": "company.vat_id",
    "individual.business_vat_id_number": None,  # no such parameter for individuals; the AE VAT number is the company's
    "company.business_cross_border_transaction_classifications": None,  # not an Account parameter any more
    "individual.nationality": None,  # a Person parameter only; individual accounts cannot send it
    "individual.documents.passport.files": None,  # likewise; the identity document covers it
}
INCORPORATED = ("private_company", "public_company", "private_corporation", "public_corporation", "llc",
                "free_zone_llc", "incorporated_partnership", "incorporated_non_profit", "limited_liability_partnership",
                "multi_member_llc", "single_member_llc")


def catalog_path(path: str) -> str | None:
    """Map a Country Specs path to the catalog field answering it."""
    if path in REPLACED:
        return REPLACED[path]
    if path.startswith("tos_acceptance."):
        return "tos_acceptance"
    for block in COLLAPSE:
        head, sep, _ = path.partition(block + ".")
        if sep and "." not in head.replace("company", "").strip("."):
            return head + block
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def _table(header: str, body: dict[str, Any]) -> list[str]:
    lines = ["", f"[{header}]"]
    for key, value in body.items():
        if isinstance(value, list) and len(value) > 3 and all(isinstance(v, str) for v in value):
            lines.append(f"{key} = [")
            lines += [f"  {_toml(v)}," for v in value]
            lines.append("]")
        else:
            lines.append(f"{key} = {_toml(value)}")
    return lines


def _levels(spec: dict[str, Any], kind: str) -> dict[str, str]:
    levels: dict[str, str] = {}
    for level, name in (("additional", "eventually"), ("minimum", "minimum")):  # minimum wins
        for path in spec["verification_fields"][kind][level]:
            mapped = catalog_path(path)
            if mapped:
                levels[mapped] = name
    return levels


def _aliases(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Return overrides naming the Country Specs paths a catalog field answers under another name."""
    listed = {p for kind in ("individual", "company") for level in ("minimum", "additional")
              for p in spec["verification_fields"][kind][level]}
    aliases: dict[str, list[str]] = {}
    for old, new in REPLACED.items():
        if new is not None and old in listed:
            aliases.setdefault(new, []).append(old)
    return [(f'fields."{new}"', {"answers": sorted(old)}) for new, old in sorted(aliases.items())]


def _id_overrides(facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key, header in (("id_number", 'person."id_number"'), ("tax_id", 'fields."company.tax_id"'),
                        ("registration_number", 'fields."company.registration_number"'),
                        ("vat_id", 'fields."company.vat_id"')):
        body: dict[str, Any] = {}
        if facts.get(f"{key}_label"):
            body["label"] = facts[f"{key}_label"]
        if facts.get(f"{key}_help"):
            body["help"] = facts[f"{key}_help"]
        validation = {}
        if facts.get(f"{key}_stdnum"):
            validation["stdnum"] = facts[f"{key}_stdnum"]
        if facts.get(f"{key}_pattern"):
            validation["pattern"] = facts[f"{key}_pattern"]
        if validation:
            body["validation"] = validation
        if body:
            out.append((header, body))
    return out


def _address_parts(levels: dict[str, str], spec: dict[str, Any], kind: str, prefixes: tuple[str, ...]) -> list[str]:
    raw = spec["verification_fields"][kind]["minimum"] + spec["verification_fields"][kind]["additional"]
    parts = {p.rsplit(".", 1)[1] for p in raw for prefix in prefixes if p.startswith(prefix + ".address.")}
    order = ("line1", "line2", "city", "town", "state", "postal_code")
    return [p for p in order if p in parts or (p == "line2" and "line1" in parts)]


def country_file(spec: dict[str, Any], data: dict[str, Any]) -> str:
    """Return the TOML text of one country."""
    code = spec["id"]
    name = Locale("en").territories[code]
    currencies = sorted(c for c, where in spec["supported_bank_account_currencies"].items() if code in where)
    lines = [f"# Requirements catalog 2026-11-28: {name}", f"country = {_toml(code)}",
             f"default_currency = {_toml(spec['default_currency'])}"]
    bank = {"format": data["bank"]["countries"][code], "currencies": currencies}
    if code in data["bank"].get("alternatives", {}):
        bank["alternatives"] = data["bank"]["alternatives"][code]
    lines += _table('fields."external_account"', {"validation": bank})
    asked = {p.split(".", 1)[-1] if p.startswith(("individual.", "representative.", "owners.")) else p
             for kind in ("individual", "company") for p in _levels(spec, kind)}
    tables: dict[str, dict[str, Any]] = {}
    for header, body in _id_overrides(data["identity"].get(code, {})):
        if header.split('"')[1] in asked:  # wording only for the numbers this country is asked
            tables[header] = body
    for header, body in _aliases(spec):
        tables[header] = {**tables.get(header, {}), **body}
    for header, body in tables.items():
        lines += _table(header, body)
    lines += _table('fields."business_type"', {"validation": {"choices": business_types(code)}})
    person_parts = _address_parts({}, spec, "individual", ("individual",)) or \
        _address_parts({}, spec, "company", ("representative",))
    if person_parts:
        lines += _table('person."address"', {"validation": {"parts": person_parts}})
    company_parts = _address_parts({}, spec, "company", ("company",))
    if company_parts:
        lines += _table('fields."company.address"', {"validation": {"parts": company_parts}})
    structures = data["structures"].get(code, {})
    for business_type in business_types(code):
        kind = "individual" if business_type == "individual" else "company"
        levels = _levels(spec, kind)
        overrides: list[tuple[str, dict[str, Any]]] = []
        for path in [p for p in levels if p.endswith(".ssn_last_4")]:
            levels[path.replace("ssn_last_4", "id_number")] = "eventually"  # the last 4 first, the full SSN later
        choices = [s["value"] for s in structures.get(business_type, [])]
        if kind == "individual" and "company.structure" in levels:
            # AE sole traders register a single-owner establishment.
            choices = [c for c in ("sole_establishment", "free_zone_establishment")
                       if any(s["value"] == c for s in structures.get("company", []))]
            overrides.append(('fields."company.structure"', {"validation": {"choices": choices}}))
        if kind == "company" and choices:
            structure: dict[str, Any] = {"validation": {"choices": choices}}
            if "company.structure" not in levels:  # asked to drive conditions; Stripe does not list it here
                levels["company.structure"] = "eventually"
                structure["origin"] = "platform"
            overrides.append(('fields."company.structure"', structure))
            incorporated = [c for c in choices if c in INCORPORATED]
            if "company.registration_number" in levels and incorporated and incorporated != choices:
                overrides.append(('fields."company.registration_number"',
                                  {"condition": {"company.structure": incorporated}}))
        if kind == "company" and "owners.relationship.percent_ownership" in levels:
            levels["representative.relationship.owner"] = "eventually"
            levels["representative.relationship.percent_ownership"] = "eventually"
            overrides.append(('fields."representative.relationship.owner"', {"origin": "platform"}))
            overrides.append(('fields."representative.relationship.percent_ownership"',
                              {"condition": {"representative.relationship.owner": [True]}, "origin": "platform"}))
        body = {"minimum": sorted(p for p, lvl in levels.items() if lvl == "minimum"),
                "eventually": sorted(p for p, lvl in levels.items() if lvl == "eventually")}
        lines += _table(f"business_types.{business_type}", body)
        for header, override in overrides:
            lines += _table(f"business_types.{business_type}.{header}", override)
    return "\n".join(lines) + "\n"


def business_types(code: str) -> list[str]:
    """Return the business types of a country (government entities exist in the US only)."""
    return ["individual", "company", "non_profit"] + (["government_entity"] if code == "US" else [])


def option_list(options: list[dict[str, Any]], header: str) -> str:
    """Return the TOML text of an option list."""
    lines = [header]
    for option in options:
        lines += ["", "[[option]]"] + [f"{k} = {_toml(v)}" for k, v in option.items() if v not in (None, "")]
    return "\n".join(lines) + "\n"


def lists(data: dict[str, Any]) -> dict[str, str]:
    """Return the option lists by file name."""
    structures: dict[str, str] = {}
    for country in data["structures"].values():
        for business_type in ("company", "non_profit", "government_entity"):
            for item in country.get(business_type, []):
                structures.setdefault(item["value"], item["label"])
    territories = Locale("en").territories
    countries = [{"value": c, "label": territories[c]} for c in sorted(territories) if len(c) == 2 and c.isalpha()
                 and c not in ("ZZ", "XA", "XB", "EU", "EZ", "UN", "QO")]
    return {
        "business_type": option_list([
            {"value": "individual", "label": "Individual or sole trader"}, {"value": "company", "label": "Company"},
            {"value": "non_profit", "label": "Non-profit organisation"},
            {"value": "government_entity", "label": "Government entity"}], "# Stripe's business_type values."),
        "political_exposure": option_list([
            {"value": "none", "label": "No"}, {"value": "existing", "label": "Yes"}],
            "# Person political_exposure: whether the person is a politically exposed person."),
        "company_structure": option_list([{"value": v, "label": label} for v, label in sorted(structures.items())],
                                         "# company.structure values (the SDK's enum) with English labels."),
        "mcc": option_list([{"value": m["code"], "label": m["description"], "group": m.get("group")}
                            for m in data["mcc"]], "# Merchant category codes Stripe accepts, from Stripe's docs."),
        "country": option_list(countries, "# ISO 3166-1 countries (nationality). Forms show Babel's names in the "
                                          "user's language; the English\n# labels here are the fallback, so they are "
                                          "not extracted for translation.\nnames_from = \"babel-territories\""),
    }


def bank_formats(text: str) -> str:
    """Return the bank formats file without the country mapping (each country file names its format)."""
    cut = text.index("# Country -> primary form.")
    return text[:cut].rstrip() + "\n"


def main() -> int:
    specs = json.loads((ROOT / "stripe_sandbox" / "data" / "country_specs.json").read_text())["data"]
    data = {name: tomllib.loads((SEED / f"{name}.toml").read_text()) for name in
            ("identity", "company_structures", "mcc", "bank_formats")}
    data["structures"] = data.pop("company_structures")
    data["bank"] = data.pop("bank_formats")
    data["mcc"] = data["mcc"]["mcc"]
    (VERSION / "countries").mkdir(parents=True, exist_ok=True)
    (VERSION / "lists").mkdir(exist_ok=True)
    for spec in specs:
        (VERSION / "countries" / f"{spec['id']}.toml").write_text(country_file(spec, data), encoding="utf-8")
    for name, text in lists(data).items():
        (VERSION / "lists" / f"{name}.toml").write_text(text, encoding="utf-8")
    (VERSION / "bank_formats.toml").write_text(bank_formats((SEED / "bank_formats.toml").read_text()), encoding="utf-8")
    print(f"wrote {len(specs)} countries to {VERSION} on {date.today()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
