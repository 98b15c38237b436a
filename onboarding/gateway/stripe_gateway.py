"""The Stripe implementation of the gateway, on `stripe.StripeClient` (the only `stripe` import)."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import stripe

from .interface import (
    AccountsV1NotEnabled,
    AccountUnavailable,
    AuthenticationFailed,
    BankAccount,
    GatewayError,
    IdempotencyConflict,
    InvalidRequest,
    Page,
    RateLimited,
    SignatureInvalid,
    StripeObject,
    Unavailable,
    param_path,
)

T = TypeVar("T")
logger = logging.getLogger(__name__)


class _NoRequestBodies(logging.Filter):
    """Drop the SDK's debug records: they carry request bodies, ID and account numbers included.

    A filter on the logger itself holds whatever a later logging configuration does to its level,
    handlers or propagation.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def quiet_sdk_logging() -> None:
    """Keep the SDK's debug output (it prints request bodies, numbers included) out of our logs."""
    stripe.log = None
    # The SDK also prints bodies to stderr when STRIPE_LOG=debug was in the environment at import;
    # it reads that module attribute on every request, so clearing it is what turns it off.
    if getattr(stripe._util, "STRIPE_LOG", None) is not None:  # noqa: SLF001 (no public switch exists)
        logging.getLogger(__name__).warning("STRIPE_LOG is ignored: the SDK would print request bodies")
        stripe._util.STRIPE_LOG = None  # noqa: SLF001
    logger = logging.getLogger("stripe")
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    if not any(isinstance(f, _NoRequestBodies) for f in logger.filters):
        logger.addFilter(_NoRequestBodies())


def _plain(obj: Any) -> StripeObject:
    response = getattr(obj, "last_response", None)
    if response is not None and isinstance(getattr(response, "data", None), dict):
        return dict(response.data)
    return obj.to_dict(recursive=True, for_json=True)


def _translate(exc: stripe.StripeError) -> GatewayError:
    error = exc.error
    kwargs: dict[str, Any] = {
        "code": getattr(exc, "code", None) or getattr(error, "code", None),
        "param": param_path(getattr(exc, "param", None) or getattr(error, "param", None)),
        "http_status": exc.http_status,
        "request_id": exc.request_id,
    }
    message = exc.user_message or str(exc) or exc.__class__.__name__
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(message, **kwargs)
    if isinstance(exc, stripe.RateLimitError):
        return RateLimited(message, **kwargs)
    if isinstance(exc, stripe.PermissionError) and (kwargs["code"] == "account_invalid"
                                                    or "does not have access to account" in message):
        return AccountUnavailable(message, **kwargs)
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return AuthenticationFailed(message, **kwargs)
    if isinstance(exc, stripe.InvalidRequestError) and AccountsV1NotEnabled.matches(message):
        return _accounts_v1_not_enabled(message, kwargs)
    if isinstance(exc, (stripe.InvalidRequestError, stripe.CardError)):
        if exc.http_status == 429:
            return RateLimited(message, **kwargs)
        return InvalidRequest(message, **kwargs)
    if isinstance(exc, stripe.SignatureVerificationError):
        return SignatureInvalid(message, **kwargs)
    return Unavailable(message, **kwargs)


def _accounts_v1_not_enabled(stripe_message: str, kwargs: dict[str, Any]) -> AccountsV1NotEnabled:
    # Logged here, once per refusal: the operator must act on it, and Stripe's words name the setting.
    logger.warning("Stripe refused to create a connected account: Accounts v1 support is not enabled for this "
                   "platform (request %s). Stripe said: %s", kwargs["request_id"], stripe_message)
    return AccountsV1NotEnabled(stripe_message, **kwargs)


