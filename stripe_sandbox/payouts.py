"""Connected accounts' balances and payouts: the objects, and the test controls that make them.

Stripe has no API to put money in a test connected account or to choose how its payouts end; the
sandbox's test controls do both (`credit`, `make_payout`; `POST /_sandbox/balance` and `/_sandbox/payouts`).
What follows a payout is Stripe's (docs.stripe.com/connect/payouts-connected-accounts, read 2026-12-07):
statuses `pending`, `in_transit`, `paid`, `failed`; events `payout.created`, `payout.paid`, `payout.failed`,
and with a failure `account.external_account.updated`, "because the failed external account is disabled".
A payout takes its amount from the available balance when it is made; a failed one gives it back
(stripe-python 16.1.0 `Payout.failure_balance_transaction`: "returns the funds from the failed payout back
in your balance").
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import invalid
from .ids import new_id
from .state import Account, Payout

if TYPE_CHECKING:
    from .core import Sandbox

DAY = 86_400
STATUSES = ("paid", "pending", "in_transit", "failed")
# Stripe's payout failure codes and the sentence each stands for: docs.stripe.com/api/payouts/failures, as
# transcribed in public code (a Swift SDK's `PayoutFailureCode`, whose comments copy Stripe's table word for
# word; the codes also in stripe-rust's `PayoutFailureCode`), read 2026-12-07. That `failure_message` carries
# this sentence is an assumption (public captures show it with and without a final period).
FAILURES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "bank_account_restricted": "The bank account has restrictions on either the type, or the number, of payouts "
                               "allowed. This normally indicates that the bank account is a savings or other "
                               "non-checking account.",
    "bank_ownership_changed": "The destination bank account is no longer valid because its branch has changed "
                              "ownership.",
    "could_not_process": "The bank could not process this payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account. (Stripe requires bank "
                            "accounts to be set up for both credit and debit payouts.)",
    "declined": "The bank has declined this transfer. Please contact the bank before retrying.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is invalid.",
    "incorrect_account_holder_name": "Your bank notified us that the bank account holder name on file is incorrect.",
    "incorrect_account_holder_address": "Your bank notified us that the bank account holder address on file is "
                                        "incorrect.",
    "incorrect_account_holder_tax_id": "Your bank notified us that the bank account holder tax ID on file is "
                                       "incorrect.",
    "invalid_currency": "The bank was unable to process this payout because of its currency. This is probably "
                        "because the bank account cannot accept payments in that currency.",
    "no_account": "The bank account details on file are probably incorrect. No bank account could be located "
                  "with those details.",
}


def default_currency(sb: Sandbox, account: Account) -> str:
    """Return the account's default currency (its own, or its country's)."""
    spec = sb.specs.get(account.country) or {}
    return str(account.data.get("default_currency") or spec.get("default_currency", "usd"))


def render_balance(sb: Sandbox, account: Account | None) -> dict[str, Any]:
    """Return the `balance` object: one entry per currency the account holds, its default currency first.

    The platform's own balance (no `Stripe-Account`) is not emulated: it is empty, in USD.
    """
    currencies = [default_currency(sb, account) if account else "usd"]
    if account is not None:
        currencies += sorted((set(account.available) | set(account.pending)) - set(currencies))

    def funds(amounts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"amount": amounts.get(c, 0), "currency": c, "source_types": {"card": amounts.get(c, 0)}}
                for c in currencies]

    return {"object": "balance", "available": funds(account.available if account else {}),
            "pending": funds(account.pending if account else {}), "livemode": False}


def render_payout(payout: Payout) -> dict[str, Any]:
    """Return the `payout` object."""
    done = payout.status in ("paid", "failed", "canceled")
    return {
        "id": payout.id, "object": "payout", "amount": payout.amount, "application_fee": None,
        "application_fee_amount": None, "arrival_date": payout.arrival_date, "automatic": payout.automatic,
        "balance_transaction": None, "created": payout.created, "currency": payout.currency,
        "description": payout.description, "destination": payout.destination, "failure_balance_transaction": None,
        "failure_code": payout.failure_code, "failure_message": payout.failure_message, "livemode": False,
        "metadata": {}, "method": "standard", "original_payout": None, "payout_method": None,
        "reconciliation_status": ("completed" if done else "in_progress") if payout.automatic else "not_applicable",
        "reversed_by": None, "source_type": "card", "statement_descriptor": payout.statement_descriptor,
        "status": payout.status, "trace_id": {"status": "unsupported" if done else "pending", "value": None},
        "type": "bank_account",
    }


def credit(sb: Sandbox, account: Account, currency: str, amount: int, *, pending: bool = False) -> dict[str, Any]:
    """Add funds to an account's available (or pending) balance; return the balance (a test control)."""
    currency = currency.lower()
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise invalid("amount must be a positive integer (the currency's smallest unit)", "amount")
    funds = account.pending if pending else account.available
    funds[currency] = funds.get(currency, 0) + amount
    balance = render_balance(sb, account)
    if not pending:
        # "Occurs whenever your Stripe balance has been updated (e.g., when a charge is available to be paid
        # out) ... This event is not fired for negative transactions" (Stripe's `balance.available`).
        sb.emit("balance.available", balance, account.id, {"id": None, "idempotency_key": None}, None)
    return balance


