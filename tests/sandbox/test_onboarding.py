"""Onboarding a US individual with Stripe's test values, through verification to enabled."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import stripe

from stripe_sandbox import CountrySpecs, Sandbox, load_country_specs
from stripe_sandbox.countries import FutureRequirement

from .helpers import US_BANK, Connect, complete_us_individual, create_account, us_person

DOB_VERIFIED = {"year": 1901, "month": 1, "day": 1}
DOB_OTHER = {"year": 1985, "month": 6, "day": 15}


@pytest.fixture
def deferred(connect: Connect) -> Iterator[tuple[Sandbox, stripe.StripeClient]]:
    """Return a sandbox that leaves verification pending until `settle()`, and its client."""
    sb = Sandbox(auto_settle=False)
    yield sb, connect(sb)
    sb.close()


def errors_of(account: stripe.Account) -> dict[str, str]:
    """Return the account's requirement errors as {requirement: code}."""
    return {e.requirement: e.code for e in account.requirements.errors}


def test_us_individual_onboards_to_enabled(api: stripe.StripeClient) -> None:
    account = create_account(api)

    done = complete_us_individual(api, account.id)

    assert done.requirements.currently_due == []
    assert done.requirements.past_due == []
    assert done.requirements.eventually_due == ["individual.id_number"]
    assert done.requirements.disabled_reason is None
    assert done.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert done.charges_enabled and done.payouts_enabled and done.details_submitted
    assert done.individual.verification.status == "verified"
    assert done.individual.ssn_last_4_provided is True
    # True with the last four alone: "or if only the required part of the ID number was provided" (the SDK)
    assert done.individual.id_number_provided is True
    assert done.external_accounts.data[0].status == "new"


def test_dob_1901_is_pending_until_settled(deferred: tuple[Sandbox, stripe.StripeClient]) -> None:
    sb, client = deferred
    account = create_account(client)

    submitted = complete_us_individual(client, account.id, dob=DOB_VERIFIED)

    requirements = submitted.requirements
    assert requirements.currently_due == []
    assert {"individual.dob.day", "individual.ssn_last_4", "individual.address.line1"} <= set(
        requirements.pending_verification)
    assert requirements.disabled_reason == "requirements.pending_verification"
    assert submitted.capabilities.to_dict() == {"card_payments": "pending", "transfers": "pending"}
    assert submitted.individual.verification.status == "pending"
    assert not submitted.charges_enabled
    assert client.v1.accounts.retrieve(account.id).requirements.pending_verification  # nothing settles by itself

    sb.settle()

    settled = client.v1.accounts.retrieve(account.id)
    assert settled.requirements.pending_verification == []
    assert settled.requirements.disabled_reason is None
    assert settled.individual.verification.status == "verified"
    assert settled.charges_enabled and settled.payouts_enabled


@pytest.mark.parametrize("person", [{"dob": {"year": 1902, "month": 1, "day": 1}},
                                    {"dob": DOB_VERIFIED, "id_number": "222222222"}])
def test_immediate_test_values_skip_pending(deferred: tuple[Sandbox, stripe.StripeClient], person: dict) -> None:
    _, client = deferred
    account = create_account(client)

    done = complete_us_individual(client, account.id, **person)

    assert done.requirements.pending_verification == []
    assert done.individual.verification.status == "verified"
    assert done.charges_enabled and done.payouts_enabled


def test_other_dob_asks_for_a_document_until_a_good_one_is_given(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob=DOB_OTHER)

    failed = client.v1.accounts.retrieve(account.id)
    assert failed.requirements.currently_due == ["individual.verification.document"]
    assert failed.requirements.past_due == ["individual.verification.document"]
    assert errors_of(failed) == {"individual.verification.document": "verification_failed_keyed_identity"}
    assert failed.individual.verification.status == "unverified"
    assert failed.individual.verification.details_code == "failed_keyed_identity"
    assert not failed.charges_enabled

    client.v1.accounts.update(account.id, params={
        "individual": {"verification": {"document": {"front": "file_identity_document_success"}}}})

    fixed = client.v1.accounts.retrieve(account.id)
    assert fixed.requirements.currently_due == [] and fixed.requirements.errors == []
    assert fixed.individual.verification.status == "verified"
    assert fixed.charges_enabled and fixed.payouts_enabled


def test_failing_test_document(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob=DOB_OTHER,
                           verification={"document": {"front": "file_identity_document_failure"}})

    failed = client.v1.accounts.retrieve(account.id)
    assert errors_of(failed) == {"individual.verification.document": "verification_document_failed_test_mode"}
    assert "individual.verification.document" in failed.requirements.currently_due
    assert failed.individual.verification.document.details_code == "document_failed_test_mode"
    assert failed.individual.verification.details_code == "failed_other"  # the person's code has no test-mode value


