"""A payout's status, and why it failed, in the user's words: one message per Stripe failure code, and one for codes not known here.

The codes are Stripe's (docs.stripe.com/api/payouts/failures, as transcribed in public SDK code, read
2026-12-07; stripe-python 16.1.0 types `Payout.failure_code` as a plain string). Stripe's own
`failure_message` is English and written for the platform; these say what happened and what the
user can do. A code Stripe adds later gets the general message and is logged once per process.
"""

from __future__ import annotations

import logging

from ..wizard.forms import N_

logger = logging.getLogger(__name__)
REASONS = {
    "account_closed": N_("The bank account has been closed. Add another bank account for payouts."),
    "account_frozen": N_("The bank account is frozen. Contact your bank, or add another bank account for payouts."),
    "bank_account_restricted": N_("The bank account does not accept this kind of payment (it may be a savings "
                                  "account). Add a current or checking account for payouts."),
    "bank_ownership_changed": N_("The bank's branch has changed owner, so the account details are no longer "
                                 "valid. Ask your bank for the new details and enter them again."),
    "could_not_process": N_("The bank could not process the payout. Check the bank account details, or contact "
                            "your bank."),
    "debit_not_authorized": N_("The bank account does not allow debits, which payouts need. Ask your bank to "
                               "allow them, or add another bank account."),
    "declined": N_("The bank declined the payout. Contact your bank before the next payout."),
    "insufficient_funds": N_("There was not enough money in your balance for this payout."),
    "invalid_account_number": N_("The account number is not valid. Check it and enter the bank account again."),
    "incorrect_account_holder_name": N_("The bank says the account holder's name is not right. Enter the bank "
                                        "account again with the name the bank has."),
    "incorrect_account_holder_address": N_("The bank says the account holder's address is not right. Check your "
                                           "address with the bank."),
    "incorrect_account_holder_tax_id": N_("The bank says the account holder's tax ID is not right. Check it with "
                                          "the bank."),
    "invalid_currency": N_("The bank account cannot receive money in this currency. Add a bank account in this "
                           "currency."),
    "no_account": N_("No bank account was found with these details. Check them and enter the bank account again."),
}
# Stripe's payout statuses (stripe-python 16.1.0 `Payout.status`) in words; another one is shown as Stripe sends it.
STATUSES = {"paid": N_("Paid"), "pending": N_("Pending"), "in_transit": N_("On the way"), "canceled": N_("Canceled"),
            "failed": N_("Failed")}
GENERAL = N_("The payout did not reach your bank. Check your bank account details, or contact your bank.")
_logged: set[str] = set()


def failure_text(code: str | None) -> str:
    """Return the message id for a payout failure code (the general one for a code not known here)."""
    if code in REASONS:
        return REASONS[code]
    if code and code not in _logged:
        _logged.add(code)
        logger.warning("Stripe sent a payout failure code this service does not know: %r", code)
    return GENERAL


def status_text(status: str) -> str:
    """Return the message id for a payout status (the status itself for one not known here)."""
    return STATUSES.get(status, status)
