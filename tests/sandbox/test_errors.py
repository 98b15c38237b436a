"""Errors as the SDK sees them: classes, HTTP statuses, `param`, `code` and the error envelope."""

from __future__ import annotations

import io
import json
import urllib.error
from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_sandbox import API_VERSION, Request, Sandbox

from .helpers import Connect, create_account, error_of, loopback_open, pdf


def invalid(call: Callable[[], Any]) -> stripe.InvalidRequestError:
    """Run a call that must fail with an InvalidRequestError and return it."""
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        call()
    return excinfo.value


@pytest.mark.sends_unknown_params
def test_unknown_parameter(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    error = invalid(lambda: create_account(api, individual={"first_name": "J", "favourite_colour": "red"}))

    assert error.http_status == 400
    assert error.code == "parameter_unknown"
    assert error.param == "individual[favourite_colour]"
    assert "favourite_colour" in error.user_message
    assert sandbox.store.accounts == {}


@pytest.mark.sends_unknown_params
def test_unknown_top_level_parameter_on_update(client: stripe.StripeClient) -> None:
    account = create_account(client)
    params: dict[str, Any] = {"country": "GB"}
    error = invalid(lambda: client.v1.accounts.update(account.id, params=params))  # type: ignore[arg-type]
    assert error.code == "parameter_unknown" and error.param == "country"


def test_bad_enum_value(api: stripe.StripeClient) -> None:
    error = invalid(lambda: create_account(api, business_type="person"))

    assert error.http_status == 400
    assert error.param == "business_type"
    assert "individual" in error.user_message and "company" in error.user_message


def test_bad_integer(api: stripe.StripeClient) -> None:
    account = create_account(api)
    error = invalid(lambda: api.v1.accounts.update(account.id, params={
        "individual": {"dob": {"day": 1, "month": 1, "year": "nineteen"}}}))  # type: ignore[typeddict-item]

    assert error.http_status == 400
    assert error.code == "parameter_invalid_integer"
    assert error.param == "individual[dob][year]"


def test_bad_boolean(client: stripe.StripeClient) -> None:
    error = invalid(lambda: create_account(client, capabilities={"transfers": {"requested": "maybe"}}))
    assert error.param == "capabilities[transfers][requested]"


def test_empty_string_for_a_value_that_cannot_be_unset(client: stripe.StripeClient) -> None:
    account = create_account(client)
    error = invalid(lambda: client.v1.accounts.update(account.id, params={"business_profile": {"name": ""}}))
    assert error.code == "parameter_invalid_empty" and error.param == "business_profile[name]"


@pytest.mark.parametrize(("params", "param", "code"), [
    ({"email": "not-an-email"}, "email", "email_invalid"),
    ({"individual": {"email": "x@"}}, "individual[email]", "email_invalid"),
    ({"individual": {"phone": "12"}}, "individual[phone]", None),
    ({"individual": {"ssn_last_4": "12a4"}}, "individual[ssn_last_4]", None),
    ({"individual": {"id_number": "1234"}}, "individual[id_number]", None),
    ({"tos_acceptance": {"ip": "300.1.1.1"}}, "tos_acceptance[ip]", None),
    ({"business_profile": {"mcc": "12"}}, "business_profile[mcc]", None),
    ({"business_profile": {"url": "not a url"}}, "business_profile[url]", "url_invalid"),
])
def test_values_stripe_checks_on_write(client: stripe.StripeClient, params: dict, param: str,
                                       code: str | None) -> None:
    account = create_account(client)
    error = invalid(lambda: client.v1.accounts.update(account.id, params=params))

    assert error.http_status == 400
    assert error.param == param
    assert error.code == code
    assert client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()  # nothing applied


@pytest.mark.parametrize("what", ["account", "account_update", "account_delete", "persons", "external_accounts"])
def test_an_account_the_key_cannot_reach_is_403_account_invalid(api: stripe.StripeClient, what: str) -> None:
    """Live Stripe answers 403 for an unknown or another platform's account, not 404 (the SDK: PermissionError)."""
    calls: dict[str, Callable[[], Any]] = {
        "account": lambda: api.v1.accounts.retrieve("acct_1Missing0000000"),
        "account_update": lambda: api.v1.accounts.update("acct_1Missing0000000", params={"email": "a@b.co"}),
        "account_delete": lambda: api.v1.accounts.delete("acct_1Missing0000000"),
        "persons": lambda: api.v1.accounts.persons.list("acct_1Missing0000000"),
        "external_accounts": lambda: api.v1.accounts.external_accounts.list("acct_1Missing0000000"),
    }
    with pytest.raises(stripe.PermissionError) as excinfo:
        calls[what]()
    assert excinfo.value.http_status == 403 and error_of(excinfo)["code"] == "account_invalid"
    assert "does not have access to account 'acct_1Missing0000000'" in excinfo.value.user_message


@pytest.mark.parametrize("what", ["person", "external_account", "file", "country_spec", "event"])
def test_unknown_ids_are_404_resource_missing(api: stripe.StripeClient, what: str) -> None:
    account = create_account(api)
    calls: dict[str, Callable[[], Any]] = {
        "person": lambda: api.v1.accounts.persons.retrieve(account.id, "person_missing"),
        "external_account": lambda: api.v1.accounts.external_accounts.retrieve(account.id, "ba_missing"),
        "file": lambda: api.v1.files.retrieve("file_missing"),
        "country_spec": lambda: api.v1.country_specs.retrieve("XX"),
        "event": lambda: api.v1.events.retrieve("evt_missing"),
    }
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        calls[what]()
    assert excinfo.value.http_status == 404
    assert excinfo.value.code == "resource_missing"
    assert "No such" in excinfo.value.user_message


def test_error_envelope(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.files.retrieve("file_missing")
    error = error_of(excinfo)

    assert error["type"] == "invalid_request_error"
    assert error["message"] == "No such file upload: 'file_missing'"
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"
    request_id = excinfo.value.request_id
    assert request_id and request_id.startswith("req_")
    assert error["request_log_url"].endswith(request_id)


def test_unrecognized_url(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.raw_request("get", "/v1/no_such_things")
    assert excinfo.value.http_status == 404
    assert "Unrecognized request URL" in excinfo.value.user_message


@pytest.mark.parametrize("key", ["sk_test_", "nonsense_key", "pk_test_123456789"])
def test_invalid_api_key(connect: Connect, sandbox: Sandbox, transport: str, key: str) -> None:
    bad = connect(sandbox, transport, api_key=key)
    with pytest.raises(stripe.AuthenticationError) as excinfo:
        bad.v1.accounts.list()
    assert excinfo.value.http_status == 401


def test_live_keys_are_refused(connect: Connect, sandbox: Sandbox) -> None:
    for key in ("sk_live_123456789", "rk_live_123456789"):
        live = connect(sandbox, api_key=key)
        with pytest.raises(stripe.AuthenticationError) as excinfo:
            create_account(live)
        assert "live" in excinfo.value.user_message
    assert sandbox.store.accounts == {}


def test_restricted_test_keys_work(connect: Connect, sandbox: Sandbox) -> None:
    assert create_account(connect(sandbox, api_key="rk_test_123")).id.startswith("acct_")


def test_missing_api_key_in_process(sandbox: Sandbox) -> None:
    response = sandbox.handle(Request("GET", "/v1/accounts"))

    assert response.status == 401
    assert json.loads(response.body)["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in json.loads(response.body)["error"]["message"]


def test_missing_api_key_over_http(sandbox_server: Any, sandbox: Sandbox) -> None:
    sandbox_server.sandbox = sandbox
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        loopback_open(f"{sandbox_server.url}/v1/accounts")
    with excinfo.value as response:
        assert response.code == 401
        assert "API key" in json.loads(response.read())["error"]["message"]


def test_the_sdk_pins_the_api_version(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = create_account(client)

    assert account.last_response.headers["stripe-version"] == API_VERSION
    assert [entry["stripe_version"] for entry in sandbox.log] == [API_VERSION]


def test_unknown_file_purpose(client: stripe.StripeClient) -> None:
    params: dict[str, Any] = {"purpose": "no_such_purpose", "file": io.BytesIO(pdf())}
    error = invalid(lambda: client.v1.files.create(params=params))  # type: ignore[arg-type]
    assert error.param == "purpose"
