"""Stripe's testing-verification walk-through (Accounts v1), replayed with the SDK against the sandbox.

docs.stripe.com/connect/testing-verification, read 2026-12-06 (summarised in the project's Stripe
reference notes): a US company created with controller properties, `external_account=btok_us` and
`tos_acceptance` lists its company fields plus `relationship.representative` and
`relationship.owner`; a representative is then asked its own fields, under its id on the account;
an 80% owner given a name and an e-mail owes nothing more, but `company.owners_provided` is needed
because the ownership adds up to less than 100%; after that nothing is due and charges are enabled.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import API_ONBOARDING, CAPABILITIES, TOS, Connect

COMPANY = {"name": "Rosen Software Inc.", "tax_id": "000000000", "phone": "0000000000",
           "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"}}
PROFILE = {"mcc": "5734", "url": "https://accessible.stripe.com", "product_description": "Software",
           "name": "Rosen Software"}
REPRESENTATIVE_OWES = {"address.city", "address.line1", "address.postal_code", "address.state", "dob.day",
                       "dob.month", "dob.year", "email", "phone", "relationship.executive", "ssn_last_4"}


def _create(api: stripe.StripeClient) -> stripe.Account:
    return api.v1.accounts.create(params={
        "country": "US", "business_type": "company", "controller": API_ONBOARDING, "capabilities": CAPABILITIES,
        "external_account": "btok_us", "tos_acceptance": TOS})


def _on_account(account: stripe.Account, person_id: str, prefix: str = "") -> set[str]:
    """Return what the account lists for one person, without the person's prefix."""
    head = f"{prefix}{person_id}."
    return {r.removeprefix(head) for r in account.requirements.currently_due if r.startswith(head)}


@pytest.mark.parametrize("transport", ["in_process", "http"])
def test_the_us_company_walk_through(connect: Connect, transport: str) -> None:
    sandbox = Sandbox()
    api = connect(sandbox, transport)
    try:
        account = _create(api)
        due = set(account.requirements.currently_due)
        assert {"relationship.representative", "relationship.owner", "company.name", "company.tax_id",
                "business_profile.mcc"} <= due
        # No per-field role paths, and no owners_provided before anyone owns anything.
        assert not {r for r in due if r.startswith(("representative.", "owners.", "person_"))}
        assert "company.owners_provided" not in due

        account = api.v1.accounts.update(account.id, params={"company": COMPANY, "business_profile": PROFILE})
        assert account.requirements.currently_due == ["relationship.owner", "relationship.representative"]

        persons = api.v1.accounts.persons
        representative = persons.create(account.id, params={
            "first_name": "Jenny", "last_name": "Rosen", "relationship": {"representative": True, "title": "CEO"}})
        assert set(representative.requirements.currently_due) == REPRESENTATIVE_OWES
        account = api.v1.accounts.retrieve(account.id)
        assert _on_account(account, representative.id) == REPRESENTATIVE_OWES
        assert set(account.requirements.currently_due) == {
            f"{representative.id}.{f}" for f in REPRESENTATIVE_OWES} | {"relationship.owner"}

        persons.update(account.id, representative.id, params={
            "dob": {"day": 1, "month": 1, "year": 1901}, "ssn_last_4": "0000", "phone": "0000000000",
            "email": "jenny@example.com", "relationship": {"executive": True},
            "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA",
                        "postal_code": "94103"}})
        sandbox.settle()  # "verifies shortly after": the in-process control finishes it now
        assert api.v1.accounts.retrieve(account.id).requirements.currently_due == ["relationship.owner"]

        owner = persons.create(account.id, params={
            "first_name": "Kathleen", "last_name": "Banks", "email": "kathleen@example.com",
            "relationship": {"owner": True, "percent_ownership": 80}})
        assert owner.requirements.currently_due == []
        account = api.v1.accounts.retrieve(account.id)
        assert account.requirements.currently_due == ["company.owners_provided"]

        account = api.v1.accounts.update(account.id, params={"company": {"owners_provided": True}})
        assert account.requirements.currently_due == []
        assert account.charges_enabled is True and account.payouts_enabled is True
        assert account.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    finally:
        sandbox.close()


def test_owners_holding_everything_need_no_owners_provided(client: stripe.StripeClient) -> None:
    account = _create(client)
    client.v1.accounts.update(account.id, params={"company": COMPANY, "business_profile": PROFILE})
    for share in (60, 40):
        client.v1.accounts.persons.create(account.id, params={
            "first_name": "Owner", "last_name": str(share), "email": f"o{share}@example.com",
            "relationship": {"owner": True, "percent_ownership": share}})
    due = client.v1.accounts.retrieve(account.id).requirements.currently_due
    assert "company.owners_provided" not in due and "relationship.owner" not in due
    assert "relationship.representative" in due


def test_owners_provided_alone_answers_that_nobody_owns_enough(client: stripe.StripeClient) -> None:
    account = _create(client)
    account = client.v1.accounts.update(account.id, params={"company": {**COMPANY, "owners_provided": True}})
    assert "relationship.owner" not in account.requirements.currently_due


@pytest.mark.sandbox_args(person_prefix=True)
def test_persons_can_be_named_as_the_page_prints_them(client: stripe.StripeClient) -> None:
    account = _create(client)
    representative = client.v1.accounts.persons.create(account.id, params={
        "first_name": "Jenny", "last_name": "Rosen", "relationship": {"representative": True, "title": "CEO"}})
    account = client.v1.accounts.retrieve(account.id)
    assert _on_account(account, representative.id, "person.") == REPRESENTATIVE_OWES
    assert set(representative.requirements.currently_due) == REPRESENTATIVE_OWES  # its own hash has no prefix


@pytest.mark.sandbox_args(requirement_naming="country_specs")
def test_the_country_specs_naming_stays_available(client: stripe.StripeClient) -> None:
    due = set(_create(client).requirements.currently_due)
    assert {"representative.first_name", "owners.first_name", "company.owners_provided"} <= due
    assert not {r for r in due if r.startswith("relationship.")}


def test_an_unknown_naming_is_refused() -> None:
    with pytest.raises(ValueError, match="requirement naming"):
        Sandbox(requirement_naming="v2")


@pytest.mark.parametrize("country", ["GB", "DE"])
def test_european_roles_are_asked_as_relationships_until_someone_holds_them(client: stripe.StripeClient,
                                                                           country: str) -> None:
    account: Any = client.v1.accounts.create(params={
        "country": country, "business_type": "company", "controller": API_ONBOARDING, "capabilities": CAPABILITIES})
    due = set(account.requirements.currently_due)
    assert {"relationship.representative", "relationship.owner", "relationship.director"} <= due
    assert "company.directors_provided" not in due  # asked once a director exists (an assumption)
    director = client.v1.accounts.persons.create(account.id, params={
        "first_name": "Ann", "last_name": "Lee", "relationship": {"director": True}})
    due = set(client.v1.accounts.retrieve(account.id).requirements.currently_due)
    assert "relationship.director" not in due and "company.directors_provided" in due
    assert f"{director.id}.relationship.title" in due
