"""`flask catalog validate|show|diff|new-version|approve` through the app's CLI runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from freezegun import freeze_time

from requirements_catalog import COUNTRIES, diff
from tests.catalog.conftest import VERSION, MiniCatalog

FIRST = "2026-11-28"
SHIPPED = "2026-12-06"  # the current version


@pytest.fixture(autouse=True)
def _on_the_shipped_versions_day() -> Iterator[None]:
    """Run on the day the shipped version was reviewed: drafts are named, and approvals dated, by the day."""
    with freeze_time(f"{SHIPPED} 12:00:00", tick=True):
        yield


def _run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["catalog", *args])
    return result.exit_code, result.output


def test_validate_passes_on_the_shipped_catalog(catalog_app: Flask) -> None:
    code, output = _run(catalog_app, "validate")
    assert (code, output) == (0, f"catalog valid: {FIRST}, {SHIPPED} (current {SHIPPED}; paths checked against Stripe API "
                                 "2026-10-28.endive)\n")


def test_show_json_lists_every_country_and_business_type(catalog_app: Flask) -> None:
    code, output = _run(catalog_app, "show", "--format", "json")
    data = json.loads(output)
    assert code == 0 and data["current"] == SHIPPED and data["version"] == SHIPPED
    assert data["versions"][0]["id"] == FIRST and data["versions"][0]["based_on"] is None
    assert data["versions"][-1] == {"id": SHIPPED, "reviewed_on": SHIPPED, "status": "approved",
                                    "reviewed_by": data["versions"][-1]["reviewed_by"], "based_on": FIRST,
                                        "author": ""}
    assert sorted(data["countries"]) == sorted(COUNTRIES) and len(COUNTRIES) == 45
    # Business types where Stripe supports them (the country files cite identity-verification and RVI).
    only = {"AE": ["company"], "TH": ["individual", "company"],
            "US": ["individual", "company", "non_profit", "government_entity"]}
    for code_, business_types in data["countries"].items():
        assert list(business_types) == only.get(code_, ["individual", "company", "non_profit"]), code_
        assert all(paths and "external_account" in paths and "tos_acceptance" in paths
                   for paths in business_types.values()), code_


def test_show_one_country_in_full(catalog_app: Flask) -> None:
    data = json.loads(_run(catalog_app, "show", "--country", "gb", "--format", "json")[1])
    assert list(data["countries"]) == ["GB"]
    bank = next(f for f in data["fields"]["company"] if f["path"] == "external_account")
    assert bank["validation"]["format"] == "gb_sort_code" and bank["validation"]["alternatives"] == ["iban"]
    assert bank["step"] == "bank_account" and bank["required"] == "minimum"


def test_show_text_groups_fields_by_step(catalog_app: Flask) -> None:
    code, output = _run(catalog_app, "show", "--country", "JP")
    assert code == 0
    assert f" * {SHIPPED}  approved" in output
    section = output.split("JP individual")[1].split("JP company")[0]
    assert "  Your personal details\n" in section
    assert "individual.first_name_kana" in section and "individual.address_kanji" in section


def test_show_and_diff_name_unknown_versions_and_countries(catalog_app: Flask) -> None:
    code, output = _run(catalog_app, "diff", SHIPPED, "1999-01-01")
    assert code == 2 and "no catalog version '1999-01-01'" in output
    assert _run(catalog_app, "show", "--country", "ZZ") == (2, "Error: the catalog has no country 'ZZ'\n")
    assert _run(catalog_app, "diff", SHIPPED, SHIPPED, "--country", "ZZ") == (
        2, f"Error: neither {SHIPPED} nor {SHIPPED} has a country 'ZZ'\n")


def test_diff_prints_json_and_text(mini_app: Flask, mini: MiniCatalog) -> None:
    catalog = mini_app.extensions["catalog"]
    draft = _run(mini_app, "new-version", "--author", "Alex")[1].split("\t")[0]
    mini.edit(f"../{draft}/fields.toml", 'label = "First name"', 'label = "Given name"')
    code, output = _run(mini_app, "diff", VERSION, draft, "--format", "json")
    assert code == 0 and json.loads(output) == diff(catalog.version(VERSION), catalog.version(draft))
    code, output = _run(mini_app, "diff", VERSION, draft, "--country", "DE")
    assert output == (f"Catalog {VERSION} -> {draft} (DE): 0 added, 0 removed, 1 changed\n"
                      "DE individual\n  ~ individual.first_name\n      label: \"First name\" -> \"Given name\"\n")


def test_review_cycle_new_version_approve_and_immutability(catalog_app: Flask, shipped_copy: Path) -> None:
    code, output = _run(catalog_app, "new-version", "--author", "Alex")
    draft = output.split("\t")[0]
    assert code == 0 and draft.startswith(SHIPPED) and draft != SHIPPED  # the same day: a suffix
    assert catalog_app.extensions["catalog"].info(draft).api_version == "2026-10-28.endive"  # the SDK's
    us = shipped_copy / draft / "countries" / "US.toml"
    us.write_text(us.read_text().replace('label = "Employer Identification Number (EIN)"',
                                         'label = "Federal Employer Identification Number (FEIN)"'))
    code, output = _run(catalog_app, "diff", SHIPPED, draft, "--country", "US", "--format", "json")
    changed = {bt["business_type"]: bt["changed"] for bt in json.loads(output)["countries"][0]["business_types"]}
    assert list(changed) == ["company", "non_profit", "government_entity"]
    assert [{k: v for k, v in c.items() if k != "notes"} for c in changed["company"]] == [
        {"path": "company.tax_id", "changes": [{"attribute": "label", "old": "Employer Identification Number (EIN)",
                                               "new": "Federal Employer Identification Number (FEIN)"}]}]
    assert "identity-verification" in changed["company"][0]["notes"][0]["url"]  # why, beside the change
    code, output = _run(catalog_app, "approve", draft, "--by", "Compliance (Sam)")
    assert (code, output) == (0, f"{draft} approved by Compliance (Sam) and made current\n")
    assert _run(catalog_app, "validate") == (0, f"catalog valid: {FIRST}, {SHIPPED}, {draft} (current {draft}; "
                                                "paths checked against Stripe API 2026-10-28.endive)\n")
    us.write_text(us.read_text().replace("FEIN", "EIN"))
    code, output = _run(catalog_app, "validate")
    assert code == 1
    line = next(n for n, text in enumerate((shipped_copy / draft / "version.toml").read_text().splitlines(), 1)
                if text.startswith('"countries/US.toml"'))
    assert (f"{draft}/version.toml:{line}: seal.countries/US.toml: countries/US.toml was changed after the version was "
            "approved (approved versions never change: make a new version)") in output.splitlines()


def test_approve_refuses_a_broken_draft(mini_app: Flask, mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'type = "url"', 'type = "website"')
    code, output = _run(mini_app, "approve", VERSION, "--by", "Sam")
    assert code == 1 and "type 'website' is not in the registry" in output
    assert mini.catalog().info(VERSION).status == "draft"
