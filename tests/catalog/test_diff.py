"""Diffs between crafted versions: exact, deterministic output for added, removed and changed fields."""

from __future__ import annotations

import json

import pytest

from requirements_catalog import diff, render_text
from tests.catalog.conftest import VERSION, MiniCatalog

NEW = "2030-02-01"


@pytest.fixture
def versions(mini: MiniCatalog):
    """The crafted version and a draft made from it with one change of every kind."""
    from datetime import date

    catalog = mini.catalog()
    catalog.new_version(date(2030, 2, 1), "Test")
    new = mini.root / NEW
    fields = new / "fields.toml"
    text = fields.read_text()
    text = text.replace('label = "Date of birth"\nvalidation = { min_age = 13 }',
                        'label = "Birth date"\nstep = "business"\nvalidation = { min_age = 18 }\n'
                        'condition = { "business_profile.mcc" = ["5734"] }')
    text = text.replace('label = "Business website"', 'label = "Business website"\nstep = "individual"')
    # Every part of a version is in the diff a reviewer signs: a step's label (it reached pages unseen before).
    text = text.replace('id = "business"\nlabel = "Business details"', 'id = "business"\nlabel = "About the business"')
    fields.write_text(text)
    formats = new / "bank_formats.toml"
    formats.write_text(formats.read_text().replace('normalize = "spaces,upper"', 'normalize = "spaces"', 1))
    (new / "NOTES.md").write_text("# 2030-02-01\n\nWhy: the business step reads better.\n")
    de = new / "countries" / "DE.toml"
    de.write_text(de.read_text()
                  .replace('  "individual.dob",\n', '  "business_profile.url",\n')
                  .replace('eventually = ["individual.address"]', 'eventually = ["individual.dob"]\n' + DE_SOURCE))
    (new / "countries" / "AT.toml").write_text(
        'country = "AT"\ndefault_currency = "eur"\n\n[fields."external_account"]\n'
        'validation = { format = "iban", currencies = ["eur"] }\nassumption = "An IBAN, as in every euro country"\n\n'
        '[business_types.individual]\nminimum = ["individual.first_name", "external_account"]\n' + AT_SOURCE)
    mcc = new / "lists" / "mcc.toml"
    mcc.write_text(mcc.read_text().replace("Eating places, restaurants", "Restaurants")
                   + '\n[[option]]\nvalue = "5999"\nlabel = "Miscellaneous retail"\n')
    return catalog.version(VERSION), catalog.version(NEW)


DE_SOURCE = 'source = { url = "https://docs.stripe.com/changelog", read = 2030-01-20, says = "Date of birth later" }\n'
AT_SOURCE = ('source = { url = "https://docs.stripe.com/connect/required-verification-information", '
             'read = 2030-01-15, says = "Austria: a name and a bank account" }\n')
DE_NOTE = {"kind": "source", "text": "Date of birth later", "url": "https://docs.stripe.com/changelog",
           "read": "2030-01-20"}
AT_NOTE = {"kind": "source", "text": "Austria: a name and a bank account",
           "url": "https://docs.stripe.com/connect/required-verification-information", "read": "2030-01-15"}
IBAN_NOTE = {"kind": "assumption", "text": "An IBAN, as in every euro country", "url": None, "read": None}