def make_payout(sb: Sandbox, account: Account, *, amount: int, currency: str | None = None,
                status: str | None = None, failure_code: str | None = None, destination: str | None = None,
                arrival_date: int | None = None, automatic: bool = True, description: str | None = None,
                statement_descriptor: str | None = None) -> Payout:
    """Pay out part of an account's available balance to one of its bank accounts (a test control).

    `destination` defaults to the currency's default bank account. A bank account with one of Stripe's
    failing test numbers fails the payout with that number's code, whatever `status` asks; otherwise the
    payout is `status` (default `paid`), failing with `failure_code` (default `could_not_process`).
    A failed payout errors its bank account, which Stripe does "until account details are updated".
    """
    currency = (currency or default_currency(sb, account)).lower()
    bank = _destination(sb, account, currency, destination)
    status = status or "paid"
    if status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    if failure_code is not None and (status != "failed" or failure_code not in FAILURES):
        raise invalid(f"failure_code goes with status=failed and is one of {', '.join(sorted(FAILURES))}",
                      "failure_code")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise invalid("amount must be a positive integer (the currency's smallest unit)", "amount")
    if account.available.get(currency, 0) < amount:
        # Stripe: "Your Stripe balance must cover the payout amount" (stripe-python 16.1.0 `Payout.create`).
        raise invalid(f"The available {currency} balance ({account.available.get(currency, 0)}) does not cover "
                      f"{amount}.", "amount", "balance_insufficient")
    if bank.outcome != "ok":
        status, failure_code = "failed", bank.outcome
    elif status == "failed":
        failure_code = failure_code or "could_not_process"
    now = int(sb.clock())
    today = now - now % DAY
    payout = Payout(
        id=new_id("po"), account=account.id, created=now, amount=amount, currency=currency, destination=bank.id,
        arrival_date=arrival_date if arrival_date is not None else today + (DAY if status in ("pending", "in_transit")
                                                                            else 0),
        status=status, automatic=automatic, failure_code=failure_code,
        failure_message=FAILURES.get(failure_code or ""), description=description,
        statement_descriptor=statement_descriptor,
    )
    before = sb.snapshot(account.id)
    if status != "failed":
        account.available[currency] -= amount  # a failed payout's amount is back at once
    sb.store.payouts[payout.id] = payout
    automatic_request = {"id": None, "idempotency_key": None}
    # Every payout starts `pending` (its `payout.created`); the later status is sent at once.
    created = render_payout(replace(payout, status="pending", failure_code=None, failure_message=None))
    sb.emit("payout.created", created, account.id, automatic_request, None)
    if status == "paid":
        sb.emit("payout.paid", render_payout(payout), account.id, automatic_request, None)
    elif status == "failed":
        bank.status = "errored"
        sb.emit("payout.failed", render_payout(payout), account.id, automatic_request, None)
        sb.emit_changes(before, sb.snapshot(account.id), None, None)
    return payout


def _destination(sb: Sandbox, account: Account, currency: str, destination: str | None) -> Any:
    banks = [sb.store.bank_accounts[b] for b in account.external_accounts]
    if destination is not None:
        chosen = next((b for b in banks if b.id == destination), None)
        if chosen is None:
            raise invalid(f"No such external account: '{destination}'", "destination", "resource_missing")
        if chosen.currency != currency:
            raise invalid(f"The bank account {destination} takes {chosen.currency}, not {currency}.", "destination")
        return chosen
    chosen = next((b for b in banks if b.currency == currency and b.default_for_currency), None)
    if chosen is None:
        raise invalid(f"The account has no default bank account for {currency}.", "currency")
    return chosen
