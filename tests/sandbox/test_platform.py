"""The platform's "Accounts v1 support" setting: off, account creation is refused as Stripe refuses a new platform."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.server import SandboxServer

from .helpers import API_ONBOARDING, CAPABILITIES, create_account, error_of, loopback_open

# Stripe's words, kept here apart from the sandbox's copy so that an edit to either one shows.
STRIPE_SAYS = (
    "Stripe no longer recommends Accounts v1 for new Connect integrations. Create connected accounts with POST "
    "/v2/core/accounts instead: https://docs.stripe.com/api/v2/core/accounts. Read more about Accounts v2: "
    "https://docs.stripe.com/connect/accounts-v2/account-creation. If your integration requires v1 account creation "
    "for a supported compatibility scenario, enable Accounts v1 support in the Dashboard: "
    "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support. For agent-based integrations, use "
    "Stripe's current best-practices skill: npx skills add stripe/ai."
)


def control(server: SandboxServer, method: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    """Call `/_sandbox/platform` and return the status and the JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{server.url}/_sandbox/platform", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with loopback_open(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_accounts_v1_is_on_by_default(sandbox: Sandbox) -> None:
    assert sandbox.accounts_v1 is True
    assert Sandbox(accounts_v1=False).accounts_v1 is False


def test_without_accounts_v1_creation_is_refused_with_stripes_words(api: stripe.StripeClient,
                                                                    sandbox: Sandbox) -> None:
    sandbox.accounts_v1 = False
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        create_account(api)
    error = error_of(excinfo)

    assert excinfo.value.http_status == 400
    assert error["type"] == "invalid_request_error" and error["message"] == STRIPE_SAYS
    assert "code" not in error and "param" not in error and "doc_url" not in error
    assert excinfo.value.code is None and excinfo.value.param is None
    assert sandbox.store.accounts == {} and sandbox.store.events == {}
    assert [(e["operation"], e["status"]) for e in sandbox.log] == [("accounts.create", 400)]


def test_accounts_made_before_keep_working_without_accounts_v1(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = create_account(api)
    sandbox.accounts_v1 = False

    assert api.v1.accounts.retrieve(account.id).id == account.id
    assert api.v1.accounts.update(account.id, params={"email": "jenny@example.com"}).email == "jenny@example.com"
    assert [a.id for a in api.v1.accounts.list().data] == [account.id]


def _create_keyed(api: stripe.StripeClient, key: str) -> stripe.Account:
    return api.v1.accounts.create(params={"country": "US", "controller": API_ONBOARDING, "capabilities": CAPABILITIES},
                                  options={"idempotency_key": key})


def test_the_refusal_is_replayed_for_its_key_and_a_new_key_creates_once_enabled(client: stripe.StripeClient,
                                                                                 sandbox: Sandbox) -> None:
    sandbox.accounts_v1 = False
    with pytest.raises(stripe.InvalidRequestError):
        _create_keyed(client, "first")
    sandbox.accounts_v1 = True

    with pytest.raises(stripe.InvalidRequestError) as replayed:
        _create_keyed(client, "first")  # a 400 from an executed request is saved, like any other
    assert error_of(replayed)["message"] == STRIPE_SAYS
    assert [e["replayed"] for e in sandbox.log] == [False, True]
    account = _create_keyed(client, "second")
    assert list(sandbox.store.accounts) == [account.id]


def test_the_setting_over_http(sandbox_server: SandboxServer, sandbox: Sandbox) -> None:
    sandbox_server.sandbox = sandbox
    assert control(sandbox_server, "GET") == (200, {"accounts_v1": True})
    assert control(sandbox_server, "POST", {"accounts_v1": False}) == (200, {"accounts_v1": False})
    assert sandbox.accounts_v1 is False and control(sandbox_server, "GET") == (200, {"accounts_v1": False})
    assert control(sandbox_server, "POST", {}) == (200, {"accounts_v1": False})  # nothing to change
    assert control(sandbox_server, "POST", {"accounts_v1": True}) == (200, {"accounts_v1": True})
    assert sandbox.accounts_v1 is True


@pytest.mark.parametrize("body, message", [
    ({"accounts_v1": "no"}, "accounts_v1 must be true or false"),
    ({"accounts_v2": True}, "unknown platform setting: accounts_v2"),
    ([False], "the body must be a JSON object"),
])
def test_bad_settings_are_refused_over_http(sandbox_server: SandboxServer, sandbox: Sandbox, body: Any,
                                            message: str) -> None:
    sandbox_server.sandbox = sandbox
    assert control(sandbox_server, "POST", body) == (400, {"error": message})
    assert sandbox.accounts_v1 is True
