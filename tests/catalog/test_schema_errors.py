"""Broken catalog data fails to load with a message naming the file, the line, the place and the problem."""

from __future__ import annotations

import pytest

from tests.catalog.conftest import MiniCatalog

V = "2030-01-01"
CASES = [
    pytest.param("countries/DE.toml", 'default_currency = "eur"', 'default_currency = "eur"\nbroken = [',
                 f"{V}/countries/DE.toml:5: is not valid TOML: missing comma between array elements, expected `,` "
                 "at line 5 column 9", id="toml-syntax"),
    pytest.param("fields.toml", 'type = "url"', 'type = "website"',
                 f"{V}/fields.toml:22: fields.\"business_profile.url\": type 'website' is not in the registry; known: "
                 "text, name, email, phone, url, date, address, id_number, tax_id, select, boolean, attestation, "
                 "percentage, document, bank_account, text_list", id="unknown-type"),
    pytest.param("fields.toml", 'label = "Business website"', 'help = "A website"',
                 f"{V}/fields.toml:22: fields.\"business_profile.url\": needs a non-empty `label`", id="no-label"),
    pytest.param("fields.toml", "validation = { min_age = 13 }", 'validation = { min_age = 13, colour = "red" }',
                 f"{V}/fields.toml:43: person.\"dob\": validation.colour is not a validation key of type 'date'; "
                 "allowed: min_age, max_age, test_values", id="unknown-validation-key"),
    pytest.param("fields.toml", "validation = { min_age = 13 }", "validation = { min_age = -1 }",
                 f"{V}/fields.toml:43: person.\"dob\": validation.min_age must be a non-negative integer",
                 id="bad-validation-value"),
    pytest.param("fields.toml", 'type = "name"\nlabel = "First name"',
                 'type = "id_number"\nlabel = "First name"\nvalidation = { stdnum = ["de.nothing"] }',
                 f"{V}/fields.toml:35: person.\"first_name\": validation.stdnum names 'de.nothing', which is not a "
                 "python-stdnum module (e.g. 'us.ssn')", id="unknown-stdnum-module"),
    pytest.param("fields.toml", 'type = "name"\nlabel = "Last name"',
                 'type = "text"\nlabel = "Last name"\nvalidation = { pattern = "([0-9]" }',
                 f"{V}/fields.toml:39: person.\"last_name\": validation.pattern is not a valid regular expression "
                 "(missing ), unterminated subpattern at position 0)", id="bad-regex"),
    pytest.param("fields.toml", 'label = "Business website"', 'label = "Business website"\nstep = "payments"',
                 f"{V}/fields.toml:22: fields.\"business_profile.url\": step 'payments' is not one of the steps in "
                 "fields.toml (business, individual, bank_account, terms)", id="unknown-step"),
    pytest.param("fields.toml", '[person."first_name"]\ntype = "name"',
                 '[person."first_name"]\ntype = "name"\nmandatory = true',
                 f"{V}/fields.toml:37: person.\"first_name\": has unknown key 'mandatory'; allowed: type, label, help, "
                 "step, validation, condition, service_agreements, origin, answers, source, assumption",
                 id="unknown-definition-key"),
    pytest.param("countries/DE.toml", '"tos_acceptance",', '"tos_acceptance",\n  "individual.shoe_size",',
                 f"{V}/countries/DE.toml:15: business_types.individual.minimum[6]: names 'individual.shoe_size', which "
                 "has no definition in fields.toml or this file", id="undefined-path"),
    pytest.param("countries/DE.toml", 'eventually = ["individual.address"]',
                 'eventually = ["individual.address", "individual.dob"]',
                 f"{V}/countries/DE.toml:12: business_types.individual.eventually[1]: lists 'individual.dob' again "
                 "(already in minimum)", id="path-listed-twice"),
    pytest.param("countries/DE.toml", "[business_types.individual]",
                 '[business_types.charity]\nminimum = ["business_profile.mcc"]\n\n[business_types.individual]',
                 f"{V}/countries/DE.toml: business_types.charity: is not a business type; allowed: individual, "
                 "company, non_profit, government_entity", id="unknown-business-type"),
    pytest.param("countries/DE.toml", "[business_types.individual]",
                 '[business_types.government_entity]\nminimum = ["business_profile.mcc"]\n\n'
                 "[business_types.individual]",
                 f"{V}/countries/DE.toml: business_types.government_entity: is not available in DE",
                 id="business-type-not-in-country"),
    pytest.param("countries/DE.toml", 'country = "DE"', 'country = "AT"',
                 f"{V}/countries/DE.toml:1: country: is 'AT' but the file is named DE.toml", id="country-file-name"),
    pytest.param("countries/DE.toml", "[business_types.individual]",
                 '[person."first_name"]\nlabel = ""\n\n[business_types.individual]',
                 f"{V}/countries/DE.toml:7: person.\"first_name\": needs a non-empty `label`", id="country-override"),
    pytest.param("fields.toml", 'validation = { source = "mcc" }', 'validation = { source = "industries" }',
                 f"{V}/fields.toml:17: fields.\"business_profile.mcc\": validation.source 'industries' is not a list "
                 "in lists/ (mcc)", id="unknown-option-list"),
    pytest.param("fields.toml", 'validation = { source = "mcc" }',
                 'validation = { source = "mcc", choices = ["5734", "9999"] }',
                 f"{V}/fields.toml:17: fields.\"business_profile.mcc\": validation.choices 9999 are not in "
                 "lists/mcc.toml", id="unknown-choice"),
    pytest.param("lists/mcc.toml", 'value = "5812"', 'value = "5734"',
                 f"{V}/lists/mcc.toml:2: option[1].value: repeats the value '5734'", id="repeated-option"),
    pytest.param("countries/DE.toml", 'format = "iban"', 'format = "swift"',
                 f"{V}/countries/DE.toml:4: fields.\"external_account\": bank format 'swift' is not defined in "
                 "bank_formats.toml", id="unknown-bank-format"),
    pytest.param("countries/DE.toml", 'currencies = ["eur"]', 'currencies = ["EUR"]',
                 f"{V}/countries/DE.toml:4: fields.\"external_account\": validation.currencies has values that are "
                 "not ISO 4217 codes in lower case: EUR", id="bad-currency"),
    pytest.param("bank_formats.toml", 'check = "schwifty:iban"', 'check = "luhn"',
                 f"{V}/bank_formats.toml:4: formats.iban.parts[0].check: must be one of stdnum:<module>, "
                 "schwifty:iban, schwifty:bic (got 'luhn')", id="unknown-bank-check"),
    pytest.param("version.toml", 'id = "2030-01-01"', 'id = "2030-01-02"',
                 f"{V}/version.toml:1: id: is '2030-01-02' but the directory is '2030-01-01'", id="version-id"),
    pytest.param("version.toml", 'status = "draft"', 'status = "final"',
                 f"{V}/version.toml:4: status: must be one of draft, approved", id="version-status"),
    pytest.param("version.toml", 'status = "draft"', 'status = "approved"',
                 f"{V}/version.toml:4: seal: an approved version needs a seal (run `catalog approve`)",
                 id="approved-without-seal"),
    pytest.param("version.toml", "reviewed_on = 2030-01-01", 'reviewed_on = "yesterday"',
                 f"{V}/version.toml:2: reviewed_on: must be a date (YYYY-MM-DD) (got str 'yesterday')",
                 id="version-date"),
]


