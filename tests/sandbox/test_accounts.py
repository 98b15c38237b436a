"""Connected accounts for API onboarding: create, retrieve, update, list, delete, and the rules on creation."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import API_ONBOARDING, CAPABILITIES, create_account, error_of

US_INDIVIDUAL_DUE = {
    "business_profile.mcc", "business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip",
    "individual.first_name", "individual.last_name", "individual.dob.day", "individual.dob.month",
    "individual.dob.year", "individual.address.line1", "individual.address.city", "individual.address.state",
    "individual.address.postal_code", "individual.email", "individual.phone", "individual.ssn_last_4",
}


def test_create_for_api_onboarding_is_a_custom_account_with_everything_past_due(api: stripe.StripeClient) -> None:
    account = create_account(api, email="jenny@example.com")

    assert account.id.startswith("acct_")
    assert account.type == "custom"
    assert account.controller.requirement_collection == "application"
    assert account.controller.stripe_dashboard.type == "none"
    assert account.controller.fees.payer == "application"
    assert account.controller.losses.payments == "application"
    assert account.country == "US" and account.default_currency == "usd"
    assert account.tos_acceptance.service_agreement == "full"
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert not account.charges_enabled and not account.payouts_enabled and not account.details_submitted
    requirements = account.requirements
    assert set(requirements.currently_due) == US_INDIVIDUAL_DUE
    assert "individual.id_number" not in requirements.currently_due
    assert "individual.id_number" in requirements.eventually_due
    assert set(requirements.currently_due) <= set(requirements.eventually_due)
    assert requirements.past_due == requirements.currently_due
    assert requirements.disabled_reason == "requirements.past_due"
    assert requirements.errors == [] and requirements.pending_verification == []


def test_the_legacy_type_custom_is_the_same_controller(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "custom", "country": "US", "capabilities": CAPABILITIES})

    assert account.type == "custom"
    assert account.controller.requirement_collection == "application"
    assert account.controller.stripe_dashboard.type == "none"


def test_before_the_business_type_only_shared_fields_are_due(client: stripe.StripeClient) -> None:
    account = create_account(client, business_type=None)

    assert account.business_type is None
    assert not [f for f in account.requirements.currently_due if f.startswith("individual.")]
    assert "business_profile.mcc" in account.requirements.currently_due


def test_retrieve_update_and_delete(api: stripe.StripeClient) -> None:
    created = create_account(api)

    updated = api.v1.accounts.update(created.id, params={
        "email": "new@example.com", "metadata": {"ref": "42"},
        "business_profile": {"mcc": "5734", "url": "https://accessible.stripe.com", "name": "Rosen Books"},
    })
    assert updated.email == "new@example.com"
    assert updated.metadata.to_dict() == {"ref": "42"}
    assert updated.business_profile.name == "Rosen Books"
    assert "business_profile.mcc" not in updated.requirements.currently_due
    assert "business_profile.url" not in updated.requirements.currently_due

    fetched = api.v1.accounts.retrieve(created.id)
    assert fetched.to_dict() == updated.to_dict()

    # An empty string unsets a value.
    unset = api.v1.accounts.update(created.id, params={"metadata": {"ref": ""}})
    assert unset.metadata.to_dict() == {}

    deleted = api.v1.accounts.delete(created.id)
    assert deleted.id == created.id and deleted.deleted is True
    with pytest.raises(stripe.PermissionError) as excinfo:  # gone: the key has no access to it any more
        api.v1.accounts.retrieve(created.id)
    assert excinfo.value.http_status == 403
    assert excinfo.value.error.code == "account_invalid"
    assert created.id not in [a.id for a in api.v1.accounts.list(params={"limit": 100}).data]


def test_list_is_newest_first_and_pages(api: stripe.StripeClient) -> None:
    ids = [create_account(api, metadata={"n": str(n)}).id for n in range(5)]
    newest_first = list(reversed(ids))

    first = api.v1.accounts.list(params={"limit": 2})
    assert [a.id for a in first.data] == newest_first[:2]
    assert first.has_more is True
    second = api.v1.accounts.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert [a.id for a in second.data] == newest_first[2:4]
    assert second.has_more is True
    last = api.v1.accounts.list(params={"limit": 2, "starting_after": second.data[-1].id})
    assert [a.id for a in last.data] == newest_first[4:]
    assert last.has_more is False
    back = api.v1.accounts.list(params={"limit": 2, "ending_before": newest_first[4]})
    assert [a.id for a in back.data] == newest_first[2:4]
    everything = api.v1.accounts.list(params={"limit": 100})
    assert [a.id for a in everything.data] == newest_first and everything.has_more is False
    assert [a.id for a in api.v1.accounts.list(params={"limit": 2}).auto_paging_iter()] == newest_first


def test_recipient_agreement_cannot_request_card_payments(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        create_account(client, tos_acceptance={"service_agreement": "recipient"})
    assert excinfo.value.http_status == 400
    assert excinfo.value.param == "capabilities[card_payments][requested]"
    assert sandbox.store.accounts == {}

    recipient = create_account(client, tos_acceptance={"service_agreement": "recipient"},
                               capabilities={"transfers": {"requested": True}})
    assert recipient.tos_acceptance.service_agreement == "recipient"
    assert recipient.capabilities.to_dict() == {"transfers": "inactive"}


def test_service_agreement_cannot_change(client: stripe.StripeClient) -> None:
    account = create_account(client)

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.update(account.id, params={"tos_acceptance": {"service_agreement": "recipient"}})
    assert excinfo.value.http_status == 400
    assert excinfo.value.param == "tos_acceptance[service_agreement]"
    assert client.v1.accounts.retrieve(account.id).tos_acceptance.service_agreement == "full"
    # Naming the agreement it already has is fine.
    same = client.v1.accounts.update(account.id, params={"tos_acceptance": {"service_agreement": "full"}})
    assert same.tos_acceptance.service_agreement == "full"


def test_government_entity_is_us_only(client: stripe.StripeClient) -> None:
    us = create_account(client, business_type="government_entity")
    assert us.business_type == "government_entity"
    assert any(f.startswith("company.") for f in us.requirements.currently_due)

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        create_account(client, country="GB", business_type="government_entity")
    assert excinfo.value.http_status == 400
    assert excinfo.value.param == "business_type"


@pytest.mark.parametrize("country", ["ZZ", "CN"])
def test_unknown_country_is_unsupported(client: stripe.StripeClient, country: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        create_account(client, country=country)
    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "country_unsupported"
    assert error_of(excinfo)["param"] == "country"


def test_api_onboarding_without_capabilities_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.create(params={"country": "US", "controller": API_ONBOARDING})
    assert excinfo.value.code == "parameter_missing"
    assert excinfo.value.param == "capabilities"


@pytest.mark.parametrize(("country", "currency", "has"), [
    ("GB", "gbp", "individual.address.postal_code"),
    ("DE", "eur", "individual.phone"),  # political_exposure is only eventually since issue 13 (sources/eu1.md)
    ("JP", "jpy", "individual.first_name_kana"),
])
def test_other_countries_ask_their_spec(client: stripe.StripeClient, country: str, currency: str, has: str) -> None:
    account = create_account(client, country=country)
    spec = client.v1.country_specs.retrieve(country)

    assert account.default_currency == currency
    assert has in account.requirements.currently_due
    minimum = set(spec.verification_fields.individual.minimum)
    assert set(account.requirements.currently_due) <= minimum
