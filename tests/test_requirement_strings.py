"""Every form of requirement string Stripe sends leads to the form that answers it, or is logged and counted."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from onboarding.models import ConnectedAccount
from onboarding.requirement_strings import Requirement, general, read
from onboarding.services import freshness
from onboarding.services.status import account_status, fields_for_requirement
from onboarding.wizard.plan import needed_fields
from requirements_catalog import DEFAULT_ROOT, Catalog, Version


@pytest.fixture(scope="module")
def version() -> Version:
    return Catalog(DEFAULT_ROOT).version()


@pytest.mark.parametrize("raw, kind, path, person", [
    ("company.tax_id", "field", "company.tax_id", None),
    ("business_profile.url", "field", "business_profile.url", None),
    ("settings.payments.statement_descriptor", "field", "settings.payments.statement_descriptor", None),
    ("documents.proof_of_ultimate_beneficial_ownership.files", "field",
     "documents.proof_of_ultimate_beneficial_ownership.files", None),
    ("individual.verification.additional_document", "field", "individual.verification.additional_document", None),
    ("external_account", "field", "external_account", None),
    ("tos_acceptance.date", "field", "tos_acceptance.date", None),
    ("representative.dob.day", "field", "representative.dob.day", None),
    ("owners.first_name", "field", "owners.first_name", None),
    ("relationship.representative", "role", "representative", None),
    ("relationship.owner", "role", "owners", None),
    ("relationship.director", "role", "directors", None),
    ("relationship.executive", "role", "executives", None),
    ("relationship.authorizer", "role", "authorizers", None),
    ("relationship.legal_guardian", "role", "legal_guardians", None),
    ("relationship.account_opener", "role", "representative", None),
    ("person_1AbC.address.city", "person", "address.city", "person_1AbC"),
    ("person.person_1AbC.address.city", "person", "address.city", "person_1AbC"),
    ("person_1AbC.verification.document", "person", "verification.document", "person_1AbC"),
    ("interv_1QxYz.rfi_website.support", "risk_review", "interv_1QxYz.rfi_website.support", None),
    ("proof_of_liveness", "stripe_only", "proof_of_liveness", None),
    ("person_1AbC.proof_of_liveness", "stripe_only", "person_1AbC.proof_of_liveness", None),
    ("relationship.beneficiary", "field", "relationship.beneficiary", None),  # an unknown flag stays visible
])
def test_every_form_is_read(raw: str, kind: str, path: str, person: str | None) -> None:
    assert read(raw) == Requirement(raw, kind, path, person)
    assert read(raw).answerable_by_form is (kind not in ("risk_review", "stripe_only"))


def test_every_persons_need_reads_alike() -> None:
    assert general("person_A.address.city") == general("person.person_B.address.city") == "person.address.city"
    assert general("company.tax_id") == "company.tax_id"


def _paths(version: Version, country: str, business_type: str, requirement: str,
           roles: dict[str, list[str]] | None = None) -> list[str]:
    catalog_country = version.country(country)
    assert catalog_country is not None
    return [f.path for f in fields_for_requirement(catalog_country, business_type, requirement, roles)]


def test_a_role_to_fill_asks_the_minimum_questions_of_that_role_and_its_provided_flag(version: Version) -> None:
    owners = _paths(version, "US", "company", "relationship.owner")
    assert "owners.first_name" in owners and "owners.email" in owners
    # The flag answers it too: a company may have nobody owning 25% or more.
    assert "company.owners_provided" in owners
    assert all(p.startswith("owners.") for p in owners if p != "company.owners_provided")
    # Documents are asked of one person once verifying them needs it; the full SSN only eventually.
    assert "owners.verification.document" not in owners and "owners.id_number" not in owners
    representative = _paths(version, "US", "company", "relationship.representative")
    assert "representative.dob" in representative and "representative.relationship.title" in representative
    assert "representative.verification.document" not in representative
    assert _paths(version, "US", "company", "relationship.account_opener") == representative
    directors = _paths(version, "GB", "company", "relationship.director")
    assert "directors.first_name" in directors and "company.directors_provided" in directors


def test_a_persons_field_is_answered_for_the_persons_own_role(version: Version) -> None:
    owner = {"person_1": ["owners"]}
    assert _paths(version, "US", "company", "person_1.ssn_last_4", owner) == ["owners.ssn_last_4"]
    assert _paths(version, "US", "company", "person.person_1.ssn_last_4", owner) == ["owners.ssn_last_4"]
    assert _paths(version, "US", "company", "person_2.address.city") == ["representative.address"]  # first role


def test_a_question_the_catalog_lacks_for_a_role_is_borrowed_onto_that_roles_step(version: Version) -> None:
    """Stripe asks a Canadian director for an address; the catalog asks directors none, but owners one."""
    director = {"person_9": ["directors"]}
    assert version.country("CA").field_for("company", "directors.address.city") is None
    found = fields_for_requirement(version.country("CA"), "company", "person_9.address.city", director)
    assert [(f.path, f.step) for f in found] == [("directors.address", "directors")]
    representative_question = version.country("CA").field_for("company", "representative.address.city")
    assert found[0].label == representative_question.label and found[0].type == representative_question.type
    # A field no role of the catalog asks stays unanswered: logged, counted, and left to Stripe's flow.
    assert fields_for_requirement(version.country("CA"), "company", "person_9.no_such_field", director) == ()


@pytest.mark.parametrize("requirement, expected", [
    ("company.tax_id", ["company.tax_id"]), ("business_profile.url", ["business_profile.url"]),
    ("external_account", ["external_account"]), ("tos_acceptance.date", ["tos_acceptance"]),
    ("representative.dob.day", ["representative.dob"]), ("owners.first_name", ["owners.first_name"]),
])
def test_account_fields_and_role_paths_lead_to_their_field(version: Version, requirement: str,
                                                           expected: list[str]) -> None:
    assert _paths(version, "US", "company", requirement) == expected


@pytest.mark.parametrize("requirement", ["interv_1QxYz.rfi_website.support", "proof_of_liveness",
                                         "company.export_license_id", "relationship.authorizer"])
def test_what_no_form_of_this_catalog_answers_leads_to_none(version: Version, requirement: str) -> None:
    assert _paths(version, "US", "company", requirement) == []


def _account(**requirements: Any) -> ConnectedAccount:
    return ConnectedAccount(id="acct_row", country="US", business_type="company", service_agreement="full",
                            requirements={"currently_due": [], "eventually_due": [], "past_due": [],
                                          "pending_verification": [], **requirements})


def test_the_wizard_asks_for_the_people_stripe_wants(version: Version) -> None:
    country = version.country("US")
    assert country is not None
    due = ["company.tax_id", "relationship.representative", "relationship.owner"]
    needed = needed_fields(country, _account(currently_due=due), due)
    assert "company.tax_id" in needed and "representative.first_name" in needed and "owners.first_name" in needed


def test_the_status_names_the_step_and_logs_what_the_catalog_does_not_know(
        version: Version, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="onboarding.services.status")
    due = ["relationship.owner", "company.brand_new_field", "interv_1Q.rfi.support"]
    account = _account(currently_due=due, eventually_due=due)
    for _ in range(2):
        status = account_status(account, version.country("US"))
    assert status.state == "action_required"
    assert {n.step for n in status.currently_due} == {"owners"}
    assert status.unanswerable == ["company.brand_new_field", "interv_1Q.rfi.support"]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1 and "'company.brand_new_field'" in logged[0]  # once, and never the risk review


def test_catalog_check_counts_unknown_strings_and_ignores_what_only_stripe_answers(version: Version) -> None:
    day = version.info.reviewed_on
    report = freshness.Report(as_of=day, catalog_version=version.info.id, reviewed_on=day, fresh_until=day,
                              age_days=0, stale=False, warning=False)
    accounts = [{"country": "US", "business_type": "company", "requirements": {"currently_due": [
        "relationship.owner", "person.person_9.address.city", "person_8.dob.day", "proof_of_liveness",
        "interv_1Q.rfi.support", "company.export_license_id"]}}]
    freshness.accounts_drift(version, iter(accounts), report)
    assert [(d.field, d.accounts) for d in report.drift] == [("company.export_license_id", 1)]
    assert {"interv_*", "proof_of_liveness"} <= set(report.ignored)
