"""Known country facts hold in the shipped catalog, and answers are checked with each country's rules."""

from __future__ import annotations

import random
from datetime import date

import pytest
import schwifty

from requirements_catalog import Catalog, Field, Version
from requirements_catalog.values import Context, bank_parameters, check, regions

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def version() -> Version:
    return Catalog().version()


def _field(version: Version, country: str, business_type: str, path: str) -> Field:
    found = version.country(country).field_for(business_type, path)
    assert found is not None and found.path == path, f"{country} {business_type} does not ask {path}"
    return found


def _errors(version: Version, country: str, field: Field, value: object, test_mode: bool = False) -> list[str]:
    return [str(p) for p in check(field, value, Context(country, version, TODAY, test_mode))]


def test_us_individual_asks_ssn_last_4_first_and_validates_it(version: Version) -> None:
    last4 = _field(version, "US", "individual", "individual.ssn_last_4")
    assert last4.required == "minimum" and last4.type == "id_number"
    assert _field(version, "US", "individual", "individual.id_number").required == "eventually"
    assert _errors(version, "US", last4, "1234") == []
    for bad in ("123", "12345", "12a4"):
        assert _errors(version, "US", last4, bad) == ["Check the number: it is not valid."]


def test_us_full_ssn_uses_stdnum_and_accepts_stripe_test_numbers_only_in_test_mode(version: Version) -> None:
    ssn = _field(version, "US", "individual", "individual.id_number")
    assert ssn.label == "Social Security number (SSN)" and ssn.validation["stdnum"] == ["us.ssn", "us.itin"]
    assert _errors(version, "US", ssn, "536-90-4399") == []
    assert _errors(version, "US", ssn, "000-00-0000") != []  # area 000 is never issued
    assert _errors(version, "US", ssn, "000000000", test_mode=True) == []


def test_country_wording_of_tax_ids(version: Version) -> None:
    labels = {c: _field(version, c, "company", "company.tax_id").label for c in ("US", "CA", "GB")}
    assert labels == {"US": "Employer Identification Number (EIN)", "CA": "Business Number (BN)",
                      "GB": "Company Number (Companies House)"}
    ein = _field(version, "US", "company", "company.tax_id")
    assert _errors(version, "US", ein, "04-2103594") == [] and _errors(version, "US", ein, "07-1234567") != []


def test_japan_asks_kana_and_kanji_names_and_addresses(version: Version) -> None:
    for business_type, person in (("individual", "individual"), ("company", "representative")):
        paths = {f.path for f in version.country("JP").fields(business_type)}
        assert {f"{person}.{name}_{script}" for name in ("first_name", "last_name") for script in ("kana", "kanji")} \
            <= paths
        assert {f"{person}.address_kana", f"{person}.address_kanji"} <= paths
    assert {"company.name_kana", "company.name_kanji", "company.address_kana", "company.address_kanji"} <= \
        {f.path for f in version.country("JP").fields("company")}
    kana = _field(version, "JP", "individual", "individual.first_name_kana")
    kanji = _field(version, "JP", "individual", "individual.last_name_kanji")
    assert _errors(version, "JP", kana, "タロウ") == [] and _errors(version, "JP", kana, "太郎") != []
    assert _errors(version, "JP", kanji, "山田") == [] and _errors(version, "JP", kanji, "Yamada") != []
    address = _field(version, "JP", "individual", "individual.address_kanji")
    assert address.validation["parts"] == ["postal_code", "state", "city", "town", "line1", "line2"]  # Japanese order


def test_gb_bank_accounts_use_a_sort_code(version: Version) -> None:
    bank = _field(version, "GB", "individual", "external_account")
    spec = version.bank_formats[bank.validation["format"]]
    assert [p["name"] for p in spec["parts"]] == ["sort_code", "account_number"]
    good = {"sort_code": "10-88-00", "account_number": "00012345", "currency": "gbp"}
    assert _errors(version, "GB", bank, good) == []
    assert bank_parameters(spec, good) == {"routing_number": "108800", "account_number": "00012345"}
    assert _errors(version, "GB", bank, {"sort_code": "10-88", "account_number": "00012345"}) == [
        "sort_code: Check the Sort code."]


