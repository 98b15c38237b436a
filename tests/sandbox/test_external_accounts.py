"""Payout bank accounts: Stripe's test numbers, IBANs, tokens, defaults, and what comes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import stripe

from requirements_catalog import COUNTRIES, Catalog, Version
from requirements_catalog.values import bank_parameters
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


TEST_BANKS = json.loads((resources.files("stripe_sandbox") / "data" / "test_bank_accounts.json").read_text("utf-8"))


def local_bank(sb: Sandbox, country: str, account: str, routing: str | None = None,
               currency: str | None = None) -> dict[str, Any]:
    """Return a bank account hash in a country, in its default currency unless told."""
    found = {"object": "bank_account", "country": country, "account_number": account,
             "currency": currency or sb.specs.get(country)["default_currency"]}
    return found if routing is None else {**found, "routing_number": routing}


@pytest.mark.parametrize("country, row", [(c, row) for c, rows in TEST_BANKS["numbers"].items() for row in rows],
                         ids=lambda value: value if isinstance(value, str) else value["account"])
def test_stripes_test_numbers_of_every_country_pass_with_their_outcome(sandbox: Sandbox, client: stripe.StripeClient,
                                                                      country: str, row: dict[str, str]) -> None:
    """docs.stripe.com/payouts, "Test payouts": each number is accepted, and the failing ones fail."""
    account = create_account(client, country=country)
    added = client.v1.accounts.external_accounts.create(account.id, params={
        "external_account": local_bank(sandbox, country, row["account"], row.get("routing"))})
    status = client.v1.accounts.external_accounts.retrieve(account.id, added.id).status
    assert status == ("new" if row["outcome"] == "ok" else "errored")


@pytest.mark.parametrize("country", ["AT", "DE", "FR", "AE", "GB", "CH"])
def test_the_test_iban_tails_work_in_every_iban_country_though_not_valid_ibans(
        sandbox: Sandbox, client: stripe.StripeClient, country: str) -> None:
    """Stripe's table lists e.g. AT89370400440532013002 (account_closed): not a valid IBAN, accepted in test mode."""
    account = create_account(client, country=country)
    banks = client.v1.accounts.external_accounts
    good = banks.create(account.id, params={"external_account": local_bank(sandbox, country,
                                                                           f"{country}89370400440532013000")})
    closed = banks.create(account.id, params={"external_account": local_bank(sandbox, country,
                                                                             f"{country}89370400440532013002")})
    assert [banks.retrieve(account.id, b.id).status for b in (good, closed)] == ["new", "errored"]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:  # any other invalid IBAN is still refused
        banks.create(account.id, params={"external_account": local_bank(sandbox, country,
                                                                        f"{country}89370400440532013009")})
    assert excinfo.value.code == "account_number_invalid"


@pytest.mark.parametrize("country, routing, account, currency, refused", [
    ("AU", "110000", "1234", None, None),  # AUD accounts: 4-9 digits
    ("AU", "110000", "123456789", None, None),
    ("AU", "110000", "123", None, "account_number"),
    ("AU", "110000", "1234567890", None, "account_number"),
    ("AU", "110000", "DTCBBZ1T", "usd", None),  # other currencies: 4-14 letters and digits
    ("AU", "110000", "DTCBBZ1T", None, "account_number"),
    ("JP", "1100000", "0001234", None, None),
    ("JP", "1100000", "12345678", None, None),
    ("JP", "1100000", "1234", None, None),  # Stripe's table: 4-8 digits (the form asks them padded to 7)
    ("JP", "1100000", "123456789", None, "account_number"),
    ("HK", "110-000", "123456", None, None),
    ("HK", "110-000", "123456-789", None, None),
    ("HK", "110-000", "12345", None, "account_number"),
    ("HK", "110-000", "1234567890", None, "account_number"),
    ("BR", "110-0000-5", "0001234", None, None),  # a branch check digit
    ("BR", "110-0000", "0001234", None, None),
    ("BR", "110-000", "0001234", None, "routing_number"),
    ("SG", "1100-000", "1" * 19, None, None),
    ("SG", "1100-000", "1" * 20, None, "account_number"),
    ("TH", "999-0001", "000123456789", None, None),  # Stripe's test routing: bank and branch
    ("TH", "999", "000123456", None, None),
    ("TH", "999", "12345", None, "account_number"),
    ("NZ", "110000", "0000000010", None, None),  # bank and branch sent as the routing number
    ("US", "110000000", "1", None, None),  # Stripe's v2 bank account spec: 1-17 digits
    ("US", "110000000", "1" * 18, None, "account_number"),
    ("US", "000000000", "000123456789", None, "routing_number"),  # no routing number starts with 00
])
def test_local_account_lengths_follow_stripes_table(sandbox: Sandbox, client: stripe.StripeClient, country: str,
                                                    routing: str, account: str, currency: str | None,
                                                    refused: str | None) -> None:
    created = create_account(client, country=country)
    bank_hash = local_bank(sandbox, country, account, routing, currency)
    if refused is None:
        assert client.v1.accounts.external_accounts.create(created.id, params={"external_account": bank_hash})
        return
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.create(created.id, params={"external_account": bank_hash})
    assert (excinfo.value.code, excinfo.value.param) == (f"{refused}_invalid", f"external_account[{refused}]")


