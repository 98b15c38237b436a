"""What the app may ask of Stripe: a small Protocol, plain-dict results and our own errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

StripeObject = dict[str, Any]


class GatewayError(Exception):
    """A Stripe call failed; `param` is our dotted field path (`individual.dob.year`)."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None,
                 http_status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.http_status = http_status
        self.request_id = request_id


class InvalidRequest(GatewayError):
    """Stripe refused the parameters: show the error on the field named by `param`."""


class IdempotencyConflict(GatewayError):
    """The idempotency key was used before with other parameters."""


class RateLimited(GatewayError):
    """Too many requests: try again shortly."""


class AuthenticationFailed(GatewayError):
    """The API key was refused."""


class Unavailable(GatewayError):
    """Stripe could not be reached or failed: the write may or may not have happened."""


class SignatureInvalid(GatewayError):
    """A webhook payload's signature did not verify."""


class AccountUnavailable(GatewayError):
    """Stripe will not show this connected account to our key: unknown, deleted, or another platform's.

    Live Stripe answers 403 `account_invalid` ("... does not have access to account ... (or that account
    does not exist)"), not 404; retrying cannot help.
    """


class AccountsV1NotEnabled(GatewayError):
    """Stripe refused to create a connected account: the platform has not enabled Accounts v1 support.

    New Connect platforms get Accounts v2 only; this service creates accounts with v1 (controller
    properties), so the platform's operator must switch v1 on. Not an `InvalidRequest`: nothing the user
    entered is wrong. `message` says what to do; `stripe_message` keeps Stripe's own words.
    """

    dashboard_url = "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support"
    doc_url = "https://docs.stripe.com/connect/accounts-v2/account-creation"
    # What Stripe's refusal points to (its docs page, or the setting's id in a Dashboard link).
    markers = ("connect/accounts-v2/account-creation", "feat_accounts_v1_support")

    def __init__(self, stripe_message: str, *, code: str | None = None, param: str | None = None,
                 http_status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(
            "Stripe refused to create the connected account: this service creates connected accounts with "
            "Accounts v1, which this Stripe platform has not enabled. Enable \"Accounts v1 support\" in the "
            f"Stripe Dashboard at {self.dashboard_url} (Settings → Features), then retry. "
            f"Background: {self.doc_url}",
            code=code, param=param, http_status=http_status, request_id=request_id)
        self.stripe_message = stripe_message

    @classmethod
    def matches(cls, stripe_message: str) -> bool:
        """Tell whether a refusal's text is Stripe's answer to a platform without Accounts v1 support."""
        return any(marker in stripe_message for marker in cls.markers)


def param_path(param: str | None) -> str | None:
    """Turn Stripe's `individual[dob][year]` into our field path `individual.dob.year`."""
    if not param:
        return None
    return re.sub(r"\[([^\]]*)\]", r".\1", param)


@dataclass(frozen=True)
class BankAccount:
    """A payout bank account as the form collects it; sent to Stripe, never stored."""

    country: str
    currency: str
    account_number: str
    routing_number: str | None = None
    account_holder_name: str | None = None
    account_holder_type: str | None = None

    def __repr__(self) -> str:  # never let the number reach a log line
        return f"BankAccount(country={self.country!r}, currency={self.currency!r}, last4={self.account_number[-4:]!r})"

    def params(self) -> dict[str, Any]:
        """Return Stripe's `external_account` hash (for external account creation or an account update)."""
        external: dict[str, Any] = {"object": "bank_account", "country": self.country, "currency": self.currency,
                                    "account_number": self.account_number}
        for name in ("routing_number", "account_holder_name", "account_holder_type"):
            if getattr(self, name):
                external[name] = getattr(self, name)
        return external


@dataclass
class Page:
    """One page of a Stripe list."""

    data: list[StripeObject] = field(default_factory=list)
    has_more: bool = False


@runtime_checkable
class Gateway(Protocol):
    """The Stripe operations onboarding needs. Writes take the idempotency key we stored first."""

    mode: str  # "stripe", "sandbox-server" or "sandbox"
    api_version: str  # the Stripe API version its requests pin (and its answers' shape)

    def create_account(self, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create a connected account."""

    def update_account(self, account_id: str, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Update a connected account."""

    def retrieve_account(self, account_id: str) -> StripeObject:
        """Retrieve a connected account."""

    def list_accounts(self, *, limit: int = 100, starting_after: str | None = None) -> Page:
        """List connected accounts, one page."""

    def create_person(self, account_id: str, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create a person on an account."""

    def update_person(self, account_id: str, person_id: str, params: dict[str, Any], *,
                      idempotency_key: str) -> StripeObject:
        """Update a person."""

    def delete_person(self, account_id: str, person_id: str, *, idempotency_key: str) -> StripeObject:
        """Delete a person."""

    def list_persons(self, account_id: str, *, limit: int = 100, starting_after: str | None = None) -> Page:
        """List an account's persons, one page."""

    def add_external_account(self, account_id: str, bank: BankAccount | str, *, idempotency_key: str,
                             default_for_currency: bool = True) -> StripeObject:
        """Attach a payout bank account, given as details or as a `btok_` token."""

    def upload_file(self, purpose: str, filename: str, content: bytes, *, idempotency_key: str) -> StripeObject:
        """Upload a file to Stripe's Files API."""

    def list_country_specs(self, *, page_size: int = 100) -> Iterator[StripeObject]:
        """Yield every Country Spec, page by page."""

    def retrieve_balance(self, account_id: str) -> StripeObject:
        """Return a connected account's balance (`available` and `pending`, per currency)."""

    def list_payouts(self, account_id: str, *, limit: int = 10) -> Page:
        """Return a connected account's latest payouts, newest first, each with its bank account expanded."""

    def create_account_link(self, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create an Account Link (`account_link_params`): a single-use address of Stripe's hosted flow."""

    def construct_event(self, payload: bytes, signature: str | None) -> StripeObject:
        """Verify a webhook payload against the configured secrets and return the event."""


def account_create_params(country: str, business_type: str | None, email: str | None,
                          service_agreement: str) -> dict[str, Any]:
    """Return the parameters for an API-onboarding account (controller properties, not `type`)."""
    capabilities: dict[str, Any] = {"transfers": {"requested": True}}
    if service_agreement == "full":
        capabilities["card_payments"] = {"requested": True}
    params: dict[str, Any] = {
        "country": country,
        "controller": {
            "requirement_collection": "application",
            "stripe_dashboard": {"type": "none"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        },
        "capabilities": capabilities,
        "tos_acceptance": {"service_agreement": service_agreement},
    }
    if business_type:
        params["business_type"] = business_type
    if email:
        params["email"] = email
    return params


def account_link_params(account_id: str, *, refresh_url: str, return_url: str,
                        fields: str = "currently_due") -> dict[str, Any]:
    """Return the parameters of an Account Link to Stripe's hosted onboarding for what is due now.

    `type=account_onboarding` collects the outstanding requirements; `collection_options[fields]`
    chooses `currently_due` (or `eventually_due`). Stripe answers `{"object": "account_link", "created",
    "expires_at", "url"}`; the URL works once and for a few minutes. Sources: docs.stripe.com/api/account_links/create
    and docs.stripe.com/connect/hosted-onboarding, stripe-python 16.1.0's `AccountLinkCreateParams` and
    `AccountLink` (read 2026-12-06).
    """
    return {"account": account_id, "type": "account_onboarding", "refresh_url": refresh_url,
            "return_url": return_url, "collection_options": {"fields": fields}}