EURO = sorted(c for c in ("AT BE BG CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK").split())


@pytest.mark.parametrize("country", EURO)
def test_euro_countries_use_an_iban_with_a_valid_checksum(version: Version, country: str) -> None:
    entry = version.country(country)
    assert entry.default_currency == "eur"
    bank = _field(version, country, "company", "external_account")
    assert bank.validation["format"] == "iban" and "eur" in bank.validation["currencies"]
    random.seed(country)
    iban = schwifty.IBAN.random(country_code=country).compact
    assert _errors(version, country, bank, {"iban": iban}) == []
    spaced = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)).lower()
    assert _errors(version, country, bank, {"iban": spaced}) == []
    wrong = iban[:2] + f"{(int(iban[2:4]) + 1) % 97:02d}" + iban[4:]
    assert _errors(version, country, bank, {"iban": wrong}) == ["iban: Check the IBAN."]


def test_canada_uses_transit_and_institution_numbers(version: Version) -> None:
    bank = _field(version, "CA", "individual", "external_account")
    spec = version.bank_formats[bank.validation["format"]]
    assert [p["name"] for p in spec["parts"]] == ["transit_number", "institution_number", "account_number"]
    value = {"transit_number": "11000", "institution_number": "000", "account_number": "000123456789"}
    assert _errors(version, "CA", bank, value) == []
    assert bank_parameters(spec, value) == {"routing_number": "11000-000", "account_number": "000123456789"}
    assert _errors(version, "CA", bank, {**value, "institution_number": "0001"}) == [
        "institution_number: Check the Institution number."]
    assert set(bank.validation["currencies"]) == {"cad", "usd"}


def test_us_routing_numbers_are_checked_with_their_checksum(version: Version) -> None:
    bank = _field(version, "US", "individual", "external_account")
    assert _errors(version, "US", bank, {"routing_number": "110000000", "account_number": "000123456789"}) == []
    assert _errors(version, "US", bank, {"routing_number": "110000001", "account_number": "000123456789"}) == [
        "routing_number: Check the Routing number."]


@pytest.mark.parametrize("country, good, bad", [
    ("US", {"line1": "1 Main St", "city": "San Francisco", "state": "CA", "postal_code": "94103"},
     {"postal_code": "9410"}),
    ("CA", {"line1": "1 Queen St", "city": "Ottawa", "state": "ON", "postal_code": "K1A 0B1"},
     {"postal_code": "12345"}),
    ("GB", {"line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA"}, {"postal_code": "SW1A"}),
    ("DE", {"line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117"}, {"postal_code": "1011"}),
    ("JP", {"line1": "1-1", "city": "千代田区", "state": "東京都", "postal_code": "100-0001"},
     {"postal_code": "1000-001"}),
    ("IN", {"line1": "1 MG Road", "city": "Bengaluru", "state": "Karnataka", "postal_code": "560001"},
     {"postal_code": "56001"}),
    ("BR", {"line1": "Av. Paulista 1000", "city": "São Paulo", "state": "SP", "postal_code": "01310-100"},
     {"postal_code": "0131-100"}),
])
def test_postal_codes_follow_each_countrys_format(version: Version, country: str, good: dict, bad: dict) -> None:
    business_type = "company"
    path = "company.address_kanji" if country == "JP" else "company.address"
    field = _field(version, country, business_type, path)
    assert _errors(version, country, field, good) == []
    errors = _errors(version, country, field, {**good, **bad})
    assert len(errors) == 1 and errors[0].startswith("postal_code: Enter a valid postal code")


