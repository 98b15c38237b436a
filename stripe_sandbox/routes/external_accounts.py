"""`/v1/accounts/{account}/external_accounts`: payout bank accounts."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import schwifty
from stdnum.us import rtn

from ..core import Context, route
from ..errors import invalid, missing
from ..ids import new_id
from ..objects import render_bank_account
from ..payouts import default_currency
from ..state import Account, BankAccount
from ..testvalues import bank_outcome
from .common import get_account, paginate

if TYPE_CHECKING:
    from ..core import Sandbox

TEST_ROUTING = "110000000"
# Local formats per country, from the bank table and the test numbers of docs.stripe.com/payouts (read 2026-12-06;
# data/sources/bank.md). IBAN countries are told apart by the IBAN itself; GI also takes a UK sort code.
ROUTING = {
    "US": r"(0[1-9]|1[0-2]|2[1-9]|3[0-2])\d{7}", "GB": r"\d{6}", "GI": r"\d{6}", "CA": r"\d{5}-?\d{3}",
    "AU": r"\d{6}", "HK": r"\d{3}-?\d{3}", "SG": r"\d{4}-?\d{3}", "JP": r"\d{4}-?\d{3}",
    "BR": r"\d{3}-?\d{4}(-?[\dX])?", "IN": r"[A-Z]{4}0[A-Z0-9]{6}", "MY": r"[A-Z0-9]{8}([A-Z0-9]{3})?",
    "TH": r"\d{3}(-?\d{4})?",
}
LOCAL_ACCOUNT = {
    "US": r"\d{1,17}", "GB": r"\d{8}", "GI": r"\d{8}", "CA": r"\d{7,12}", "AU": r"\d{4,9}", "NZ": r"\d{15,16}",
    "HK": r"\d{6,9}", "SG": r"\d{6,19}", "JP": r"\d{4,8}", "MX": r"\d{18}", "BR": r"\d{4,13}(-?[\dX])?",
    "IN": r"\d{9,18}", "MY": r"\d{5,17}", "TH": r"\d{6,15}",
}
# Stripe's table: AU accounts in another currency than AUD have 4 to 14 letters and digits.
AU_OTHER_CURRENCY = r"[A-Za-z0-9]{4,14}"
# Dashes that are layout, not part of the number: Stripe writes HK test accounts 000123-456, NZ ones 11-0000-...
DASHED = {"HK", "NZ"}
# Test tokens Stripe documents for US bank accounts (read 2026-12-06). `btok_us_verified*`: the Connect
# testing page's table (docs.stripe.com/connect/testing, "Add funds to Stripe balance"), each with the
# outcome of the test account number it stands for. `btok_us`: the testing-verification walk-through
# (docs.stripe.com/connect/testing-verification) creates its company with `external_account=btok_us`; that
# it stands for the succeeding test number (last4 6789) is our assumption.
TEST_TOKENS = {
    "btok_us": "000123456789",
    "btok_us_verified": "000123456789",
    "btok_us_verified_noAccount": "000111111116",
    "btok_us_verified_accountClosed": "000111111113",
    "btok_us_verified_insufficientFunds": "000222222227",
    "btok_us_verified_debitNotAuthorized": "000333333335",
    "btok_us_verified_invalidCurrency": "000444444440",
}


def bank_from_token(sb: Sandbox, token_id: str, param: str) -> dict[str, Any]:
    """Return the bank account hash behind a `btok_` token, spending the token."""
    if token_id in TEST_TOKENS:
        return {"object": "bank_account", "country": "US", "currency": "usd", "routing_number": TEST_ROUTING,
                "account_number": TEST_TOKENS[token_id], "account_holder_type": "individual"}
    token = sb.store.tokens.get(token_id)
    if token is None or token["type"] != "bank_account":
        raise invalid(f"No such token: '{token_id}'", param, "resource_missing")
    if token["used"]:
        raise invalid(f"You cannot use a Stripe token more than once: {token_id}.", param, "token_already_used")
    token["used"] = True
    return token["data"]


def check_bank(sb: Sandbox, data: dict[str, Any], account_country: str, param: str) -> BankAccount:
    """Check a bank account hash and build the stored object (without the account number)."""
    country = str(data.get("country") or account_country).upper()
    currency = str(data.get("currency") or "").lower()
    spec = sb.specs.get(account_country) or {}
    allowed = spec.get("supported_bank_account_currencies", {})
    if not currency:
        raise invalid(f"Missing required param: {param}[currency].", f"{param}[currency]", "parameter_missing")
    if country not in allowed.get(currency, []):
        raise invalid(f"The currency {currency} is not supported for bank accounts in {country} for accounts in "
                      f"{account_country}.", f"{param}[currency]")
    number = re.sub(r"[\s]", "", str(data.get("account_number") or ""))
    if not number:
        raise invalid(f"Missing required param: {param}[account_number].", f"{param}[account_number]",
                      "parameter_missing")
    routing = str(data.get("routing_number") or "").strip() or None
    bank_name = None
    if re.match(r"^[A-Za-z]{2}\d{2}", number):
        number, bank_name = _check_iban(number, country, param)
    else:
        if country == "NZ" and routing:  # bank and branch sent apart: Stripe's older NZ test pair 110000 + 0000000010
            number = routing + number
        if country in DASHED:
            number = number.replace("-", "")
        _check_local(country, currency, number, routing, param)
        if routing == TEST_ROUTING:
            bank_name = "STRIPE TEST BANK"
    fingerprint = hashlib.sha256(f"{country}|{routing}|{number}".encode()).hexdigest()[:16]
    outcome = bank_outcome(country, routing, number) or "ok"
    return BankAccount(
        id=new_id("ba"), account="", created=0, country=country, currency=currency, last4=number[-4:],
        fingerprint=fingerprint, routing_number=routing, bank_name=bank_name,
        account_holder_name=data.get("account_holder_name"), account_holder_type=data.get("account_holder_type"),
        outcome=outcome, metadata=dict(data.get("metadata") or {}),
    )


def _check_iban(number: str, country: str, param: str) -> tuple[str, str | None]:
    """Return the compact IBAN and its bank's name; Stripe's documented test IBANs pass even when not valid."""
    try:
        iban = schwifty.IBAN(number)
    except schwifty.exceptions.SchwiftyException as exc:
        if number[:2].upper() == country and bank_outcome(country, None, number) is not None:
            return number.upper(), None
        raise invalid(f"Invalid IBAN: {exc}", f"{param}[account_number]", "account_number_invalid") from exc
    if iban.country_code != country:
        raise invalid(f"The IBAN's country ({iban.country_code}) does not match the bank account's country "
                      f"({country}).", f"{param}[account_number]", "account_number_invalid")
    return iban.compact, iban.bank_name


def _check_local(country: str, currency: str, number: str, routing: str | None, param: str) -> None:
    if country in ROUTING:
        if routing is None:
            raise invalid(f"Missing required param: {param}[routing_number].", f"{param}[routing_number]",
                          "parameter_missing")
        if not re.fullmatch(ROUTING[country], routing) or (country == "US" and not rtn.is_valid(routing)):
            raise invalid(f"Invalid routing number for {country}: {routing}", f"{param}[routing_number]",
                          "routing_number_invalid")
    pattern = LOCAL_ACCOUNT.get(country)
    if pattern is None:
        raise invalid(f"Bank accounts in {country} are identified by an IBAN.", f"{param}[account_number]",
                      "account_number_invalid")
    if country == "AU" and currency != "aud":
        pattern = AU_OTHER_CURRENCY
    if not re.fullmatch(pattern, number):
        raise invalid(f"Invalid account number for {country}.", f"{param}[account_number]", "account_number_invalid")


def add_external_account(sb: Sandbox, account: Account, value: Any, now: int, param: str,
                         replace_default: bool = True, make_default: bool = False) -> BankAccount:
    """Attach a bank account (a token or a hash) to an account."""
    if isinstance(value, str):
        value = bank_from_token(sb, value, param)
    if value.get("object") not in (None, "bank_account"):
        raise invalid("This sandbox supports bank accounts as external accounts, not cards.", f"{param}[object]")
    bank = check_bank(sb, value, account.country, param)
    banks = [sb.store.bank_accounts[b] for b in account.external_accounts]
    if any(b.fingerprint == bank.fingerprint for b in banks):
        raise invalid("A bank account with that routing number and account number already exists for this account.",
                      param, "bank_account_exists")
    bank.account, bank.created = account.id, now
    same_currency = [b for b in banks if b.currency == bank.currency]
    if replace_default:  # via the account's own `external_account`: the new one replaces the default
        for old in same_currency:
            if old.default_for_currency:
                account.external_accounts.remove(old.id)
                del sb.store.bank_accounts[old.id]
        same_currency = [b for b in same_currency if b.id in account.external_accounts]
    if make_default or not any(b.default_for_currency for b in same_currency):
        for other in same_currency:
            other.default_for_currency = False
        bank.default_for_currency = True
    sb.store.bank_accounts[bank.id] = bank
    account.external_accounts.append(bank.id)
    return bank


def _bank(sb: Sandbox, account: Account, bank_id: str) -> BankAccount:
    if bank_id not in account.external_accounts:
        raise missing("external account", bank_id, "id")
    return sb.store.bank_accounts[bank_id]


@route("POST", "/v1/accounts/{account}/external_accounts", "external_accounts.create")
def create(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Add a bank account."""
    account = get_account(sb, ctx.args["account"])
    bank = add_external_account(sb, account, ctx.params["external_account"], ctx.now, "external_account",
                                replace_default=False, make_default=bool(ctx.params.get("default_for_currency")))
    if ctx.params.get("metadata"):
        bank.metadata.update(ctx.params["metadata"])
    return 200, render_bank_account(bank)


