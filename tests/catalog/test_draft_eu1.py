"""Facts of draft 2026-12-06 for GB, GI, DE, FR, IE, IT, ES, NL, BE and LU, as Stripe's pages give them (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest

from requirements_catalog import Catalog, Field, Version
from requirements_catalog.values import Context, check

DRAFT = "2026-12-06"
GROUP = ("GB", "GI", "DE", "FR", "IE", "IT", "ES", "NL", "BE", "LU")


@pytest.fixture(scope="module")
def draft() -> Version:
    return Catalog().version(DRAFT)


def _field(version: Version, country: str, business_type: str, path: str) -> Field:
    found = version.country(country).field_for(business_type, path)
    assert found is not None and found.path == path, f"{country} {business_type} does not ask {path}"
    return found


def _errors(version: Version, country: str, field: Field, value: object, test_mode: bool = False) -> list[str]:
    return [str(p) for p in check(field, value, Context(country, version, date(2026, 12, 6), test_mode))]


def test_gb_structures_are_stripes_gb_table(draft: Version) -> None:
    company = _field(draft, "GB", "company", "company.structure").validation["choices"]
    non_profit = _field(draft, "GB", "non_profit", "company.structure").validation["choices"]
    assert company == ["private_corporation", "incorporated_partnership", "unincorporated_partnership"]
    assert non_profit == ["incorporated_non_profit", "unincorporated_non_profit"]


def test_de_register_number_does_not_refuse_businesses_without_a_register_entry(draft: Version) -> None:
    tax_id = _field(draft, "DE", "company", "company.tax_id")
    for registered in ("HRB 12345", "HRA 987 B", "GnR 12", "VR 4567"):
        assert _errors(draft, "DE", tax_id, registered) == []
    assert _errors(draft, "DE", tax_id, "21/815/08150") == []  # a GbR's Steuernummer
    assert _errors(draft, "DE", tax_id, "HRX 12345") == ["Check the number: it is not valid."]
    assert _errors(draft, "DE", tax_id, "000000000", test_mode=True) == []
    court = _field(draft, "DE", "company", "company.tax_id_registrar")
    assert set(court.condition["company.structure"]) == {
        "private_corporation", "public_corporation", "incorporated_partnership", "incorporated_non_profit"}
    assert "unincorporated_partnership" not in court.condition["company.structure"]


def test_fr_associations_give_an_rna_number_or_a_siren(draft: Version) -> None:
    association = _field(draft, "FR", "non_profit", "company.tax_id")
    assert _errors(draft, "FR", association, "W751234567") == []
    assert _errors(draft, "FR", association, "404833048") == []
    company = _field(draft, "FR", "company", "company.tax_id")
    assert _errors(draft, "FR", company, "W751234567") == ["Check the number: it is not valid."]


def test_europe_asks_documents_and_declarations_only_eventually(draft: Version) -> None:
    for country in GROUP:
        fields = {f.path: f for f in draft.country(country).fields("company")}
        for path in ("company.ownership_declaration", "company.directorship_declaration",
                     "owners.verification.document", "documents.proof_of_registration.files"):
            assert fields[path].required == "eventually", (country, path)
        assert fields["directors.address"].required == "minimum", country
        individual = {f.path: f for f in draft.country(country).fields("individual")}
        assert individual["individual.political_exposure"].required == "eventually", country  # no Stripe page asks it
        assert set(draft.country(country).business_types) == {"individual", "company", "non_profit"}