@pytest.mark.parametrize("country, valid, invalid", [
    ("US", "NY", "ZZ"), ("CA", "QC", "XX"), ("AU", "NSW", "ABC"), ("MX", "CDMX", "QQ"), ("IN", "Maharashtra", "QQ"),
])
def test_regions_follow_each_countrys_list(version: Version, country: str, valid: str, invalid: str) -> None:
    assert valid in [code for code, _ in regions(country)]
    field = _field(version, country, "company", "company.address")
    assert "state" in field.validation["parts"]
    base = {"line1": "1 Road", "city": "Town"}
    postal = {"US": "10001", "CA": "H2X 1Y4", "AU": "2000", "MX": "06000", "IN": "400001"}[country]
    assert _errors(version, country, field, {**base, "state": valid, "postal_code": postal}) == []
    assert _errors(version, country, field, {**base, "state": invalid, "postal_code": postal}) == [
        "state: Choose a region from the list."]


def test_phone_numbers_are_parsed_for_the_country(version: Version) -> None:
    phone = _field(version, "GB", "individual", "individual.phone")
    assert _errors(version, "GB", phone, "020 7946 0958") == []
    assert _errors(version, "GB", phone, "12345") == ["Enter a valid phone number."]
    assert _errors(version, "GB", phone, "0000000000") != [] and _errors(version, "GB", phone, "0000000000", True) == []


def test_dates_of_birth_respect_stripes_age_limits(version: Version) -> None:
    dob = _field(version, "FR", "individual", "individual.dob")
    assert _errors(version, "FR", dob, {"day": 1, "month": 1, "year": 1901}) == [
        "Check the year: the person would be over 120 years old."]
    assert _errors(version, "FR", dob, {"day": 1, "month": 1, "year": 1990}) == []
    assert _errors(version, "FR", dob, {"day": 1, "month": 1, "year": 2020}) == [
        "The person must be at least 13 years old."]
    assert _errors(version, "FR", dob, {"day": 31, "month": 2, "year": 1990}) == ["Enter a valid date."]
    assert _errors(version, "FR", dob, {"day": 1, "month": 1, "year": 1901}, test_mode=True) == []  # Stripe's


def test_europe_asks_the_2026_declarations_of_card_payment_accounts_only(version: Version) -> None:
    fields = version.country("DE").fields("company")
    declaration = next(f for f in fields if f.path == "company.ownership_declaration")
    assert declaration.service_agreements == ("full",) and declaration.step == "owners"
    recipient = {f.path for f in version.country("DE").fields("company", "recipient")}
    assert "company.ownership_declaration" not in recipient and "company.name" in recipient
    assert "individual.political_exposure" in {f.path for f in version.country("DE").fields("individual")}


def test_registration_numbers_depend_on_the_company_structure(version: Version) -> None:
    field = _field(version, "AU", "company", "company.registration_number")
    assert field.condition == {"company.structure": ("private_corporation", "public_corporation")}
    percent = _field(version, "AU", "company", "representative.relationship.percent_ownership")
    assert percent.condition == {"representative.relationship.owner": (True,)}


def test_stripe_requirements_map_to_the_field_answering_them(version: Version) -> None:
    us = version.country("US")
    assert us.field_for("individual", "individual.address.postal_code").path == "individual.address"
    assert us.field_for("individual", "individual.dob.year").path == "individual.dob"
    assert us.field_for("individual", "tos_acceptance.date").path == "tos_acceptance"
    assert us.field_for("individual", "individual.verification.document.front").path == \
        "individual.verification.document"
    assert us.field_for("individual", "company.tax_id") is None


def test_documents_are_file_ids_per_side_or_a_list(version: Version) -> None:
    identity = _field(version, "DE", "individual", "individual.verification.document")
    assert _errors(version, "DE", identity, {"front": "file_123", "back": "file_456"}) == []
    assert _errors(version, "DE", identity, {"back": "file_456"}) == ["front: Upload the front of the document."]
    proof = _field(version, "DE", "company", "documents.proof_of_ultimate_beneficial_ownership.files")
    assert _errors(version, "DE", proof, ["file_1", "file_2"]) == []
    assert _errors(version, "DE", proof, ["file_1", "file_2", "file_3"]) == ["Upload at most 2 files."]


