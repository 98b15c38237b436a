"""Person requirements per country: coverage, the walk-through's US persons, real Person paths, validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import stripe
from stripe.params import AccountPersonCreateParams

from onboarding.gateway.sdk_params import LEAF, MAP, tree
from stripe_sandbox import person_requirements
from stripe_sandbox.person_requirements import PersonRequirementsError

COUNTRIES = sorted("AU AT BE BR BG CA HR CY CZ DK EE FI FR DE GI GR HK HU IN IE IT JP LV LI LT LU MY MT MX NL NZ NO "
                   "PL PT RO SG SK SI ES SE CH TH AE GB US".split())
DATA = Path(person_requirements.__file__).parent / "data" / "person_requirements.json"


@pytest.fixture(scope="module")
def reqs() -> person_requirements.PersonRequirements:
    return person_requirements.load()


def _every_path(payload: dict[str, Any]) -> set[str]:
    paths: set[str] = set()
    for country in payload["countries"].values():
        for entry in country["business_types"].values():
            for role in entry["roles"].values():
                for name in ("currently_due", "eventually_due", "conditional"):
                    paths.update(role[name])
    return paths


def _resolves_in_params(path: str) -> bool:
    # The SDK's own parameter types for POST /v1/accounts/{id}/persons, walked from their annotations.
    node: Any = tree(AccountPersonCreateParams)
    for segment in path.split("."):
        if node in (LEAF, MAP) or segment not in node:
            return False
        node = node[segment]
    return True


def _resolves_on_person(path: str) -> bool:
    # The Person object's annotations name the same field, or `<field>_provided` for secrets (ssn_last_4,
    # id_number); `documents` (passport, visa, authorization files) is write-only and never comes back.
    annotations = stripe.Person.__annotations__
    head = path.split(".")[0]
    return head in annotations or f"{head}_provided" in annotations or head == "documents"


def test_covers_the_45_countries(reqs: person_requirements.PersonRequirements) -> None:
    assert reqs.countries() == COUNTRIES
    for country in COUNTRIES:
        entry = reqs.entry(country)
        assert entry.read_on == "2026-12-06" and entry.source
        assert reqs.asked(country, "company", "representative")


def test_us_owner_is_asked_what_the_walk_through_sends(reqs: person_requirements.PersonRequirements) -> None:
    currently, eventually = reqs.fields("US", "company", "owner")

    # docs.stripe.com/connect/testing-verification: an owner with a name and an e-mail owes nothing more.
    assert sorted(currently) == ["email", "first_name", "last_name"]
    # The 750,000 USD threshold of the required-verification-information page.
    assert {"dob.day", "dob.month", "dob.year", "address.line1", "phone", "ssn_last_4"} <= set(eventually)
    assert reqs.fields("US", None, "owners") == (currently, eventually)
    assert reqs.provided_flags("US", "company") == {"company.owners_provided"}
    assert reqs.owner_threshold("US") == 25


def test_us_representative_is_asked_what_the_walk_through_lists(reqs: person_requirements.PersonRequirements) -> None:
    currently, _ = reqs.fields("US", "company", "representative")

    walk_through = {"address.city", "address.line1", "address.postal_code", "address.state", "dob.day", "dob.month",
                    "dob.year", "phone", "email", "relationship.executive", "ssn_last_4"}
    assert walk_through | {"first_name", "last_name", "relationship.title"} <= set(currently)
    assert "id_number" not in currently  # the full SSN only when the last four fail


def test_roles_asked_per_country(reqs: person_requirements.PersonRequirements) -> None:
    assert not reqs.asked("US", "company", "director")
    assert reqs.asked("GB", "company", "director") and reqs.asked("DE", "company", "directors")
    assert reqs.provided_flags("FR", None) == {"company.owners_provided", "company.directors_provided",
                                               "company.executives_provided"}
    # A business type the docs do not single out gets the company entry; Singapore's non-profits differ.
    assert reqs.fields("US", "non_profit", "owner") == reqs.fields("US", "company", "owner")
    assert not reqs.asked("SG", "non_profit", "owner") and reqs.asked("SG", "non_profit", "director")


def test_every_field_is_a_person_parameter_of_the_sdk() -> None:
    paths = _every_path(json.loads(DATA.read_text(encoding="utf-8")))

    assert "dob.day" in paths and "verification.document" in paths
    not_params = sorted(p for p in paths if not _resolves_in_params(p))
    not_on_person = sorted(p for p in paths if not _resolves_on_person(p))
    assert not_params == [] and not_on_person == []
    # The walker can fail: a Country Specs path with its role prefix is no Person parameter.
    assert not _resolves_in_params("owners.first_name") and not _resolves_in_params("dob.week")


def _broken(tmp_path: Path, change: Any) -> Path:
    payload = json.loads(DATA.read_text(encoding="utf-8"))
    change(payload["countries"]["US"]["business_types"]["company"]["roles"])
    path = tmp_path / "persons.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_a_broken_file_is_refused_with_its_path(tmp_path: Path) -> None:
    def unknown_role(roles: dict[str, Any]) -> None:
        roles["shareholder"] = copy.deepcopy(roles["owner"])

    def not_a_list(roles: dict[str, Any]) -> None:
        roles["owner"]["currently_due"] = "first_name"

    with pytest.raises(PersonRequirementsError, match=r"US\.company: unknown roles \['shareholder'\]"):
        person_requirements.load(_broken(tmp_path, unknown_role))
    with pytest.raises(PersonRequirementsError, match=r"US\.company\.roles\.owner\.currently_due: must be a list"):
        person_requirements.load(_broken(tmp_path, not_a_list))
    with pytest.raises(ValueError, match="unknown role 'shareholder'"):
        person_requirements.load().fields("US", "company", "shareholder")
    with pytest.raises(KeyError, match="'ZZ'"):
        person_requirements.load().asked("ZZ", "company", "owner")