EXPECTED = {
    "old": VERSION, "new": NEW, "country": None,
    "summary": {"added": 3, "removed": 1, "changed": 1},
    "countries": [
        {"country": "AT", "status": "added", "business_types": [
            {"business_type": "individual", "status": "added", "added": [
                {"path": "external_account", "type": "bank_account", "step": "bank_account", "required": "minimum",
                 "label": "Bank account for payouts", "notes": [IBAN_NOTE, AT_NOTE]},
                {"path": "individual.first_name", "type": "name", "step": "individual", "required": "minimum",
                 "label": "First name", "notes": [AT_NOTE]}],
             "removed": [], "changed": []}]},
        {"country": "DE", "status": "changed", "business_types": [
            {"business_type": "individual", "status": "changed",
             "added": [{"path": "business_profile.url", "type": "url", "step": "individual", "required": "minimum",
                        "label": "Business website", "notes": [DE_NOTE]}],
             "removed": [{"path": "individual.address", "type": "address", "step": "individual",
                          "required": "eventually", "label": "Home address", "notes": [DE_NOTE]}],
             "changed": [{"path": "individual.dob", "changes": [
                 {"attribute": "step", "old": "individual", "new": "business"},
                 {"attribute": "required", "old": "minimum", "new": "eventually"},
                 {"attribute": "label", "old": "Date of birth", "new": "Birth date"},
                 {"attribute": "validation", "old": {"min_age": 13}, "new": {"min_age": 18}},
                 {"attribute": "condition", "old": {}, "new": {"business_profile.mcc": ["5734"]}}],
                 "notes": [DE_NOTE]}]}]},
    ],
    "lists": {"mcc": {"added": ["5999"], "removed": [],
                      "changed": [{"value": "5812", "old": "Eating places, restaurants", "new": "Restaurants"}]}},
    "bank_formats": {"added": [], "removed": [], "changed": ["iban"]},
    "steps": {"added": [], "removed": [], "changed": [{"step": "business", "changes": [
        {"attribute": "label", "old": "Business details", "new": "About the business"}]}]},
    "bank_format_changes": [{"format": "iban", "changes": [
        {"attribute": "normalize", "old": "spaces,upper", "new": "spaces"}]}],
    "version_notes": {
        "notes": {"old": "A small version for tests.", "new": "Draft based on 2030-01-01; say here what changed and why."},
        "notes_md": "--- 2030-01-01/NOTES.md\n+++ 2030-02-01/NOTES.md\n@@ -0,0 +1,3 @@\n+# 2030-02-01\n+\n"
                    "+Why: the business step reads better.\n"},
}

EXPECTED_TEXT = """\
Catalog 2030-01-01 -> 2030-02-01: 3 added, 1 removed, 1 changed
AT individual [added]
  + external_account (bank_account, minimum, step bank_account): Bank account for payouts
      why: assumption: An IBAN, as in every euro country
      why: https://docs.stripe.com/connect/required-verification-information (read 2030-01-15): Austria: a name and a bank account
  + individual.first_name (name, minimum, step individual): First name
      why: https://docs.stripe.com/connect/required-verification-information (read 2030-01-15): Austria: a name and a bank account
DE individual
  + business_profile.url (url, minimum, step individual): Business website
      why: https://docs.stripe.com/changelog (read 2030-01-20): Date of birth later
  - individual.address
      why: https://docs.stripe.com/changelog (read 2030-01-20): Date of birth later
  ~ individual.dob
      step: "individual" -> "business"
      required: "minimum" -> "eventually"
      label: "Date of birth" -> "Birth date"
      validation: {"min_age": 13} -> {"min_age": 18}
      condition: {} -> {"business_profile.mcc": ["5734"]}
      why: https://docs.stripe.com/changelog (read 2030-01-20): Date of birth later
lists/mcc: +5999, ~5812 "Eating places, restaurants" -> "Restaurants"
bank format ~iban
      normalize: "spaces,upper" -> "spaces"
step ~business
      label: "Business details" -> "About the business"
version notes: "A small version for tests." -> "Draft based on 2030-01-01; say here what changed and why."
NOTES.md:
  --- 2030-01-01/NOTES.md
  +++ 2030-02-01/NOTES.md
  @@ -0,0 +1,3 @@
  +# 2030-02-01
  +
  +Why: the business step reads better.
"""


def test_diff_lists_added_removed_and_changed_fields(versions) -> None:
    assert diff(*versions) == EXPECTED


def test_diff_text(versions) -> None:
    assert render_text(diff(*versions)) == EXPECTED_TEXT


def test_diff_of_one_country(versions) -> None:
    result = diff(*versions, country="de")
    assert [c["country"] for c in result["countries"]] == ["DE"]
    assert result["summary"] == {"added": 1, "removed": 1, "changed": 1}
    assert result["lists"] == {} and result["bank_formats"] == {}


def test_diff_in_reverse_swaps_added_and_removed(versions) -> None:
    old, new = versions
    back = diff(new, old)
    assert back["summary"] == {"added": 1, "removed": 3, "changed": 1}
    assert back["countries"][0] == {"country": "AT", "status": "removed", "business_types": [
        {"business_type": "individual", "status": "removed", "added": [], "changed": [],
         "removed": [{**f, "notes": []} for f in EXPECTED["countries"][0]["business_types"][0]["added"]]}]}


def test_a_version_has_no_differences_with_itself(versions) -> None:
    old, _ = versions
    result = diff(old, old)
    assert result["countries"] == [] and result["summary"] == {"added": 0, "removed": 0, "changed": 0}
    assert render_text(result).endswith("No differences.\n")


def test_diff_is_deterministic_json(versions) -> None:
    first = json.dumps(diff(*versions))
    assert all(json.dumps(diff(*versions)) == first for _ in range(3))