def test_every_country_specs_field_that_is_a_parameter_is_asked() -> None:
    """The newest version answers every field of the sandbox's Country Specs (which ask none that no API call can send).

    The sandbox's data follows the newest version (2026-12-06: Singapore's KYB fields, Thailand's
    registered address and laser code, the UAE's VAT number as `company.vat_id`), and a business type a
    country does not offer (the UAE's individual) has no questions to check.
    """
    from stripe_sandbox import person_requirements
    from stripe_sandbox.countries import load_country_specs

    catalog = Catalog()
    version = catalog.version(catalog.ids()[-1])
    specs, persons = load_country_specs(), person_requirements.load()
    roles = ("representative.", "owners.", "directors.", "executives.")
    unanswered = set()
    for country in specs.ids():
        for business_type in version.country(country).business_types:
            minimum, additional = specs.fields(country, business_type)
            paths = minimum + additional
            if country in persons and business_type != "individual":
                # The sandbox asks a company's people what its person requirements say, not these role fields.
                paths = [p for p in paths if not p.startswith(roles)]
            for path in paths:
                if version.country(country).field_for(business_type, path) is None:
                    unanswered.add(path)
    # company.pan is answered by company.tax_id. India's 2022 company.business_cross_border_transaction_classifications
    # is no parameter of API 2026-10-28 and the sandbox no longer asks it (stripe_sandbox/data/sources/ap.md).
    assert unanswered == set()


def test_values_the_parsers_refuse_are_answers_not_crashes(version: Version) -> None:
    """Found by fuzzing: urlsplit raises on an unclosed IPv6 host, date() overflows on a huge day."""
    url = _field(version, "US", "individual", "business_profile.url")
    for value in ("https://[", "A://["):
        assert _errors(version, "US", url, value) == ["Enter a website address starting with https://."]
    dob = _field(version, "US", "individual", "individual.dob")
    assert _errors(version, "US", dob, {"day": "2200000000", "month": "1", "year": "1990"}) == ["Enter a valid date."]


@pytest.mark.parametrize("country, language, script, code, name", [
    ("CA", "en", None, "NS", "Nova Scotia"),
    ("CA", "fr", None, "BC", "Colombie-Britannique"),  # a fr-CA page names provinces in French
    ("CA", "fr_CA", None, "BC", "Colombie-Britannique"),
    ("JP", "en", None, "北海道", "Hokkaido"),  # Latin names on a page not in Japanese
    ("JP", "ja", None, "北海道", "北海道"),
    ("JP", "en", "kanji", "北海道", "北海道"),  # the kanji block keeps kanji on any page
    ("HK", "en", None, "Kowloon", "Kowloon"),
    ("HK", "zh_Hant", None, "Kowloon", "九龍"),
])
def test_region_names_follow_the_pages_language_and_values_stay_stripes(country: str, language: str,
                                                                        script: str | None, code: str,
                                                                        name: str) -> None:
    """Issue 13: an English page showed "Nouvelle-Écosse"-style names; values sent to Stripe never change."""
    choices = dict(regions(country, language, script))
    assert choices[code] == name
    assert [c for c, _ in regions(country, language, script)] == [c for c, _ in regions(country)]


DRAFT = "2026-12-06"  # the version whose bank formats were checked against Stripe's payouts page (issue 13)


@pytest.fixture(scope="module")
def draft() -> Version:
    return Catalog().version(DRAFT)


def _bank_errors(version: Version, country: str, value: dict) -> list[str]:
    return _errors(version, country, _field(version, country, "individual", "external_account"), value)