def test_dob_1900_is_an_ofac_alert(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob={"year": 1900, "month": 1, "day": 1})

    flagged = client.v1.accounts.retrieve(account.id)
    assert flagged.requirements.disabled_reason == "under_review"
    assert flagged.requirements.currently_due == []
    assert not flagged.charges_enabled and not flagged.payouts_enabled
    assert set(flagged.capabilities.to_dict().values()) == {"inactive"}


@pytest.mark.parametrize("line1", ["address_no_match", "address_line1_no_match"])
def test_unmatched_address_asks_for_an_additional_document(client: stripe.StripeClient, line1: str) -> None:
    account = create_account(client)
    address = dict(us_person()["address"], line1=line1)
    complete_us_individual(client, account.id, address=address)

    failed = client.v1.accounts.retrieve(account.id)
    assert failed.requirements.currently_due == ["individual.verification.additional_document"]
    assert errors_of(failed) == {"individual.verification.additional_document": "verification_failed_address_match"}
    assert not failed.charges_enabled

    client.v1.accounts.update(account.id, params={
        "individual": {"verification": {"additional_document": {"front": "file_identity_document_success"}}}})
    assert client.v1.accounts.retrieve(account.id).charges_enabled


def test_mismatched_id_number_is_due_with_a_document_alternative(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob=DOB_VERIFIED, id_number="111111111")

    failed = client.v1.accounts.retrieve(account.id)
    assert failed.requirements.currently_due == ["individual.id_number"]
    assert errors_of(failed) == {"individual.id_number": "verification_failed_id_number_match"}
    assert [a.to_dict() for a in failed.requirements.alternatives] == [
        {"original_fields_due": ["individual.id_number"],
         "alternative_fields_due": ["individual.verification.document"]}]
    assert failed.individual.id_number_provided is True

    client.v1.accounts.update(account.id, params={"individual": {"id_number": "000000000"}})
    fixed = client.v1.accounts.retrieve(account.id)
    assert fixed.requirements.currently_due == [] and fixed.requirements.eventually_due == []
    assert fixed.charges_enabled


def test_ssn_last_4_other_than_0000_fails_keyed_identity(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob=DOB_VERIFIED, ssn_last_4="1234")

    failed = client.v1.accounts.retrieve(account.id)
    assert failed.requirements.currently_due == ["individual.id_number"]
    assert errors_of(failed) == {"individual.id_number": "verification_failed_keyed_identity"}


def test_dob_under_13_is_an_error(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, dob={"year": 2020, "month": 1, "day": 1})

    failed = client.v1.accounts.retrieve(account.id)
    assert errors_of(failed)["individual.dob.day"] == "invalid_dob_age_under_minimum"
    assert "individual.dob.day" in failed.requirements.currently_due


def test_impossible_dob_is_refused(client: stripe.StripeClient) -> None:
    account = create_account(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.update(account.id, params={"individual": {"dob": {"year": 1990, "month": 2, "day": 30}}})
    assert excinfo.value.param == "individual[dob][day]"


@pytest.mark.parametrize(("host", "code"), [
    ("disallowed", "invalid_url_denylisted"),
    ("geoblocked", "invalid_url_website_inaccessible_geoblocked"),
    ("problem", "invalid_url_website_other"),
    ("missing", "invalid_url_website_incomplete"),
    ("mismatch", "invalid_url_website_business_information_mismatch"),
    ("passwordprotected", "invalid_url_website_inaccessible_password_protected"),
    ("underconstruction", "invalid_url_website_incomplete_under_construction"),
    ("inaccessible", "invalid_url_website_inaccessible"),
])
def test_business_url_test_values(client: stripe.StripeClient, host: str, code: str) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id)

    flagged = client.v1.accounts.update(account.id, params={"business_profile": {"url": f"https://{host}.stripe.com"}})

    assert flagged.requirements.currently_due == ["business_profile.url"]
    assert errors_of(flagged) == {"business_profile.url": code}
    assert flagged.requirements.errors[0].reason  # English, for logs; platforms localize from the code


def test_a_new_requirement_after_enablement_has_a_deadline(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id)

    flagged = client.v1.accounts.update(account.id, params={"business_profile": {"url": "https://problem.stripe.com"}})

    assert flagged.requirements.currently_due == ["business_profile.url"]
    assert flagged.requirements.past_due == []
    assert flagged.requirements.current_deadline > flagged.created
    assert flagged.requirements.disabled_reason is None
    assert flagged.charges_enabled