@pytest.fixture(scope="module")
def draft() -> Version:
    """Return the catalog version whose bank formats were checked against Stripe's payouts page (issue 13)."""
    return Catalog().version("2026-12-06")


@pytest.mark.parametrize("country", COUNTRIES)
def test_what_the_form_sends_for_stripes_test_numbers_the_sandbox_takes(
        sandbox: Sandbox, client: stripe.StripeClient, draft: Version, country: str) -> None:
    """Each test value of the country's bank formats, turned into Stripe's parameters as the wizard does."""
    entry = draft.country(country)
    field = entry.field_for(next(iter(entry.business_types)), "external_account")
    account = create_account(client, country=country)
    sent = 0
    for name in [field.validation["format"], *field.validation.get("alternatives", ())]:
        for test in draft.bank_formats[name]["test_values"]:
            if name == "iban" and not test["iban"].startswith(country):
                continue
            numbers = bank_parameters(draft.bank_formats[name], test)
            client.v1.accounts.external_accounts.create(account.id, params={"external_account": local_bank(
                sandbox, country, numbers["account_number"], numbers.get("routing_number"))})
            sent += 1
    assert sent


# -- defaults per currency, deletion, listing by type (issue 16) --------------------------------------
def defaults(client: stripe.StripeClient, account_id: str) -> dict[str, list[str]]:
    """Return the ids of the default bank accounts, by currency."""
    found: dict[str, list[str]] = {}
    for b in client.v1.accounts.external_accounts.list(account_id, params={"limit": 100}).data:
        if b.default_for_currency:
            found.setdefault(b.currency, []).append(b.id)
    return found


def test_the_default_for_the_default_currency_cannot_be_deleted_even_alone(client: stripe.StripeClient) -> None:
    account = create_account(client, external_account=bank())
    only = account.external_accounts.data[0].id
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.accounts.external_accounts.delete(account.id, only)
    assert error_of(excinfo)["message"] == (
        "You cannot delete the default external account for your default currency. Please make another external "
        "account the default using the `default_for_currency` param, and then delete this one.")


def test_a_default_of_another_currency_goes_only_when_it_is_alone(client: stripe.StripeClient) -> None:
    account = create_account(client, country="GB")
    banks = client.v1.accounts.external_accounts
    gbp = banks.create(account.id, params={"external_account": {
        "object": "bank_account", "country": "GB", "currency": "gbp", "routing_number": "108800",
        "account_number": "00012345"}})
    eur = banks.create(account.id, params={"external_account": {
        "object": "bank_account", "country": "DE", "currency": "eur", "account_number": DE_IBAN}})
    second_eur = banks.create(account.id, params={"external_account": {
        "object": "bank_account", "country": "FR", "currency": "eur",
        "account_number": "FR1420041010050500013M02606"}})
    assert eur.default_for_currency is True and second_eur.default_for_currency is False
    assert defaults(client, account.id) == {"gbp": [gbp.id], "eur": [eur.id]}

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        banks.delete(account.id, eur.id)  # another eur account exists
    assert "default external account for eur" in error_of(excinfo)["message"]
    assert banks.delete(account.id, second_eur.id).deleted is True
    assert banks.delete(account.id, eur.id).deleted is True  # now the only eur account: Stripe lets it go
    with pytest.raises(stripe.InvalidRequestError):
        banks.delete(account.id, gbp.id)  # gbp is the account's default currency
    assert defaults(client, account.id) == {"gbp": [gbp.id]}


def test_at_most_one_default_per_currency_whichever_way_it_is_set(client: stripe.StripeClient) -> None:
    account = create_account(client, external_account=bank())
    banks = client.v1.accounts.external_accounts
    second = banks.create(account.id, params={"external_account": bank(account_number="000999999991")})
    third = banks.create(account.id, params={"external_account": bank(account_number="000999999992"),
                                             "default_for_currency": True})
    assert defaults(client, account.id) == {"usd": [third.id]}
    banks.update(account.id, second.id, params={"default_for_currency": True})
    assert defaults(client, account.id) == {"usd": [second.id]}
    replaced = client.v1.accounts.update(account.id, params={"external_account": bank(account_number="000123456780")})
    new_default = [b.id for b in replaced.external_accounts.data if b.default_for_currency]
    assert defaults(client, account.id) == {"usd": new_default} and second.id not in [
        b.id for b in replaced.external_accounts.data]  # the old default was deleted with the replacement
    assert len(replaced.external_accounts.data) == 3


def test_listing_by_object_type(client: stripe.StripeClient) -> None:
    account = create_account(client, external_account=bank())
    banks = client.v1.accounts.external_accounts
    assert len(banks.list(account.id, params={"object": "bank_account"}).data) == 1
    assert banks.list(account.id, params={"object": "card"}).data == []