@pytest.mark.parametrize("country, part, base, good, bad", [
    # docs.stripe.com/payouts: AU accounts (AUD) have 4-9 digits
    ("AU", "account_number", {"bsb": "110-000"}, ["1234", "123456789"], ["123", "1234567890"]),
    # JP: 7 digits (8 at some banks), a shorter number padded with zeros (support.stripe.com)
    ("JP", "account_number", {"bank_code": "1100", "branch_code": "000"}, ["0001234", "12345678"],
     ["123456", "123456789"]),
    # HK: 6-9 digits, written 123456-789
    ("HK", "account_number", {"clearing_code": "110", "branch_code": "000"}, ["123456", "123456-789"],
     ["12345", "1234567890"]),
    # SG: 6-19
    ("SG", "account_number", {"bank_code": "1100", "branch_code": "000"}, ["123456", "1" * 19], ["12345", "1" * 20]),
    # US: up to 17 digits (Stripe's v2 bank account spec: \d{1,17})
    ("US", "account_number", {"routing_number": "110000000"}, ["1", "1" * 17], ["1" * 18, "12a4"]),
    # BR: a 4-digit branch, which may carry its check digit (a digit or X)
    ("BR", "branch_code", {"bank_code": "001", "account_number": "0001234"}, ["1234", "1234-5", "1234-x"],
     ["123", "123456", "1234-Y"]),
])
def test_bank_account_lengths_at_the_edges(draft: Version, country: str, part: str, base: dict, good: list[str],
                                           bad: list[str]) -> None:
    spec = draft.bank_formats[_field(draft, country, "individual", "external_account").validation["format"]]
    label = next(p["label"] for p in spec["parts"] if p["name"] == part)
    for value in good:
        assert _bank_errors(draft, country, {**base, part: value}) == [], value
    for value in bad:
        assert _bank_errors(draft, country, {**base, part: value}) == [f"{part}: Check the {label}."], value


def test_a_brazilian_branch_check_digit_is_not_sent_to_stripe(draft: Version) -> None:
    spec = draft.bank_formats["br_bank_branch"]
    typed = {"bank_code": "001", "branch_code": "1234-5", "account_number": "12345-6"}
    assert bank_parameters(spec, typed) == {"routing_number": "001-1234", "account_number": "123456"}
    assert bank_parameters(spec, {**typed, "branch_code": "1234"})["routing_number"] == "001-1234"


def test_gibraltar_takes_an_iban_or_a_uk_sort_code(draft: Version) -> None:
    bank = _field(draft, "GI", "individual", "external_account")
    assert (bank.validation["format"], bank.validation["alternatives"]) == ("iban", ["gb_sort_code"])
    assert _bank_errors(draft, "GI", {"iban": "GI75NWBK000000007099453"}) == []
    assert _bank_errors(draft, "GI", {"format": "gb_sort_code", "sort_code": "10-88-00",
                                      "account_number": "00012345"}) == []


def test_every_bank_format_cites_stripe_and_starts_with_a_succeeding_test_number(draft: Version) -> None:
    for name, spec in draft.bank_formats.items():
        urls = [s["url"] for s in (spec["source"] if isinstance(spec["source"], list) else [spec["source"]])]
        assert "https://docs.stripe.com/payouts" in urls, name
        assert spec["test_values"], name
    first = {name: spec["test_values"][0] for name, spec in draft.bank_formats.items()}
    assert first["us_aba"] == {"routing_number": "110000000", "account_number": "000123456789"}
    assert first["jp_zengin"] == {"bank_code": "1100", "branch_code": "000", "account_number": "0001234"}
    ibans = [t["iban"] for t in draft.bank_formats["iban"]["test_values"]]
    assert "IT40S0542811101000000123456" in ibans  # IT60X... is Stripe's no_account number, so it comes later
    assert ibans.index("IT40S0542811101000000123456") < ibans.index("IT60X0542811101000000123456")


def test_every_country_cites_its_payout_currencies_and_format(draft: Version) -> None:
    for code in draft.countries:
        bank = _field(draft, code, next(iter(draft.country(code).business_types)), "external_account")
        assert any(note.kind == "source" for note in bank.notes), code
        assert draft.country(code).default_currency in bank.validation["currencies"], code