# -- future requirements -----------------------------------------------------------------------
FUTURE_FIELDS = ("individual.political_exposure", "business_profile.product_description")


def specs_with_future(effective: int) -> CountrySpecs:
    """Return the bundled US spec with one future requirement for US individuals."""
    us = copy.deepcopy(load_country_specs().get("US"))
    assert us is not None
    return CountrySpecs([us], [FutureRequirement(frozenset({"US"}), frozenset({"individual"}), FUTURE_FIELDS,
                                                 effective)])


def test_future_requirements_are_announced_with_their_deadline(connect: Connect) -> None:
    effective = 4_102_444_800  # 2100-01-01
    sb = Sandbox(specs_with_future(effective))
    client = connect(sb)
    account = create_account(client)

    done = complete_us_individual(client, account.id)

    assert done.charges_enabled
    assert set(done.future_requirements.currently_due) == set(FUTURE_FIELDS)
    assert done.future_requirements.current_deadline == effective
    assert not set(FUTURE_FIELDS) & set(done.requirements.eventually_due)


def test_enforce_future_requirements_email_moves_them_into_requirements(connect: Connect) -> None:
    sb = Sandbox(specs_with_future(4_102_444_800))
    client = connect(sb)
    account = create_account(client, email="jenny+enforce_future_requirements@example.com")

    done = complete_us_individual(client, account.id)

    assert set(FUTURE_FIELDS) <= set(done.requirements.currently_due)
    assert done.future_requirements.currently_due == []
    assert done.future_requirements.eventually_due == []
    assert not done.charges_enabled

    fixed = client.v1.accounts.update(account.id, params={
        "individual": {"political_exposure": "none"}, "business_profile": {"product_description": "Books"}})
    assert fixed.requirements.currently_due == []
    assert fixed.charges_enabled


def test_future_requirements_apply_once_their_date_has_passed(connect: Connect) -> None:
    now = [4_102_444_800 - 86_400]
    sb = Sandbox(specs_with_future(4_102_444_800), clock=lambda: now[0])
    client = connect(sb)
    account = create_account(client)
    assert not set(FUTURE_FIELDS) & set(account.requirements.currently_due)

    now[0] += 2 * 86_400

    later = client.v1.accounts.retrieve(account.id)
    assert set(FUTURE_FIELDS) <= set(later.requirements.currently_due)
    assert later.future_requirements.eventually_due == []


def test_germany_asks_the_europe_declarations_only_eventually(client: stripe.StripeClient) -> None:
    """Stripe's Europe docs ask them only when the registry check fails (data/sources/eu1.md), not up front."""
    account = create_account(client, country="DE", business_type="company")

    assert "company.ownership_declaration.date" not in account.requirements.currently_due
    assert {"company.ownership_declaration.date", "company.directorship_declaration.ip"} <= set(
        account.requirements.eventually_due)
    assert account.future_requirements.eventually_due == []


def test_us_bank_test_number_settles_to_errored(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id)
    bad = dict(US_BANK, account_number="000111111116")

    client.v1.accounts.update(account.id, params={"external_account": bad})

    after = client.v1.accounts.retrieve(account.id)
    assert [b.status for b in after.external_accounts.data] == ["errored"]
    assert after.requirements.currently_due == ["external_account"]
    assert errors_of(after) == {"external_account": "invalid_value_other"}
    assert not after.payouts_enabled


def test_dob_under_13_is_an_error_even_while_verification_runs(
        deferred: tuple[Sandbox, stripe.StripeClient]) -> None:
    sandbox, api = deferred
    account = create_account(api)
    account = api.v1.accounts.update(account.id, params={"individual": us_person(
        dob={"day": 1, "month": 1, "year": 2020})})
    assert account.requirements.errors[0].code == "invalid_dob_age_under_minimum"
    assert "individual.dob.day" in account.requirements.currently_due
    assert "individual.first_name" in account.requirements.pending_verification


def test_account_token_records_terms_acceptance(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    token = client.v1.tokens.create(params={"account": {"business_type": "individual",
                                                        "tos_shown_and_accepted": True}})
    assert token.id.startswith("ct_")
    account = create_account(client, business_type=None)
    account = client.v1.accounts.update(account.id, params={"account_token": token.id})
    assert account.business_type == "individual"
    assert account.tos_acceptance.date == token.created and account.tos_acceptance.ip == "127.0.0.1"
    assert not {"tos_acceptance.date", "tos_acceptance.ip"} & set(account.requirements.currently_due)
    with pytest.raises(stripe.InvalidRequestError) as reused:
        client.v1.accounts.update(account.id, params={"account_token": token.id})
    assert reused.value.code == "token_already_used"
