"""Payout bank accounts: Stripe's test numbers, IBANs, tokens, defaults, and what comes back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import US_BANK, Connect, complete_us_individual, create_account, error_of

DE_IBAN = "DE89370400440532013000"


def bank(**overrides: Any) -> dict[str, Any]:
    """Return a US test bank account hash."""
    return dict(US_BANK, **overrides)


@pytest.fixture
def deferred(connect: Connect) -> Iterator[tuple[Sandbox, stripe.StripeClient]]:
    """Return a sandbox that leaves verification pending until `settle()`, and its client."""
    sb = Sandbox(auto_settle=False)
    yield sb, connect(sb)
    sb.close()


def test_add_list_retrieve_update_delete(api: stripe.StripeClient) -> None:
    account = create_account(api)
    banks = api.v1.accounts.external_accounts

    first = banks.create(account.id, params={"external_account": bank()})
    assert first.id.startswith("ba_") and first.object == "bank_account"
    assert first.account == account.id
    assert first.last4 == "6789" and first.routing_number == "110000000"
    assert first.bank_name == "STRIPE TEST BANK" and first.status == "new"
    assert first.currency == "usd" and first.country == "US"
    assert first.default_for_currency is True
    assert first.fingerprint and "account_number" not in first.to_dict()
    assert "external_account" not in api.v1.accounts.retrieve(account.id).requirements.currently_due

    second = banks.create(account.id, params={"external_account": bank(account_number="000999999991")})
    assert second.default_for_currency is False
    assert second.fingerprint != first.fingerprint
    assert banks.retrieve(account.id, second.id).to_dict() == second.to_dict()
    listed = banks.list(account.id)
    assert [b.id for b in listed.data] == [second.id, first.id]  # newest first
    page = banks.list(account.id, params={"limit": 1})
    assert [b.id for b in page.data] == [second.id] and page.has_more is True
    assert [b.id for b in banks.list(account.id, params={"limit": 1, "starting_after": second.id}).data] == [first.id]

    renamed = banks.update(account.id, second.id, params={"account_holder_name": "J. Rosen", "metadata": {"a": "b"}})
    assert renamed.account_holder_name == "J. Rosen" and renamed.metadata.to_dict() == {"a": "b"}

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        banks.delete(account.id, first.id)  # the default for usd
    assert excinfo.value.http_status == 400
    assert banks.update(account.id, second.id, params={"default_for_currency": True}).default_for_currency is True
    assert banks.retrieve(account.id, first.id).default_for_currency is False
    deleted = banks.delete(account.id, first.id)
    assert deleted.id == first.id and deleted.deleted is True
    assert [b.id for b in banks.list(account.id).data] == [second.id]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        banks.retrieve(account.id, first.id)
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


def test_the_account_external_account_replaces_the_default(client: stripe.StripeClient) -> None:
    account = create_account(client, external_account=bank())
    old = account.external_accounts.data[0].id

    updated = client.v1.accounts.update(account.id, params={"external_account": bank(account_number="000999999991")})

    assert [b.last4 for b in updated.external_accounts.data] == ["9991"]
    assert updated.external_accounts.data[0].id != old
    assert updated.external_accounts.data[0].default_for_currency is True


def test_the_same_bank_account_twice_is_refused(client: stripe.StripeClient) -> None:
    account = create_account(client)
    client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank()})

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank()})
    assert excinfo.value.code == "bank_account_exists"


@pytest.mark.parametrize("number", ["000111111116", "000111111113", "000222222227", "000333333335",
                                    "000444444440"])
def test_failing_test_numbers_error_after_settling(deferred: tuple[Sandbox, stripe.StripeClient],
                                                   number: str) -> None:
    sb, client = deferred
    account = create_account(client)
    complete_us_individual(client, account.id)
    sb.settle()
    enabled = client.v1.accounts.retrieve(account.id)
    assert enabled.payouts_enabled
    client.v1.accounts.update(account.id, params={"external_account": bank(account_number=number)})
    assert client.v1.accounts.retrieve(account.id).external_accounts.data[0].status == "new"

    sb.settle()

    after = client.v1.accounts.retrieve(account.id)
    assert [b.status for b in after.external_accounts.data] == ["errored"]
    assert after.requirements.currently_due == ["external_account"]
    assert [(e.requirement, e.code) for e in after.requirements.errors] == [("external_account", "invalid_value_other")]
    assert not after.payouts_enabled

    fixed = client.v1.accounts.update(account.id, params={"external_account": bank()})
    assert fixed.requirements.currently_due == [] and fixed.requirements.errors == []
    assert fixed.payouts_enabled


def test_the_good_test_number_stays_new_after_settling(deferred: tuple[Sandbox, stripe.StripeClient]) -> None:
    sb, client = deferred
    account = create_account(client, external_account=bank())
    sb.settle()
    assert client.v1.accounts.retrieve(account.id).external_accounts.data[0].status == "new"


def test_german_iban(api: stripe.StripeClient) -> None:
    account = create_account(api, country="DE")

    added = api.v1.accounts.external_accounts.create(account.id, params={"external_account": {
        "object": "bank_account", "country": "DE", "currency": "eur", "account_number": DE_IBAN,
        "account_holder_name": "Jenny Rosen"}})

    assert added.last4 == "3000" and added.country == "DE" and added.currency == "eur"
    assert DE_IBAN not in (added.last_response.body or "")
    assert "external_account" not in api.v1.accounts.retrieve(account.id).requirements.currently_due


@pytest.mark.parametrize(("number", "country"), [
    ("DE89370400440532013001", "DE"),  # checksum
    ("DE8937040044053201300", "DE"),  # too short
    ("FR1420041010050500013M02606", "DE"),  # a valid IBAN of another country
    ("12345678", "DE"),  # DE accounts are IBANs
])
def test_bad_ibans_are_refused(client: stripe.StripeClient, number: str, country: str) -> None:
    account = create_account(client, country="DE")

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": {
            "object": "bank_account", "country": country, "currency": "eur", "account_number": number}})
    assert excinfo.value.http_status == 400
    assert excinfo.value.code == "account_number_invalid"
    assert excinfo.value.param == "external_account[account_number]"
    assert client.v1.accounts.external_accounts.list(account.id).data == []


def test_us_routing_number_checksum(client: stripe.StripeClient) -> None:
    account = create_account(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank(
            routing_number="110000001")})
    assert excinfo.value.code == "routing_number_invalid"
    assert excinfo.value.param == "external_account[routing_number]"


def test_unsupported_currency_is_refused(client: stripe.StripeClient) -> None:
    account = create_account(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": bank(currency="jpy")})
    assert excinfo.value.param == "external_account[currency]"


def test_gb_sort_code_and_account_number(client: stripe.StripeClient) -> None:
    account = create_account(client, country="GB")
    added = client.v1.accounts.external_accounts.create(account.id, params={"external_account": {
        "object": "bank_account", "country": "GB", "currency": "gbp", "routing_number": "108800",
        "account_number": "00012345"}})
    assert added.last4 == "2345" and added.routing_number == "108800"


def test_bank_account_tokens(api: stripe.StripeClient) -> None:
    account = create_account(api)
    token = api.v1.tokens.create(params={"bank_account": {
        "country": "US", "currency": "usd", "routing_number": "110000000", "account_number": "000123456789",
        "account_holder_name": "Jenny Rosen", "account_holder_type": "individual"}})
    assert token.id.startswith("btok_") and token.type == "bank_account" and token.used is False
    assert token.bank_account.last4 == "6789"

    added = api.v1.accounts.external_accounts.create(account.id, params={"external_account": token.id})
    assert added.last4 == "6789"
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        api.v1.accounts.external_accounts.create(create_account(api).id, params={"external_account": token.id})
    assert excinfo.value.code == "token_already_used"


def test_stripe_test_bank_tokens(client: stripe.StripeClient) -> None:
    account = create_account(client)
    added = client.v1.accounts.external_accounts.create(account.id, params={
        "external_account": "btok_us_verified_noAccount"})
    assert added.last4 == "1116"
    assert client.v1.accounts.retrieve(account.id).external_accounts.data[0].status == "errored"


def test_the_walk_throughs_token_btok_us_is_a_us_bank_account(client: stripe.StripeClient) -> None:
    """docs.stripe.com/connect/testing-verification creates its company with `external_account=btok_us`."""
    account = client.v1.accounts.create(params={
        "country": "US", "business_type": "company", "external_account": "btok_us",
        "controller": {"requirement_collection": "application", "stripe_dashboard": {"type": "none"},
                       "fees": {"payer": "application"}, "losses": {"payments": "application"}},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}}})
    (bank,) = client.v1.accounts.retrieve(account.id).external_accounts.data
    assert (bank.country, bank.currency, bank.last4, bank.status) == ("US", "usd", "6789", "new")
    assert "external_account" not in client.v1.accounts.retrieve(account.id).requirements.currently_due


def test_unknown_token_and_account(client: stripe.StripeClient) -> None:
    account = create_account(client)
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(account.id, params={"external_account": "btok_nope"})
    assert excinfo.value.code == "resource_missing"
    with pytest.raises(stripe.PermissionError) as excinfo:
        client.v1.accounts.external_accounts.list("acct_nope")
    assert excinfo.value.http_status == 403
    assert error_of(excinfo)["code"] == "account_invalid"
