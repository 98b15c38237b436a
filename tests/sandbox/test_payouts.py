"""Balances and payouts of connected accounts (`Stripe-Account`), and the test controls that make them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.payouts import FAILURES
from stripe_sandbox.server import SandboxServer
from tests.support.sdk_types import compare

from .helpers import US_BANK, complete_us_individual, create_account, error_of, loopback_open


def acting_for(account_id: str) -> dict[str, Any]:
    """Return the SDK's request options for a request made on behalf of a connected account."""
    return {"stripe_account": account_id}


@pytest.fixture
def account(client: stripe.StripeClient) -> stripe.Account:
    """Return a complete US individual account with the succeeding test bank account."""
    return complete_us_individual(client, create_account(client).id)


def test_a_new_accounts_balance_is_zero_in_its_default_currency(api: stripe.StripeClient) -> None:
    account = create_account(api, country="GB")
    balance = api.v1.balance.retrieve(options=acting_for(account.id))
    assert balance.object == "balance" and balance.livemode is False
    assert [(b.amount, b.currency) for b in balance.available] == [(0, "gbp")]
    assert [(b.amount, b.currency) for b in balance.pending] == [(0, "gbp")]
    assert compare(balance.to_dict(), stripe.Balance).problems == []


def test_credited_funds_show_per_currency_and_emit_balance_available(sandbox: Sandbox, client: stripe.StripeClient,
                                                                      account: stripe.Account) -> None:
    sandbox.credit_balance(account.id, "usd", 5000)
    sandbox.credit_balance(account.id, "usd", 700, pending=True)
    sandbox.credit_balance(account.id, "eur", 300)
    balance = client.v1.balance.retrieve(options=acting_for(account.id))
    assert [(b.currency, b.amount, b.source_types.card) for b in balance.available] == [("usd", 5000, 5000),
                                                                                       ("eur", 300, 300)]
    assert [(b.currency, b.amount) for b in balance.pending] == [("usd", 700), ("eur", 0)]
    events = [e for e in sandbox.store.events.values() if e["type"] == "balance.available"]
    assert len(events) == 2  # a pending credit is not available yet
    assert events[0]["account"] == account.id and events[0]["data"]["object"]["available"][0]["amount"] == 5000


def test_the_platforms_own_balance_and_payouts_are_empty(client: stripe.StripeClient, account: stripe.Account,
                                                         sandbox: Sandbox) -> None:
    sandbox.credit_balance(account.id, "usd", 5000)
    sandbox.create_payout(account.id, amount=100)
    assert [b.amount for b in client.v1.balance.retrieve().available] == [0]
    assert client.v1.payouts.list().data == []


