"""Companies and their persons: representatives, owners, directors, and the requirements they carry."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import BUSINESS_PROFILE, TOS, US_BANK, Connect, create_account, error_of, us_person

US_COMPANY = {
    "name": "Rosen Books LLC", "structure": "multi_member_llc", "phone": "0000000000", "tax_id": "000000000",
    "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"},
}


def create_company(api: stripe.StripeClient, country: str = "US", **company: object) -> stripe.Account:
    """Create a company account for API onboarding."""
    return create_account(api, country=country, business_type="company", company=company or {"name": "Rosen"})


def person_fields(account: stripe.Account, person_id: str) -> set[str]:
    """Return what the account lists as currently due for one person, without the prefix."""
    prefix = f"{person_id}."
    return {f.removeprefix(prefix) for f in account.requirements.currently_due if f.startswith(prefix)}


def test_persons_create_retrieve_update_list_delete(api: stripe.StripeClient) -> None:
    account = create_company(api)
    persons = api.v1.accounts.persons

    rep = persons.create(account.id, params={"first_name": "Jenny", "last_name": "Rosen",
                                             "relationship": {"representative": True, "title": "CEO"}})
    owner = persons.create(account.id, params={"first_name": "Bob", "last_name": "Owner",
                                               "relationship": {"owner": True, "percent_ownership": 40}})
    assert rep.id.startswith("person_") and rep.object == "person" and rep.account == account.id
    assert rep.relationship.representative is True and rep.relationship.title == "CEO"
    assert owner.relationship.owner is True and owner.relationship.percent_ownership == 40

    assert persons.retrieve(account.id, rep.id).to_dict() == rep.to_dict()
    updated = persons.update(account.id, owner.id, params={"email": "bob@example.com", "metadata": {"k": "v"}})
    assert updated.email == "bob@example.com" and updated.first_name == "Bob"
    assert updated.metadata.to_dict() == {"k": "v"}

    assert [p.id for p in persons.list(account.id).data] == [owner.id, rep.id]  # newest first
    owners = persons.list(account.id, params={"relationship": {"owner": True}})
    assert [p.id for p in owners.data] == [owner.id]
    reps = persons.list(account.id, params={"relationship": {"representative": True}})
    assert [p.id for p in reps.data] == [rep.id]
    page = persons.list(account.id, params={"limit": 1})
    assert [p.id for p in page.data] == [owner.id] and page.has_more is True
    rest = persons.list(account.id, params={"limit": 1, "starting_after": owner.id})
    assert [p.id for p in rest.data] == [rep.id] and rest.has_more is False

    deleted = persons.delete(account.id, owner.id)
    assert deleted.id == owner.id and deleted.deleted is True
    assert [p.id for p in persons.list(account.id).data] == [rep.id]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        persons.retrieve(account.id, owner.id)
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


def test_a_person_of_another_account_is_missing(client: stripe.StripeClient) -> None:
    first, second = create_company(client), create_company(client)
    person = client.v1.accounts.persons.create(first.id, params={"first_name": "Jenny"})

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.persons.retrieve(second.id, person.id)
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


@pytest.mark.sandbox_args(requirement_naming="country_specs")
def test_role_fields_are_listed_by_role_until_the_person_exists(client: stripe.StripeClient) -> None:
    account = create_company(client)
    due = set(account.requirements.currently_due)
    assert {"representative.first_name", "representative.dob.day", "representative.ssn_last_4",
            "owners.first_name", "company.owners_provided", "company.tax_id"} <= due
    assert "representative.id_number" not in due and "representative.id_number" in account.requirements.eventually_due

    rep = client.v1.accounts.persons.create(account.id, params={
        "first_name": "Jenny", "last_name": "Rosen", "relationship": {"representative": True}})

    after = client.v1.accounts.retrieve(account.id)
    assert not [f for f in after.requirements.currently_due if f.startswith("representative.")]
    assert {"dob.day", "address.line1", "ssn_last_4", "relationship.title", "email"} <= person_fields(after, rep.id)
    assert "first_name" not in person_fields(after, rep.id)
    # The person's own requirements hash says the same without the prefix.
    assert set(rep.requirements.currently_due) == person_fields(after, rep.id)
    assert set(rep.requirements.past_due) == set(rep.requirements.currently_due)
    assert set(rep.requirements.to_dict()) == {"alternatives", "currently_due", "errors", "eventually_due", "past_due",
                                     "pending_verification"}
    assert "owners.first_name" in after.requirements.currently_due  # no owner yet

    client.v1.accounts.persons.delete(account.id, rep.id)
    again = client.v1.accounts.retrieve(account.id)
    assert "representative.first_name" in again.requirements.currently_due
    assert not [f for f in again.requirements.currently_due if f.startswith("person_")]


@pytest.mark.sandbox_args(requirement_naming="country_specs")
def test_owners_provided_stops_asking_for_owners(client: stripe.StripeClient) -> None:
    account = create_company(client)
    assert account.company.owners_provided is False

    updated = client.v1.accounts.update(account.id, params={"company": {"owners_provided": True}})

    assert updated.company.owners_provided is True
    assert not [f for f in updated.requirements.currently_due if f.startswith("owners.")]
    assert "company.owners_provided" not in updated.requirements.currently_due
    assert "representative.first_name" in updated.requirements.currently_due


def test_there_is_only_one_representative(client: stripe.StripeClient) -> None:
    account = create_company(client)
    persons = client.v1.accounts.persons
    first = persons.create(account.id, params={"first_name": "Ann", "relationship": {"representative": True}})

    second = persons.create(account.id, params={"first_name": "Bea", "relationship": {"representative": True}})

    assert second.relationship.representative is True
    assert persons.retrieve(account.id, first.id).relationship.representative is False
    reps = persons.list(account.id, params={"relationship": {"representative": True}}).data
    assert [p.id for p in reps] == [second.id]

    persons.update(account.id, first.id, params={"relationship": {"representative": True}})
    reps = persons.list(account.id, params={"relationship": {"representative": True}}).data
    assert [p.id for p in reps] == [first.id]


def test_us_company_with_two_owners_onboards_to_enabled(api: stripe.StripeClient) -> None:
    account = create_company(api, **US_COMPANY)
    api.v1.accounts.update(account.id, params={
        "business_profile": BUSINESS_PROFILE, "tos_acceptance": TOS,
        "external_account": dict(US_BANK, account_holder_type="company", account_holder_name="Rosen Books LLC")})
    persons = api.v1.accounts.persons
    rep = persons.create(account.id, params=us_person(
        relationship={"representative": True, "executive": True, "owner": True, "percent_ownership": 60,
                      "title": "CEO"}))
    partly = api.v1.accounts.retrieve(account.id)
    assert partly.requirements.currently_due == ["company.owners_provided"]
    assert not partly.charges_enabled

    owner = persons.create(account.id, params=us_person(
        first_name="Bob", email="bob@example.com", relationship={"owner": True, "percent_ownership": 40}))
    done = api.v1.accounts.update(account.id, params={"company": {"owners_provided": True}})
    done = api.v1.accounts.retrieve(account.id)

    assert done.requirements.currently_due == [] and done.requirements.past_due == []
    assert done.requirements.disabled_reason is None
    assert done.charges_enabled and done.payouts_enabled and done.details_submitted
    assert done.company.tax_id_provided is True and done.company.owners_provided is True
    assert [p.id for p in persons.list(account.id, params={"relationship": {"owner": True}}).data] == [
        owner.id, rep.id]
    assert persons.retrieve(account.id, owner.id).verification.status == "verified"


@pytest.mark.parametrize(("tax_id", "code"), [("111111111", "verification_failed_tax_id_match"),
                                              ("111111112", "verification_failed_tax_id_not_issued")])
def test_company_tax_id_test_values(client: stripe.StripeClient, tax_id: str, code: str) -> None:
    account = create_company(client, name="Rosen Books LLC", tax_id=tax_id)

    after = client.v1.accounts.retrieve(account.id)

    assert "company.tax_id" in after.requirements.currently_due
    assert {e.requirement: e.code for e in after.requirements.errors}["company.tax_id"] == code
    assert {"original_fields_due": ["company.tax_id"],
            "alternative_fields_due": ["company.verification.document"]} in [
        a.to_dict() for a in after.requirements.alternatives]

    fixed = client.v1.accounts.update(account.id, params={"company": {"tax_id": "000000000"}})
    fixed = client.v1.accounts.retrieve(fixed.id)
    assert "company.tax_id" not in fixed.requirements.currently_due and fixed.requirements.errors == []


def test_company_tax_id_is_pending_until_settled(connect: Connect) -> None:
    sb = Sandbox(auto_settle=False)
    client = connect(sb)
    account = create_company(client, name="Rosen Books LLC", tax_id="000000000")
    assert account.requirements.pending_verification == ["company.tax_id"]

    sb.settle()

    assert client.v1.accounts.retrieve(account.id).requirements.pending_verification == []
    immediate = create_company(client, name="Rosen Books LLC", tax_id="222222222")
    assert immediate.requirements.pending_verification == []
    sb.close()


@pytest.mark.sandbox_args(requirement_naming="country_specs")
def test_gb_company_directors(api: stripe.StripeClient) -> None:
    account = create_company(api, country="GB", name="Rosen Ltd")
    due = set(account.requirements.currently_due)
    assert {"company.directors_provided", "directors.first_name", "directors.dob.day"} <= due

    director = api.v1.accounts.persons.create(account.id, params={
        "first_name": "Ann", "last_name": "Lee", "relationship": {"director": True}})

    after = api.v1.accounts.retrieve(account.id)
    assert not [f for f in after.requirements.currently_due if f.startswith("directors.")]
    assert {"dob.day", "email", "relationship.title"} <= person_fields(after, director.id)
    assert "company.directors_provided" in after.requirements.currently_due

    provided = api.v1.accounts.update(account.id, params={"company": {"directors_provided": True}})
    assert provided.company.directors_provided is True
    assert "company.directors_provided" not in provided.requirements.currently_due
    directors = api.v1.accounts.persons.list(account.id, params={"relationship": {"director": True}}).data
    assert [p.id for p in directors] == [director.id]


def test_gb_company_person_without_verified_dob_needs_a_document(client: stripe.StripeClient) -> None:
    account = create_company(client, country="GB", name="Rosen Ltd")
    person = client.v1.accounts.persons.create(account.id, params={
        "first_name": "Ann", "last_name": "Lee", "dob": {"day": 15, "month": 6, "year": 1985},
        "address": {"line1": "address_full_match", "city": "London", "postal_code": "EC1A 1BB"},
        "relationship": {"owner": True, "percent_ownership": 100}})

    after = client.v1.accounts.retrieve(account.id)

    assert "verification.document" in person_fields(after, person.id)
    refreshed = client.v1.accounts.persons.retrieve(account.id, person.id)
    assert "verification.document" in refreshed.requirements.currently_due
    assert [e.code for e in refreshed.requirements.errors] == ["verification_failed_keyed_identity"]


def test_unknown_person_and_account(client: stripe.StripeClient) -> None:
    account = create_company(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.persons.update(account.id, "person_nope", params={"first_name": "X"})
    assert excinfo.value.http_status == 404
    assert error_of(excinfo)["code"] == "resource_missing"
    with pytest.raises(stripe.PermissionError) as excinfo:
        client.v1.accounts.persons.list("acct_nope")
    assert excinfo.value.http_status == 403