@route("POST", "/v1/accounts/{account}/external_accounts/{id}", "external_accounts.update")
def update(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Update a bank account's holder details, metadata or default flag."""
    account = get_account(sb, ctx.args["account"])
    bank = _bank(sb, account, ctx.args["id"])
    for key in ("account_holder_name", "account_holder_type"):
        if key in ctx.params:
            setattr(bank, key, ctx.params[key] or None)
    if ctx.params.get("metadata"):
        bank.metadata.update(ctx.params["metadata"])
    if ctx.params.get("default_for_currency"):
        for other in account.external_accounts:
            other_bank = sb.store.bank_accounts[other]
            if other_bank.currency == bank.currency:
                other_bank.default_for_currency = other == bank.id
    return 200, render_bank_account(bank)


@route("GET", "/v1/accounts/{account}/external_accounts/{id}", "external_accounts.retrieve")
def retrieve(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve a bank account."""
    account = get_account(sb, ctx.args["account"])
    return 200, render_bank_account(_bank(sb, account, ctx.args["id"]))


@route("GET", "/v1/accounts/{account}/external_accounts", "external_accounts.list")
def list_banks(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List an account's bank accounts, newest first."""
    account = get_account(sb, ctx.args["account"])
    # `object` filters by type (stripe-python 16.1.0 `AccountExternalAccountListParams.object`): the sandbox
    # holds bank accounts only, so `card` lists nothing.
    wanted = ctx.params.get("object", "bank_account")
    items = [render_bank_account(sb.store.bank_accounts[b]) for b in reversed(account.external_accounts)
             if wanted == "bank_account"]
    return 200, paginate(items, ctx.params, f"/v1/accounts/{account.id}/external_accounts")


@route("DELETE", "/v1/accounts/{account}/external_accounts/{id}", "external_accounts.delete")
def delete(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Delete a bank account, unless it is a default Stripe keeps.

    A default cannot be deleted when its currency is the account's default currency, or when another
    external account has its currency (docs.stripe.com/api/external_account_bank_accounts/delete, read
    2026-12-07); the sole account of another currency can. The first refusal's message is Stripe's, as
    public code quotes it; the second's is ours (none was found).
    """
    account = get_account(sb, ctx.args["account"])
    bank = _bank(sb, account, ctx.args["id"])
    if bank.default_for_currency:
        if bank.currency == default_currency(sb, account):
            raise invalid("You cannot delete the default external account for your default currency. Please make "
                          "another external account the default using the `default_for_currency` param, and then "
                          "delete this one.")
        if any(sb.store.bank_accounts[b].currency == bank.currency for b in account.external_accounts if b != bank.id):
            raise invalid(f"You cannot delete the default external account for {bank.currency}. Please make another "
                          f"{bank.currency} external account the default using the `default_for_currency` param, and "
                          "then delete this one.")
    account.external_accounts.remove(bank.id)
    del sb.store.bank_accounts[bank.id]
    return 200, {"id": bank.id, "object": "bank_account", "deleted": True}


