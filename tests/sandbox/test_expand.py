"""`expand[]`: expandable ids come back as objects; a path that names nothing expandable is Stripe's 400."""

from __future__ import annotations

import io

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import complete_us_individual, create_account, error_of, png, us_person

FRONT = "individual.verification.document.front"


def upload(api: stripe.StripeClient, purpose: str = "identity_document") -> stripe.File:
    """Upload a small PNG."""
    return api.v1.files.create(params={"purpose": purpose, "file": io.BytesIO(png())})


def documented_account(api: stripe.StripeClient) -> tuple[stripe.Account, stripe.File, stripe.File]:
    """Return an individual account whose identity documents are uploaded files."""
    front, extra = upload(api), upload(api, "additional_verification")
    account = create_account(api)
    complete_us_individual(api, account.id, verification={
        "document": {"front": front.id}, "additional_document": {"front": extra.id}})
    return account, front, extra


def refused(call: object) -> stripe.InvalidRequestError:
    """Run a call that must be refused as a bad expansion and return the error."""
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        call()  # type: ignore[operator]
    assert excinfo.value.http_status == 400
    return excinfo.value


def test_retrieve_expands_the_identity_documents_into_file_objects(api: stripe.StripeClient) -> None:
    account, front, extra = documented_account(api)

    expanded = api.v1.accounts.retrieve(account.id, params={
        "expand": [FRONT, "individual.verification.additional_document.front"]})

    verification = expanded.individual.verification
    assert isinstance(verification.document.front, stripe.File)
    assert verification.document.front.to_dict() == api.v1.files.retrieve(front.id).to_dict()
    assert verification.additional_document.front.id == extra.id
    assert verification.additional_document.front.purpose == "additional_verification"
    assert verification.document.back is None  # nothing to expand stays null
    assert api.v1.accounts.retrieve(account.id).individual.verification.document.front == front.id


def test_writes_and_lists_expand_too(client: stripe.StripeClient) -> None:
    account, front, _ = documented_account(client)

    updated = client.v1.accounts.update(account.id, params={"email": "new@example.com", "expand": [FRONT]})
    listed = client.v1.accounts.list(params={"expand": [f"data.{FRONT}"]})
    banks = client.v1.accounts.external_accounts.list(account.id, params={"expand": ["data.account"]})

    assert updated.individual.verification.document.front.id == front.id
    assert listed.data[0].individual.verification.document.front.object == "file"
    assert isinstance(banks.data[0].account, stripe.Account) and banks.data[0].account.id == account.id


def test_a_persons_documents_expand_on_the_person(client: stripe.StripeClient) -> None:
    front = upload(client)
    company = create_account(client, business_type="company")
    person = client.v1.accounts.persons.create(company.id, params=us_person(
        relationship={"representative": True}, verification={"document": {"front": front.id}}))

    expanded = client.v1.accounts.persons.retrieve(company.id, person.id,
                                                   params={"expand": ["verification.document.front"]})
    listed = client.v1.accounts.persons.list(company.id, params={"expand": ["data.verification.document.front"]})

    assert expanded.verification.document.front.id == front.id
    assert listed.data[0].verification.document.front.size == front.size


def test_stripes_test_document_token_expands_to_a_file(client: stripe.StripeClient) -> None:
    account = create_account(client)
    complete_us_individual(client, account.id, verification={"document": {"front": "file_identity_document_success"}})

    expanded = client.v1.accounts.retrieve(account.id, params={"expand": [FRONT]})

    assert expanded.individual.verification.document.front.object == "file"
    assert expanded.individual.verification.document.front.id == "file_identity_document_success"


@pytest.mark.parametrize(("path", "named"), [
    ("bogus", "bogus"),
    ("email", "email"),  # a field, but not an expandable one
    ("individual.verification.status", "individual.verification.status"),
    ("individual.verification.document.front.bogus", "individual.verification.document.front.bogus"),
    ("individual.bogus.front", "individual.bogus"),
])
def test_a_path_that_names_nothing_expandable_is_a_400(api: stripe.StripeClient, path: str, named: str) -> None:
    account = create_account(api)

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        api.v1.accounts.retrieve(account.id, params={"expand": [path]})

    assert excinfo.value.http_status == 400
    # Stripe's answer as public code quotes it: a message, no `param`, no `code`.
    assert {k: v for k, v in error_of(excinfo).items() if k != "request_log_url"} == {
        "type": "invalid_request_error", "message": f"This property cannot be expanded ({named})."}


@pytest.mark.parametrize("path", ["individual", "individual.verification.document", "external_accounts"])
def test_a_path_ending_on_an_inline_object_changes_nothing(client: stripe.StripeClient, path: str) -> None:
    account = create_account(client)

    expanded = client.v1.accounts.retrieve(account.id, params={"expand": [path]})

    assert expanded.to_dict() == client.v1.accounts.retrieve(account.id).to_dict()


def test_a_list_path_without_data_gets_stripes_hint(client: stripe.StripeClient) -> None:
    error = refused(lambda: client.v1.accounts.list(params={"expand": [FRONT]}))

    assert str(error.user_message) == ("This property cannot be expanded (individual). "
                                       "You may want to try expanding 'data.individual' instead.")
    assert refused(lambda: client.v1.accounts.list(params={"expand": ["data.bogus"]})).user_message == (
        "This property cannot be expanded (data.bogus).")
    assert client.v1.accounts.list(params={"expand": ["data"]}).object == "list"  # accepted, changes nothing


def test_an_events_object_is_not_expandable(client: stripe.StripeClient) -> None:
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    event = client.v1.events.list().data[0]

    error = refused(lambda: client.v1.events.retrieve(event.id, params={"expand": ["data.object"]}))

    assert error.user_message == "This property cannot be expanded (data.object)."


def test_a_bad_path_is_refused_before_anything_runs(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    refused(lambda: client.v1.accounts.create(params={"country": "US", "email": "a@example.com",
                                                      "expand": ["bogus"]}))
    assert sandbox.store.accounts == {}  # nothing was written

    # On an id that does not exist the bad path outranks the 403/404.
    refused(lambda: client.v1.accounts.retrieve("acct_missing", params={"expand": ["bogus"]}))
    refused(lambda: client.v1.files.retrieve("file_missing", params={"expand": ["bogus"]}))