def test_an_unknown_stripe_account_is_refused(api: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as excinfo:
        api.v1.balance.retrieve(options=acting_for("acct_nobody"))
    assert excinfo.value.http_status == 403 and error_of(excinfo)["code"] == "account_invalid"
    with pytest.raises(stripe.PermissionError):
        api.v1.payouts.list(options=acting_for("acct_nobody"))


def test_a_paid_payout_leaves_the_available_balance(sandbox: Sandbox, api: stripe.StripeClient) -> None:
    account = complete_us_individual(api, create_account(api).id)
    bank = account.external_accounts.data[0]
    sandbox.credit_balance(account.id, "usd", 5000)
    made = sandbox.create_payout(account.id, amount=1200, description="December")
    assert made["status"] == "paid" and made["destination"] == bank.id

    payout = api.v1.payouts.retrieve(made["id"], options=acting_for(account.id))
    assert payout.id.startswith("po_") and payout.object == "payout"
    assert (payout.amount, payout.currency, payout.status, payout.type, payout.method) == (
        1200, "usd", "paid", "bank_account", "standard")
    assert payout.automatic is True and payout.failure_code is None and payout.failure_message is None
    assert payout.description == "December" and payout.arrival_date <= payout.created
    assert compare(payout.to_dict(), stripe.Payout).problems == []
    assert api.v1.balance.retrieve(options=acting_for(account.id)).available[0].amount == 3800
    types = [e["type"] for e in sandbox.store.events.values() if e["type"].startswith("payout.")]
    assert types == ["payout.created", "payout.paid"]
    created = next(e for e in sandbox.store.events.values() if e["type"] == "payout.created")
    assert created["data"]["object"]["status"] == "pending" and created["request"]["id"] is None


def test_a_pending_payout_also_takes_its_amount(sandbox: Sandbox, client: stripe.StripeClient,
                                                account: stripe.Account) -> None:
    sandbox.credit_balance(account.id, "usd", 1000)
    for status in ("pending", "in_transit"):
        made = sandbox.create_payout(account.id, amount=400, status=status)
        assert made["status"] == status and made["arrival_date"] > made["created"]
    assert client.v1.balance.retrieve(options=acting_for(account.id)).available[0].amount == 200
    assert [e["type"] for e in sandbox.store.events.values() if e["type"].startswith("payout.")] == [
        "payout.created", "payout.created"]


def test_a_failed_payout_returns_its_amount_and_errors_the_bank_account(sandbox: Sandbox, api: stripe.StripeClient
                                                                        ) -> None:
    account = complete_us_individual(api, create_account(api).id)
    assert account.payouts_enabled is True
    sandbox.credit_balance(account.id, "usd", 1000)
    made = sandbox.create_payout(account.id, amount=600, status="failed", failure_code="account_frozen")
    payout = api.v1.payouts.retrieve(made["id"], options=acting_for(account.id))
    assert payout.status == "failed" and payout.failure_code == "account_frozen"
    assert payout.failure_message == "The bank account has been frozen."
    assert api.v1.balance.retrieve(options=acting_for(account.id)).available[0].amount == 1000

    after = api.v1.accounts.retrieve(account.id)
    assert after.external_accounts.data[0].status == "errored"
    assert after.payouts_enabled is False and "external_account" in after.requirements.currently_due
    types = [e["type"] for e in sandbox.store.events.values()][-4:]
    assert types[:2] == ["payout.created", "payout.failed"]
    assert "account.external_account.updated" in types


def test_a_failed_payout_without_a_code_could_not_be_processed(sandbox: Sandbox, account: stripe.Account) -> None:
    sandbox.credit_balance(account.id, "usd", 100)
    made = sandbox.create_payout(account.id, amount=100, status="failed")
    assert made["failure_code"] == "could_not_process"
    assert made["failure_message"] == "The bank could not process this payout."


@pytest.mark.parametrize(("number", "code"), [("000111111116", "no_account"), ("000111111113", "account_closed"),
                                               ("000222222227", "insufficient_funds"),
                                               ("000333333335", "debit_not_authorized"),
                                               ("000444444440", "invalid_currency")])
def test_stripes_failing_test_numbers_fail_the_payout_with_their_code(sandbox: Sandbox, client: stripe.StripeClient,
                                                                      number: str, code: str) -> None:
    account = complete_us_individual(client, create_account(client).id)
    client.v1.accounts.update(account.id, params={"external_account": dict(US_BANK, account_number=number)})
    sandbox.credit_balance(account.id, "usd", 500)
    made = sandbox.create_payout(account.id, amount=500, status="paid")
    assert made["status"] == "failed" and made["failure_code"] == code
    assert made["failure_message"] == FAILURES[code]


def test_payout_refusals(sandbox: Sandbox, account: stripe.Account) -> None:
    sandbox.credit_balance(account.id, "usd", 100)
    refusals = [
        ({"amount": 101}, "does not cover"),
        ({"amount": 0}, "positive integer"),
        ({"amount": 10, "status": "canceled"}, "status must be one of"),
        ({"amount": 10, "status": "paid", "failure_code": "account_closed"}, "failure_code goes with"),
        ({"amount": 10, "status": "failed", "failure_code": "made_up"}, "failure_code goes with"),
        ({"amount": 10, "currency": "eur"}, "no default bank account for eur"),
        ({"amount": 10, "destination": "ba_nothing"}, "No such external account"),
    ]
    for options, message in refusals:
        with pytest.raises(Exception, match=message):
            sandbox.create_payout(account.id, **options)
    assert sandbox.store.payouts == {}


def test_listing_payouts_newest_first_with_filters_and_pages(sandbox: Sandbox, clock: Any,
                                                             api: stripe.StripeClient) -> None:
    account = complete_us_individual(api, create_account(api).id)
    other = complete_us_individual(api, create_account(api).id)
    sandbox.credit_balance(account.id, "usd", 10_000)
    sandbox.credit_balance(other.id, "usd", 100)
    ids = []
    for status in ("paid", "pending", "failed", "paid"):
        ids.append(sandbox.create_payout(account.id, amount=100, status=status)["id"])
        clock.tick(86_400)
    sandbox.create_payout(other.id, amount=100)
    options = acting_for(account.id)

    listed = api.v1.payouts.list(options=options)
    assert [p.id for p in listed.data] == ids[::-1] and listed.has_more is False
    page = api.v1.payouts.list(params={"limit": 2}, options=options)
    assert [p.id for p in page.data] == [ids[3], ids[2]] and page.has_more is True
    assert [p.id for p in api.v1.payouts.list(params={"limit": 2, "starting_after": ids[2]}, options=options).data] \
        == [ids[1], ids[0]]
    assert [p.id for p in api.v1.payouts.list(params={"status": "paid"}, options=options).data] == [ids[3], ids[0]]
    first = api.v1.payouts.retrieve(ids[0], options=options)
    assert [p.id for p in api.v1.payouts.list(params={"arrival_date": {"lte": first.arrival_date}},
                                              options=options).data] == [ids[0]]
    assert [p.id for p in api.v1.payouts.list(params={"created": first.created}, options=options).data] == [ids[0]]
    assert [p.id for p in sandbox.store.payouts.values() if p.account == other.id] != []
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        api.v1.payouts.retrieve(ids[0], options=acting_for(other.id))  # another account's payout
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


def test_a_payouts_destination_expands_to_the_bank_account(sandbox: Sandbox, client: stripe.StripeClient,
                                                            account: stripe.Account) -> None:
    sandbox.credit_balance(account.id, "usd", 100)
    made = sandbox.create_payout(account.id, amount=100)
    payout = client.v1.payouts.retrieve(made["id"], params={"expand": ["destination"]},
                                        options=acting_for(account.id))
    assert payout.destination.object == "bank_account" and payout.destination.last4 == "6789"
    listed = client.v1.payouts.list(params={"expand": ["data.destination"]}, options=acting_for(account.id))
    assert listed.data[0].destination.id == made["destination"]


# -- the HTTP test controls -----------------------------------------------------------------------
def post(server: SandboxServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST a JSON control request and return its status and answer."""
    request = urllib.request.Request(server.url + path, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with loopback_open(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_balance_and_payout_controls_over_http(sandbox: Sandbox, sandbox_server: SandboxServer,
                                                   client: stripe.StripeClient, account: stripe.Account) -> None:
    sandbox_server.sandbox = sandbox
    status, balance = post(sandbox_server, "/_sandbox/balance", {"account": account.id, "currency": "usd",
                                                                 "amount": 900})
    assert status == 200 and balance["available"][0]["amount"] == 900
    status, payout = post(sandbox_server, "/_sandbox/payouts", {"account": account.id, "amount": 400,
                                                                "status": "failed", "failure_code": "declined"})
    assert status == 200 and payout["failure_code"] == "declined" and payout["object"] == "payout"
    assert client.v1.payouts.list(options=acting_for(account.id)).data[0].id == payout["id"]

    assert post(sandbox_server, "/_sandbox/payouts", {"account": account.id, "amount": 1, "speed": "x"}) == (
        400, {"error": "unknown payout option: speed"})
    status, refused = post(sandbox_server, "/_sandbox/balance", {"account": "acct_nobody", "currency": "usd",
                                                                 "amount": 1})
    assert status == 400 and "does not have access" in refused["error"]
    status, refused = post(sandbox_server, "/_sandbox/balance", {"account": account.id, "currency": "usd",
                                                                 "amount": "9"})
    assert status == 400 and "positive integer" in refused["error"]