class StripeGateway:
    """Talk to Stripe, or to anything that speaks its API, through the official SDK."""

    def __init__(self, client: stripe.StripeClient, webhook_secrets: list[str], mode: str) -> None:
        self.client = client
        self.webhook_secrets = webhook_secrets
        self.mode = mode
        self.api_version = stripe.api_version  # what the SDK sends as Stripe-Version

    @classmethod
    def build(cls, api_key: str, *, api_base: str | None, webhook_secrets: list[str], max_network_retries: int,
              http_client: Any = None, mode: str = "stripe") -> StripeGateway:
        """Build the client: real Stripe, another address (`api_base`), or an in-process `http_client`."""
        quiet_sdk_logging()
        options: dict[str, Any] = {"max_network_retries": max_network_retries}
        if api_base:
            base = api_base.rstrip("/")
            options["base_addresses"] = {"api": base, "files": base, "connect": base}
        if http_client is not None:
            options["http_client"] = http_client
        return cls(stripe.StripeClient(api_key, **options), webhook_secrets, mode)

    def _call(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except stripe.StripeError as exc:
            raise _translate(exc) from None

    def _write(self, call: Callable[..., Any], *args: Any, params: dict[str, Any], key: str) -> StripeObject:
        return _plain(self._call(lambda: call(*args, params=params, options={"idempotency_key": key})))

    # -- accounts -----------------------------------------------------------------------
    def create_account(self, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create a connected account."""
        return self._write(self.client.v1.accounts.create, params=params, key=idempotency_key)

    def update_account(self, account_id: str, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Update a connected account."""
        return self._write(self.client.v1.accounts.update, account_id, params=params, key=idempotency_key)

    def retrieve_account(self, account_id: str) -> StripeObject:
        """Retrieve a connected account."""
        return _plain(self._call(lambda: self.client.v1.accounts.retrieve(account_id)))

    def list_accounts(self, *, limit: int = 100, starting_after: str | None = None) -> Page:
        """List connected accounts, one page."""
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        # The raw JSON: building the SDK's objects for 100 accounts and turning them back into dicts
        # cost more than the request itself, and `catalog check` reads every account there is.
        response = self._call(lambda: self.client.raw_request("get", "/v1/accounts", **params))
        body = response.data
        return Page(list(body.get("data") or []), bool(body.get("has_more")))

    # -- persons ------------------------------------------------------------------------
    def create_person(self, account_id: str, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create a person on an account."""
        return self._write(self.client.v1.accounts.persons.create, account_id, params=params, key=idempotency_key)

    def update_person(self, account_id: str, person_id: str, params: dict[str, Any], *,
                      idempotency_key: str) -> StripeObject:
        """Update a person."""
        return self._write(self.client.v1.accounts.persons.update, account_id, person_id, params=params,
                           key=idempotency_key)

    def delete_person(self, account_id: str, person_id: str, *, idempotency_key: str) -> StripeObject:
        """Delete a person."""
        return _plain(self._call(lambda: self.client.v1.accounts.persons.delete(
            account_id, person_id, options={"idempotency_key": idempotency_key})))

    def list_persons(self, account_id: str, *, limit: int = 100, starting_after: str | None = None) -> Page:
        """List an account's persons, one page."""
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        page = self._call(lambda: self.client.v1.accounts.persons.list(account_id, params=params))
        return Page([_plain_item(p) for p in page.data], bool(page.has_more))

    # -- bank accounts and files ---------------------------------------------------------
    def add_external_account(self, account_id: str, bank: BankAccount | str, *, idempotency_key: str,
                             default_for_currency: bool = True) -> StripeObject:
        """Attach a payout bank account, given as details or as a `btok_` token."""
        external = bank.params() if isinstance(bank, BankAccount) else bank
        params = {"external_account": external, "default_for_currency": default_for_currency}
        return self._write(self.client.v1.accounts.external_accounts.create, account_id, params=params,
                           key=idempotency_key)

    def upload_file(self, purpose: str, filename: str, content: bytes, *, idempotency_key: str) -> StripeObject:
        """Upload a file to Stripe's Files API."""
        upload = io.BytesIO(content)
        upload.name = filename  # the SDK's multipart encoder takes the part's filename from here
        params: dict[str, Any] = {"purpose": purpose, "file": upload}
        return self._write(self.client.v1.files.create, params=params, key=idempotency_key)

    # -- balance and payouts (read as the connected account: `Stripe-Account`) -------------
    def retrieve_balance(self, account_id: str) -> StripeObject:
        """Return a connected account's balance (`available` and `pending`, per currency)."""
        return _plain(self._call(lambda: self.client.v1.balance.retrieve(options={"stripe_account": account_id})))

    def list_payouts(self, account_id: str, *, limit: int = 10) -> Page:
        """Return a connected account's latest payouts, newest first, each with its bank account expanded."""
        params: dict[str, Any] = {"limit": limit, "expand": ["data.destination"]}
        page = self._call(lambda: self.client.v1.payouts.list(params=params,
                                                             options={"stripe_account": account_id}))
        return Page([_plain_item(p) for p in page.data], bool(page.has_more))

    # -- the hosted flow -----------------------------------------------------------------
    def create_account_link(self, params: dict[str, Any], *, idempotency_key: str) -> StripeObject:
        """Create an Account Link (`account_link_params`): a single-use address of Stripe's hosted flow."""
        return self._write(self.client.v1.account_links.create, params=params, key=idempotency_key)

    # -- country specs and webhooks ------------------------------------------------------
    def list_country_specs(self, *, page_size: int = 100) -> Iterator[StripeObject]:
        """Yield every Country Spec, page by page."""
        params: dict[str, Any] = {"limit": page_size}
        while True:
            page = self._call(lambda: self.client.v1.country_specs.list(params=dict(params)))
            yield from (_plain_item(spec) for spec in page.data)
            if not page.has_more or not page.data:
                return
            params["starting_after"] = page.data[-1].id

    def construct_event(self, payload: bytes, signature: str | None) -> StripeObject:
        """Verify a webhook payload against each configured secret (several during rotation)."""
        if not self.webhook_secrets:
            raise SignatureInvalid("No webhook secret is configured.")
        last: Exception | None = None
        for secret in self.webhook_secrets:
            try:
                event = self.client.construct_event(payload, signature, secret)
            except (stripe.SignatureVerificationError, ValueError) as exc:
                last = exc
                continue
            _refuse_future(signature or "")
            return event.to_dict(recursive=True, for_json=True)
        raise SignatureInvalid(str(last) if last else "Invalid signature.")


def _refuse_future(signature: str) -> None:
    """Refuse a signed timestamp further ahead than the tolerance allows behind.

    stripe-python's check (`WebhookSignature.verify_header`) only refuses timestamps older than the
    tolerance; a timestamp in the future would keep a captured request replayable until then.
    """
    stamps = [part.split("=", 1)[1] for part in signature.split(",") if part.startswith("t=")]
    try:
        signed_at = int(stamps[0])
    except (IndexError, ValueError):
        raise SignatureInvalid("Unable to extract timestamp and signatures from header") from None
    if signed_at > time.time() + stripe.Webhook.DEFAULT_TOLERANCE:
        raise SignatureInvalid("Timestamp outside the tolerance zone (in the future)")


def _plain_item(obj: Any) -> StripeObject:
    return obj.to_dict(recursive=True, for_json=True)
