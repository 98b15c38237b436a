"""The gateway against the sandbox, in-process and over HTTP, through the real SDK."""

from __future__ import annotations

import inspect
import logging
import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from onboarding.gateway import (
    AccountsV1NotEnabled,
    AccountUnavailable,
    AuthenticationFailed,
    BankAccount,
    Gateway,
    GatewayError,
    IdempotencyConflict,
    InvalidRequest,
    RateLimited,
    SignatureInvalid,
    Unavailable,
)
from onboarding.gateway.interface import account_create_params, account_link_params, param_path
from onboarding.gateway.stripe_gateway import StripeGateway, _translate
from stripe_sandbox import Sandbox
from stripe_sandbox.errors import ACCOUNTS_V1_REFUSAL
from stripe_sandbox.http_client import SandboxHTTPClient
from stripe_sandbox.server import SandboxServer
from stripe_sandbox.webhooks import sign
from tests.support.clock import TEST_NOW
from tests.support.sdk_params import assert_log_uses_sdk_params

SECRET = "whsec_gateway_test"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(params=["in_process", "http"])
def env(request: pytest.FixtureRequest) -> Iterator[tuple[StripeGateway, Sandbox]]:
    """Yield a gateway and the sandbox behind it, for both transports."""
    for gateway_and_sandbox in _env(request.param):
        yield gateway_and_sandbox
        assert_log_uses_sdk_params(gateway_and_sandbox[1].log, request.node)


def _env(transport: str) -> Iterator[tuple[StripeGateway, Sandbox]]:
    sandbox = Sandbox()
    if transport == "in_process":
        gateway = StripeGateway.build("sk_test_gateway", api_base=None, webhook_secrets=[SECRET],
                                      max_network_retries=2, http_client=SandboxHTTPClient(sandbox), mode="sandbox")
        yield gateway, sandbox
    else:
        server = SandboxServer(sandbox, "127.0.0.1", 0)
        server.start_background()
        gateway = StripeGateway.build("sk_test_gateway", api_base=server.url, webhook_secrets=[SECRET],
                                      max_network_retries=2, mode="sandbox-server")
        yield gateway, sandbox
        server.shutdown()
        server.server_close()
    sandbox.close()


def _account(gateway: StripeGateway, country: str = "US", business_type: str = "individual",
             key: str = "create-1") -> dict[str, Any]:
    return gateway.create_account(account_create_params(country, business_type, "a@example.com", "full"),
                                  idempotency_key=key)


def test_stripe_gateway_implements_the_interface() -> None:
    assert isinstance(StripeGateway.build("sk_test_x", api_base=None, webhook_secrets=[], max_network_retries=0),
                      Gateway)
    for name, member in inspect.getmembers(Gateway, inspect.isfunction):
        if name.startswith("_"):
            continue
        implementation = getattr(StripeGateway, name)
        assert inspect.signature(implementation) == inspect.signature(member), name


