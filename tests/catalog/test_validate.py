"""`catalog validate` beyond the schema: SDK parameter paths, messages, coverage, the current pointer."""

from __future__ import annotations

import pytest

from onboarding.gateway.sdk_params import is_param_path
from requirements_catalog import COUNTRIES
from requirements_catalog.validate import validate
from tests.catalog.conftest import VERSION, MiniCatalog

API = "2026-10-28.endive"


def _problems(mini: MiniCatalog) -> list[str]:
    return [str(p) for p in validate(mini.catalog(), is_param_path)]


def _beyond_coverage(mini: MiniCatalog) -> list[str]:
    return [p for p in _problems(mini) if "is missing" not in p and not p.startswith("CURRENT")]


def test_the_crafted_version_only_lacks_coverage_and_approval(mini: MiniCatalog) -> None:
    problems = _problems(mini)
    assert problems[0] == "CURRENT: names 2030-01-01, which is not approved"
    expected = []
    for code in COUNTRIES:
        if code == "DE":
            expected += [f"{VERSION}/countries/DE.toml: business_types.{bt}: is missing"
                         for bt in ("company", "non_profit")]
        else:
            expected.append(f"{VERSION}/countries/{code}.toml: is missing: every one of the 45 countries needs a file")
    assert problems[1:] == expected


def test_a_path_the_sdk_does_not_know(mini: MiniCatalog) -> None:
    mini.append("fields.toml", '\n[person."nationality"]\ntype = "text"\nlabel = "Nationality"\n')
    mini.edit("countries/DE.toml", '"tos_acceptance",', '"tos_acceptance",\n  "individual.nationality",')
    assert _beyond_coverage(mini) == [
        f"{VERSION}/countries/DE.toml: business_types.individual: individual.nationality: 'individual.nationality' "
        f"is not a parameter of accounts.update in Stripe API {API}"]


def test_a_person_path_is_checked_against_person_parameters(mini: MiniCatalog) -> None:
    mini.edit("countries/DE.toml", "[business_types.individual]",
              '[business_types.company]\nminimum = ["representative.first_name", "representative.nickname"]\n\n'
              '[business_types.individual]')
    mini.append("fields.toml", '\n[person."nickname"]\ntype = "name"\nlabel = "Nickname"\n\n'
                               '[[steps]]\nid = "representative"\nlabel = "Representative"\n')
    assert _beyond_coverage(mini) == [
        f"{VERSION}/countries/DE.toml: business_types.company: representative.nickname: 'nickname' is not a "
        f"parameter of persons.create in Stripe API {API}"]


def test_parts_of_a_block_are_checked_too(mini: MiniCatalog) -> None:
    mini.edit("fields.toml", 'parts = ["date", "ip"]', 'parts = ["date", "ip", "user_agent"]')
    assert _beyond_coverage(mini) == []
    mini.edit("fields.toml", 'parts = ["line1", "city", "postal_code"]', 'parts = ["line1", "town", "postal_code"]')
    # `town` is a part of Japanese kana and kanji addresses only.
    assert _beyond_coverage(mini) == [
        f"{VERSION}/countries/DE.toml: business_types.individual: individual.address: 'individual.address.town' is "
        f"not a parameter of accounts.update in Stripe API {API}"]
    mini.edit("fields.toml", 'parts = ["line1", "town", "postal_code"]', 'parts = ["line1", "district"]')
    assert _beyond_coverage(mini) == [
        f"{VERSION}/fields.toml:48: person.\"address\": validation.parts has unknown values district; "
        "allowed: line1, line2, city, town, state, postal_code"]


@pytest.mark.parametrize("label", ["Owns 25% or more", "Your %(name)s", "Hello {name}"])
def test_messages_are_shown_as_written(mini: MiniCatalog, label: str) -> None:
    mini.edit("fields.toml", 'label = "First name"', f'label = "{label}"')
    assert _beyond_coverage(mini) == [
        f"{VERSION}: DE individual.first_name: message {label!r} looks like a format string; labels and help are "
        "shown as written"]


def test_bank_test_values_must_pass_their_own_format(mini: MiniCatalog) -> None:
    mini.edit("bank_formats.toml", "DE89370400440532013000", "DE89370400440532013001")
    assert _beyond_coverage(mini) == [
        f"{VERSION}/bank_formats.toml: formats.iban.test_values[0]: does not pass its own format: "
        "iban: Check the IBAN."]


def test_a_version_that_cites_its_sources_names_every_uncited_bank_format(mini: MiniCatalog) -> None:
    mini.append("version.toml", "cite_sources = true\n")
    uncited = f"{VERSION}/bank_formats.toml: formats.iban: names no `source` and no `assumption`"
    assert any(p.startswith(uncited) for p in _beyond_coverage(mini))
    mini.edit("bank_formats.toml", 'account_number = "{iban}"',
              'account_number = "{iban}"\nassumption = "Every IBAN country uses it."')
    assert not any("bank_formats.toml" in p for p in _beyond_coverage(mini))


def test_current_must_name_a_version(mini: MiniCatalog) -> None:
    (mini.root / "CURRENT").write_text("2031-05-05\n")
    assert _problems(mini)[0] == "CURRENT: no catalog version '2031-05-05' (known: 2030-01-01)"


def test_every_shipped_field_path_is_an_sdk_parameter() -> None:
    from requirements_catalog import Catalog
    from requirements_catalog.validate import parameter_paths

    version = Catalog().version()
    assert parameter_paths(version, is_param_path) == []
    # ...and the check is not vacuous: a parameter the SDK lacks is reported for every country asking it.
    reported = parameter_paths(version, lambda op, path: not path.endswith("dob.day"))
    assert len({p.file for p in reported}) == 45


def test_coverage_follows_the_business_types_a_country_offers(mini: MiniCatalog) -> None:
    """A country may offer fewer business types (the UAE: company only); each one it offers needs its table."""
    mini.path("lists/business_type.toml").write_text(
        '[[option]]\nvalue = "individual"\nlabel = "Individual"\n\n[[option]]\nvalue = "company"\nlabel = "Company"\n',
        encoding="utf-8")
    mini.append("fields.toml", '\n[fields."business_type"]\ntype = "select"\nlabel = "Type of business"\n'
                               'validation = { source = "business_type" }\n')
    mini.edit("countries/DE.toml", '  "tos_acceptance",', '  "tos_acceptance",\n  "business_type",')
    mini.append("countries/DE.toml", '\n[fields."business_type"]\nvalidation = { choices = ["individual"] }\n')

    def de_coverage() -> list[str]:
        return [p for p in _problems(mini) if p.startswith(f"{VERSION}/countries/DE.toml")]

    assert de_coverage() == []
    mini.edit("countries/DE.toml", 'choices = ["individual"]', 'choices = ["individual", "company"]')
    assert de_coverage() == [f"{VERSION}/countries/DE.toml: business_types.company: is missing"]
    mini.edit("countries/DE.toml", 'choices = ["individual", "company"]', 'choices = ["company"]')
    assert de_coverage() == [
        f"{VERSION}/countries/DE.toml: business_types.company: is missing",
        f'{VERSION}/countries/DE.toml: business_types.individual: is not offered: fields."business_type" does not '
        "list it"]