def test_the_crafted_version_loads(mini: MiniCatalog) -> None:
    assert mini.problems() == []


@pytest.mark.parametrize("file, old, new, message", CASES)
def test_broken_data_is_named_precisely(mini: MiniCatalog, file: str, old: str, new: str, message: str) -> None:
    mini.edit(file, old, new)
    assert mini.problems() == [message]


def test_condition_on_a_field_not_asked(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'label = "Business website"',
              'label = "Business website"\ncondition = { "company.structure" = ["llc"] }')
    mini.edit("countries/DE.toml", '"business_profile.mcc",', '"business_profile.mcc",\n  "business_profile.url",')
    assert mini.problems() == [
        f"{V}/countries/DE.toml:10: business_types.individual: business_profile.url: condition on "
        "'company.structure', which this business type does not ask"]


def test_condition_values_must_be_options(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'label = "Business website"',
              'label = "Business website"\ncondition = { "business_profile.mcc" = ["5734", "0000"] }')
    mini.edit("countries/DE.toml", '"business_profile.mcc",', '"business_profile.mcc",\n  "business_profile.url",')
    assert mini.problems() == [
        f"{V}/countries/DE.toml:10: business_types.individual: business_profile.url: condition values 0000 are not "
        "options of business_profile.mcc"]


def test_every_problem_is_reported_at_once(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'type = "url"', 'type = "website"')
    mini.edit("countries/DE.toml", 'country = "DE"', 'country = "AT"')
    mini.edit("version.toml", 'status = "draft"', 'status = "final"')
    assert len(mini.problems()) == 3