def test_create_account_for_api_onboarding(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    account = _account(gateway)
    assert isinstance(account, dict) and account["id"].startswith("acct_")
    assert account["controller"]["requirement_collection"] == "application"
    assert account["controller"]["stripe_dashboard"]["type"] == "none"
    assert account["type"] == "custom"
    assert set(account["capabilities"]) == {"card_payments", "transfers"}
    assert "individual.first_name" in account["requirements"]["currently_due"]
    assert sandbox.log[-1]["idempotency_key"] == "create-1"
    json.dumps(account)  # plain JSON all the way down


def test_recipient_agreement_requests_transfers_only(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    params = account_create_params("GB", "individual", None, "recipient")
    account = gateway.create_account(params, idempotency_key="recipient-1")
    assert set(account["capabilities"]) == {"transfers"}
    assert account["tos_acceptance"]["service_agreement"] == "recipient"


def test_same_key_replays_instead_of_creating_twice(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    first = _account(gateway, key="same-key")
    second = _account(gateway, key="same-key")
    assert first["id"] == second["id"]
    assert len([a for a in sandbox.store.accounts.values()]) == 1
    with pytest.raises(IdempotencyConflict):
        _account(gateway, country="GB", key="same-key")


def test_update_retrieve_and_list_accounts(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    ids = [_account(gateway, key=f"list-{n}")["id"] for n in range(3)]
    updated = gateway.update_account(ids[0], {"business_profile": {"mcc": "5734"}}, idempotency_key="upd-1")
    assert "business_profile.mcc" not in updated["requirements"]["currently_due"]
    assert gateway.retrieve_account(ids[0])["business_profile"]["mcc"] == "5734"
    first = gateway.list_accounts(limit=2)
    assert [a["id"] for a in first.data] == [ids[2], ids[1]] and first.has_more
    rest = gateway.list_accounts(limit=2, starting_after=first.data[-1]["id"])
    assert [a["id"] for a in rest.data] == [ids[0]] and not rest.has_more


@pytest.mark.sends_unknown_params
def test_invalid_request_keeps_param_as_field_path(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    account = _account(gateway)
    with pytest.raises(InvalidRequest) as caught:
        gateway.update_account(account["id"], {"individual": {"dob": {"day": 31, "month": 2, "year": 1990}}},
                               idempotency_key="bad-dob")
    assert caught.value.param == "individual.dob.day"
    assert caught.value.http_status == 400
    with pytest.raises(InvalidRequest) as unknown:
        gateway.update_account(account["id"], {"individual": {"shoe_size": "9"}}, idempotency_key="bad-param")
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "individual.shoe_size"


def test_a_platform_without_accounts_v1_gets_our_error(env: tuple[StripeGateway, Sandbox],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    gateway, sandbox = env
    sandbox.accounts_v1 = False
    caplog.set_level(logging.WARNING)
    with pytest.raises(AccountsV1NotEnabled) as caught:
        _account(gateway)
    error = caught.value
    assert isinstance(error, GatewayError) and not isinstance(error, InvalidRequest)  # not the user's input
    assert error.stripe_message == ACCOUNTS_V1_REFUSAL
    assert error.dashboard_url == "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support"
    assert error.doc_url == "https://docs.stripe.com/connect/accounts-v2/account-creation"
    assert error.dashboard_url in error.message and error.doc_url in error.message and "\n" not in error.message
    assert "Accounts v1 support" in error.message and "retry" in error.message
    assert (error.http_status, error.code, error.param) == (400, None, None) and error.request_id
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and ACCOUNTS_V1_REFUSAL in warned[0].getMessage()
    assert sandbox.store.accounts == {}


@pytest.mark.parametrize("message, expected", [
    (ACCOUNTS_V1_REFUSAL, AccountsV1NotEnabled),
    ("Read more: https://docs.stripe.com/connect/accounts-v2/account-creation.", AccountsV1NotEnabled),
    ("Enable it: https://dashboard.stripe.com/settings/developers/api-policies/feat_accounts_v1_support",
     AccountsV1NotEnabled),
    ("Stripe no longer recommends Accounts v1 for new Connect integrations.", InvalidRequest),
    ("No such account: 'acct_x'", InvalidRequest),
])
def test_accounts_v1_refusals_are_known_by_where_they_point(message: str, expected: type[GatewayError]) -> None:
    assert type(_translate(stripe.InvalidRequestError(message, None, http_status=400))) is expected


def test_an_account_out_of_reach_is_account_unavailable(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    with pytest.raises(AccountUnavailable) as caught:
        gateway.retrieve_account("acct_doesnotexist")
    assert caught.value.code == "account_invalid" and caught.value.http_status == 403


def test_a_restricted_key_without_a_permission_is_still_an_authentication_failure() -> None:
    refused = stripe.PermissionError("The provided key does not have the required permissions for this endpoint.",
                                     None, http_status=403)
    assert type(_translate(refused)) is AuthenticationFailed


def test_persons_lifecycle(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    account = _account(gateway, business_type="company")
    person = gateway.create_person(account["id"], {"first_name": "Ada", "last_name": "Lovelace",
                                                   "relationship": {"representative": True, "title": "CEO"},
                                                   "id_number": "000000000"}, idempotency_key="p-1")
    assert person["id"].startswith("person_") and person["id_number_provided"] is True
    assert "000000000" not in json.dumps(person)
    person = gateway.update_person(account["id"], person["id"], {"email": "ada@example.com"},
                                   idempotency_key="p-2")
    assert person["email"] == "ada@example.com"
    assert [p["id"] for p in gateway.list_persons(account["id"]).data] == [person["id"]]
    deleted = gateway.delete_person(account["id"], person["id"], idempotency_key="p-3")
    assert deleted["deleted"] is True
    assert gateway.list_persons(account["id"]).data == []


def test_external_account_from_details_and_token(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, _ = env
    account = _account(gateway)
    bank = BankAccount(country="US", currency="usd", account_number="000123456789", routing_number="110000000",
                       account_holder_name="Jenny Rosen", account_holder_type="individual")
    assert "000123456789" not in repr(bank)
    added = gateway.add_external_account(account["id"], bank, idempotency_key="ba-1")
    assert added["last4"] == "6789" and "account_number" not in added
    token = gateway.add_external_account(account["id"], "btok_us_verified_noAccount", idempotency_key="ba-2",
                                         default_for_currency=False)
    assert token["id"].startswith("ba_") and token["last4"] == "1116"
    with pytest.raises(InvalidRequest) as caught:
        gateway.add_external_account(account["id"], BankAccount("US", "usd", "000123456789", "123456789"),
                                     idempotency_key="ba-3")
    assert caught.value.param == "external_account.routing_number"


def test_upload_file(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    uploaded = gateway.upload_file("identity_document", "front.png", PNG, idempotency_key="file-1")
    assert uploaded["id"].startswith("file_") and uploaded["type"] == "png" and uploaded["size"] == len(PNG)
    with pytest.raises(InvalidRequest) as caught:
        gateway.upload_file("identity_document", "front.png", b"not an image", idempotency_key="file-2")
    assert caught.value.param == "file"


def test_list_country_specs_pages_through_all(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    specs = list(gateway.list_country_specs(page_size=10))
    assert len(specs) == 45 and len({s["id"] for s in specs}) == 45
    assert [e["operation"] for e in sandbox.log].count("country_specs.list") == 5


def test_construct_event_accepts_any_rotation_secret() -> None:
    now = int(TEST_NOW.timestamp())
    gateway = StripeGateway.build("sk_test_x", api_base=None, webhook_secrets=["whsec_old", SECRET],
                                  max_network_retries=0)
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "account.updated",
                          "data": {"object": {"id": "acct_1", "object": "account"}}}).encode()
    event = gateway.construct_event(payload, sign(payload, SECRET, now))
    assert event["id"] == "evt_1" and event["type"] == "account.updated"
    with pytest.raises(SignatureInvalid):
        gateway.construct_event(payload, sign(payload, "whsec_wrong", now))
    with pytest.raises(SignatureInvalid):
        gateway.construct_event(payload, sign(payload, SECRET, now - 3600))
    with pytest.raises(SignatureInvalid):
        gateway.construct_event(payload, None)


def test_rate_limit_and_unavailable_are_our_errors(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    account = _account(gateway)
    sandbox.faults.add("accounts.update", "429")
    with pytest.raises(RateLimited):
        gateway.update_account(account["id"], {"email": "b@example.com"}, idempotency_key="rl-1")
    sandbox.faults.add("accounts.update", "500")
    with pytest.raises(Unavailable):
        gateway.update_account(account["id"], {"email": "b@example.com"}, idempotency_key="rl-2")


def test_connection_dropped_after_write_is_retried_with_the_same_key(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    sandbox.faults.add("accounts.create", "drop_after")
    account = _account(gateway, key="dropped")
    assert len(sandbox.store.accounts) == 1
    attempts = [e for e in sandbox.log if e["operation"] == "accounts.create"]
    assert [e["idempotency_key"] for e in attempts] == ["dropped", "dropped"]
    assert attempts[-1]["replayed"] is True
    assert account["id"] in sandbox.store.accounts


def test_bad_key_is_authentication_failed() -> None:
    sandbox = Sandbox()
    gateway = StripeGateway.build("pk_test_wrong_kind", api_base=None, webhook_secrets=[], max_network_retries=0,
                                  http_client=SandboxHTTPClient(sandbox))
    with pytest.raises(AuthenticationFailed):
        gateway.retrieve_account("acct_x")


@pytest.mark.parametrize("param, path", [("individual[dob][year]", "individual.dob.year"),
                                         ("external_account", "external_account"), (None, None),
                                         ("company[address][line1]", "company.address.line1")])
def test_param_path(param: str | None, path: str | None) -> None:
    assert param_path(param) == path


def test_sensitive_numbers_never_reach_our_logs(env: tuple[StripeGateway, Sandbox],
                                                caplog: pytest.LogCaptureFixture) -> None:
    gateway, _ = env
    caplog.set_level(logging.DEBUG)
    account = _account(gateway)
    gateway.update_account(account["id"], {"individual": {"id_number": "123456789", "ssn_last_4": "6789"}},
                           idempotency_key="secret-1")
    gateway.add_external_account(account["id"], BankAccount("US", "usd", "000987654321", "110000000"),
                                 idempotency_key="secret-2")
    logging.getLogger("onboarding").debug("probe")
    assert "probe" in caplog.text  # capture works at DEBUG level
    for secret in ("123456789", "000987654321"):
        assert secret not in caplog.text


def test_account_links_come_back_as_plain_dicts_and_replay_for_their_key(env: tuple[StripeGateway, Sandbox]) -> None:
    gateway, sandbox = env
    account = _account(gateway)
    params = account_link_params(account["id"], refresh_url="https://p.example/again", return_url="https://p.example/b")
    assert params["type"] == "account_onboarding" and params["collection_options"] == {"fields": "currently_due"}
    link = gateway.create_account_link(params, idempotency_key="link-1")
    assert isinstance(link, dict) and set(link) == {"object", "created", "expires_at", "url"}
    assert link["expires_at"] - link["created"] == 300
    assert gateway.create_account_link(params, idempotency_key="link-1") == link  # replayed, not a second link
    assert gateway.create_account_link(params, idempotency_key="link-2")["url"] != link["url"]
    assert len(sandbox.store.account_links) == 2
    with pytest.raises(AccountUnavailable):
        gateway.create_account_link({**params, "account": "acct_gone"}, idempotency_key="link-3")
    with pytest.raises(InvalidRequest) as refused:
        gateway.create_account_link({k: v for k, v in params.items() if k != "refresh_url"}, idempotency_key="link-4")
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "refresh_url")
