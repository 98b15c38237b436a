"""Connected account operations."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..gateway import Gateway, GatewayError
from ..gateway.interface import account_create_params
from ..models import ConnectedAccount
from ..models.types import new_uuid
from . import outbox

logger = logging.getLogger(__name__)
BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
SERVICE_AGREEMENTS = ("full", "recipient")


class AccountError(ValueError):
    """A request for an account that cannot be honoured (bad country, business type, ...)."""


class IdempotencyMismatch(AccountError):
    """An `Idempotency-Key` came back with other parameters than its first request."""


def request_key(platform_key: str) -> str:
    """Return the outbox key of an account creation the platform keyed with `Idempotency-Key`."""
    return f"accounts-create-{hashlib.sha256(platform_key.encode()).hexdigest()[:32]}"


def create_account(session: Session, engine: Engine, gateway: Gateway, *, country: str,
                   business_type: str | None, email: str | None, service_agreement: str, now: datetime,
                   catalog_version: str | None = None, key: str | None = None) -> tuple[ConnectedAccount, bool]:
    """Create a connected account for API onboarding at Stripe and cache its state.

    With `key` (from the platform's `Idempotency-Key`), a repeated request returns the account the
    first one created, or finishes it with the same Stripe idempotency key when its outcome was lost.
    Return the account and whether this request created it.
    """
    country = country.upper()
    if len(country) != 2 or not country.isalpha():
        raise AccountError(f"country must be a two-letter ISO code, not {country!r}")
    if business_type is not None and business_type not in BUSINESS_TYPES:
        raise AccountError(f"business type must be one of {', '.join(BUSINESS_TYPES)}")
    if service_agreement not in SERVICE_AGREEMENTS:
        raise AccountError(f"service agreement must be one of {', '.join(SERVICE_AGREEMENTS)}")
    replay = {"params": account_create_params(country, business_type, email, service_agreement),
              "account": {"country": country, "business_type": business_type, "email": email,
                          "service_agreement": service_agreement, "catalog_version": catalog_version}}
    account_id = new_uuid()
    earlier = outbox.history(session, key)[:1] if key else []
    if earlier:
        if (earlier[0].replay or {}).get("params") != replay["params"]:
            raise IdempotencyMismatch("This Idempotency-Key was used with other parameters.")
        account_id = earlier[0].account_id or account_id
        existing = session.get(ConnectedAccount, account_id)
        if existing is not None:
            return existing, False
    return finish_creation(session, engine, gateway, account_id, replay, now, key), True


def finish_creation(session: Session, engine: Engine, gateway: Gateway, account_id: str, replay: dict[str, Any],
                    now: datetime, key: str | None = None) -> ConnectedAccount:
    """Create the account at Stripe (or have Stripe replay its creation) and add our row for it."""
    params = replay["params"]
    result = outbox.perform(engine, "accounts.create", lambda k: gateway.create_account(params, idempotency_key=k),
                            account_id=account_id, target=None, now=now, key=key, replay=replay)
    account = ConnectedAccount(id=account_id, **replay["account"], created_at=now, updated_at=now)
    account.apply_stripe_state(result, now)
    account.stripe_persons = []  # a new account has nobody yet: no page needs to ask Stripe
    session.add(account)
    return account


def find_account(session: Session, ident: str) -> ConnectedAccount | None:
    """Return an account by our id or its Stripe id."""
    account = session.get(ConnectedAccount, ident)
    if account is None:
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == ident)).first()
    return account


@dataclass(frozen=True)
class StripeState:
    """An account and, for a company, its people, as read from Stripe."""

    account: dict[str, Any]
    persons: list[dict[str, Any]] | None

    def apply_to(self, row: ConnectedAccount, now: datetime) -> None:
        """Cache this state on our row."""
        row.apply_stripe_state(self.account, now)
        if self.persons is not None:
            row.keep_persons(self.persons, now)


def read_account(gateway: Gateway, account: ConnectedAccount, *, persons: bool = True) -> StripeState | None:
    """Read an account (and with `persons`, a company's people) from Stripe, writing nothing.

    Returns None when Stripe cannot be reached: the cache stays as it was, which is what the pages show.
    """
    try:
        return fetch_account(gateway, account, persons)
    except GatewayError:
        logger.warning("could not read account %s from Stripe", account.id)
        return None


def refresh_account(session: Session, gateway: Gateway, account: ConnectedAccount, now: datetime, *,
                    persons: bool = False) -> ConnectedAccount:
    """Re-read the account (and with `persons`, a company's people) from Stripe and update the cache."""
    state = fetch_account(gateway, account, persons)
    if state is not None:
        state.apply_to(account, now)
        session.add(account)
    return account


def fetch_account(gateway: Gateway, account: ConnectedAccount, persons: bool) -> StripeState | None:
    """Read an account (and with `persons`, a company's people) from Stripe; GatewayError passes through."""
    if not account.stripe_id:
        return None
    state = gateway.retrieve_account(account.stripe_id)
    company = (state.get("business_type") or account.business_type) not in (None, "individual")
    return StripeState(state, all_persons(gateway, account.stripe_id) if persons and company else None)


def all_persons(gateway: Gateway, stripe_id: str) -> list[dict[str, Any]]:
    """Return every person of an account, following pagination."""
    found: list[dict[str, Any]] = []
    starting_after = None
    while True:
        page = gateway.list_persons(stripe_id, limit=100, starting_after=starting_after)
        found += page.data
        if not page.has_more or not page.data:
            return found
        starting_after = page.data[-1]["id"]


def marked_person(gateway: Gateway, stripe_id: str, base: str) -> dict[str, Any] | None:
    """Return the person created by the write whose key series is `base` (its metadata marker), if any."""
    return next((p for p in all_persons(gateway, stripe_id)
                 if (p.get("metadata") or {}).get(outbox.WRITE_MARKER) == base), None)


def lock_account(session: Session, account: ConnectedAccount) -> None:
    """Take the account's row for writing (PostgreSQL: its row lock; SQLite: the write lock) and reload it.

    Whatever changes the cache from what Stripe said (an event, a write's answer) does so under this
    lock, on the row as it is now: a request that read the row before a webhook changed it must not
    write its older copy back. Never held while Stripe is called: take it after.
    """
    session.execute(update(ConnectedAccount).where(ConnectedAccount.id == account.id)  # type: ignore[arg-type]
                    .values(updated_at=ConnectedAccount.updated_at)
                    .execution_options(synchronize_session=False))
    session.refresh(account)


def cached_persons(session: Session, gateway: Gateway, account: ConnectedAccount) -> list[dict[str, Any]]:
    """Return a company's people from our cache; only a row from before the cache reads Stripe (once)."""
    if account.business_type in (None, "individual") or not account.stripe_id:
        return []
    if account.stripe_persons is None:
        try:
            account.keep_persons(all_persons(gateway, account.stripe_id))
            session.add(account)
        except GatewayError:
            logger.warning("could not list the persons of %s", account.id)
            return []
    return list(account.stripe_persons or [])


def cached_state(session: Session, gateway: Gateway, account: ConnectedAccount, now: datetime) -> dict[str, Any]:
    """Return what Stripe holds of the answers, from our cache (kept by every write and webhook).

    A row from before the cache reads Stripe once and keeps it, as of `now` (when the read began);
    when Stripe cannot be read the form still works, only not prefilled.
    """
    if account.stripe_profile is None and account.stripe_id:
        try:
            account.apply_stripe_state(gateway.retrieve_account(account.stripe_id), now)
            session.add(account)
        except GatewayError:
            return {}
    return account.stripe_profile or {}
