"""Stripe's documented facts for SG, HK, MY, TH and AE hold in catalog version 2026-12-06 and its sandbox data."""

from __future__ import annotations

from datetime import date

import pytest

from requirements_catalog import Catalog, Field, Version
from requirements_catalog.values import Context, check
from stripe_sandbox.countries import load_country_specs

TODAY = date(2026, 12, 6)


@pytest.fixture(scope="module")
def version() -> Version:
    return Catalog().version("2026-12-06")


def _field(version: Version, country: str, business_type: str, path: str) -> Field:
    found = version.country(country).field_for(business_type, path)
    assert found is not None and found.path == path, f"{country} {business_type} does not ask {path}"
    return found


def _structures(version: Version, country: str, business_type: str) -> list[str]:
    return list(_field(version, country, business_type, "company.structure").validation["choices"])


def _errors(version: Version, country: str, field: Field, value: object, test_mode: bool = False) -> list[str]:
    return [str(p) for p in check(field, value, Context(country, version, TODAY, test_mode))]


def test_business_types_are_the_ones_stripe_supports(version: Version) -> None:
    offered = {c: sorted(version.country(c).business_types) for c in ("SG", "HK", "MY", "TH", "AE")}
    assert offered == {"SG": ["company", "individual", "non_profit"], "HK": ["company", "individual", "non_profit"],
                       "MY": ["company", "individual", "non_profit"], "TH": ["company", "individual"],
                       "AE": ["company"]}
    assert _field(version, "AE", "company", "business_type").validation["choices"] == ["company"]


def test_structures_follow_the_identity_verification_tables(version: Version) -> None:
    assert _structures(version, "SG", "company") == [
        "private_company", "private_partnership", "public_company", "sole_proprietorship"]
    assert "company.structure" not in {f.path for f in version.country("SG").fields("non_profit")}  # nil
    assert _structures(version, "HK", "company") == ["private_company", "private_partnership", "sole_proprietorship"]
    assert _structures(version, "TH", "company") == [
        "incorporated_partnership", "private_corporation", "sole_proprietorship", "unincorporated_partnership"]
    assert _structures(version, "AE", "company") == ["free_zone_establishment", "free_zone_llc", "llc",
                                                     "sole_establishment"]


def test_hong_kong_numbers_depend_on_the_corrected_structures(version: Version) -> None:
    cr = _field(version, "HK", "company", "company.registration_number")
    br = _field(version, "HK", "company", "company.tax_id")
    assert cr.condition == {"company.structure": ("private_company",)}
    assert br.condition == {"company.structure": ("private_partnership", "sole_proprietorship")}
    assert br.label == "Business Registration Number (BR)" and _errors(version, "HK", br, "12345678") == []
    assert _errors(version, "HK", br, "12345678-000-03-21-A") == [] and _errors(version, "HK", br, "1234567") != []


def test_uae_names_its_two_numbers_apart_and_the_vat_number_is_a_parameter(version: Version) -> None:
    tax_id = _field(version, "AE", "company", "company.tax_id")
    vat_id = _field(version, "AE", "company", "company.vat_id")
    assert tax_id.label == "Trade licence number" and vat_id.label == "Tax Registration Number (TRN)"
    assert version.country("AE").field_for("company", "company.business_vat_id_number") is vat_id
    specs = load_country_specs()
    minimum, _ = specs.fields("AE", "company")
    assert "company.vat_id" in minimum and "company.business_vat_id_number" not in minimum
    assert {"documents.company_license.files", "documents.bank_account_ownership_verification.files"} <= set(minimum)


def test_singapore_asks_the_2025_and_sg_2026_requirements(version: Version) -> None:
    company = {f.path: f.required for f in version.country("SG").fields("company")}
    for path in ("company.registration_date", "company.principal_place_of_business", "company.administrative_address",
                 "directors.nationality", "owners.nationality", "company.directors_provided"):
        assert company[path] == "minimum", path
    for path in ("authorizers.first_name", "authorizers.verification.document",
                 "representative.documents.company_authorization.files", "company.ownership_exemption_reason",
                 "documents.proof_of_ultimate_beneficial_ownership.files"):
        assert company[path] == "eventually", path
    minimum, _ = load_country_specs().fields("SG", "company")
    assert {"company.registration_date.year", "company.principal_place_of_business.line1",
            "company.administrative_address.postal_code"} <= set(minimum)


def test_singapore_aliases_may_be_left_blank(version: Version) -> None:
    aliases = _field(version, "SG", "company", "representative.full_name_aliases")
    assert aliases.type == "text_list" and "if any" in aliases.label and "min_items" not in aliases.validation
    assert _errors(version, "SG", aliases, ["Tan Ah Kow"]) == []


def test_thailand_asks_the_household_address_and_the_laser_code(version: Version) -> None:
    for business_type, role in (("individual", "individual"), ("company", "representative"), ("company", "owners")):
        paths = {f.path for f in version.country("TH").fields(business_type)}
        assert {f"{role}.registered_address", f"{role}.id_number_secondary"} <= paths
    laser = _field(version, "TH", "company", "representative.id_number_secondary")
    assert _errors(version, "TH", laser, "ME0-1234567-89") == [] and _errors(version, "TH", laser, "1234567") != []
    assert _errors(version, "TH", laser, "000000000", test_mode=True) == []
