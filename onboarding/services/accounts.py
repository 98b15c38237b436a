"""Connected account operations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..gateway import Gateway
from ..gateway.interface import account_create_params
from ..models import ConnectedAccount
from ..models.types import new_uuid
from . import outbox

BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
SERVICE_AGREEMENTS = ("full", "recipient")


class AccountError(ValueError):
    """A request for an account that cannot be honoured (bad country, business type, ...)."""


def create_account(session: Session, engine: Engine, gateway: Gateway, *, country: str,
                   business_type: str | None, email: str | None, service_agreement: str, now: datetime,
                   catalog_version: str | None = None) -> ConnectedAccount:
    """Create a connected account for API onboarding at Stripe and cache its state."""
    country = country.upper()
    if len(country) != 2 or not country.isalpha():
        raise AccountError(f"country must be a two-letter ISO code, not {country!r}")
    if business_type is not None and business_type not in BUSINESS_TYPES:
        raise AccountError(f"business type must be one of {', '.join(BUSINESS_TYPES)}")
    if service_agreement not in SERVICE_AGREEMENTS:
        raise AccountError(f"service agreement must be one of {', '.join(SERVICE_AGREEMENTS)}")
    account_id = new_uuid()
    params = account_create_params(country, business_type, email, service_agreement)
    result = outbox.perform(session, engine, "accounts.create",
                            lambda key: gateway.create_account(params, idempotency_key=key),
                            account_id=account_id, target=None, now=now)
    account = ConnectedAccount(id=account_id, country=country, business_type=business_type, email=email,
                               service_agreement=service_agreement, catalog_version=catalog_version,
                               created_at=now, updated_at=now)
    account.apply_stripe_state(result, now)
    session.add(account)
    return account


def find_account(session: Session, ident: str) -> ConnectedAccount | None:
    """Return an account by our id or its Stripe id."""
    account = session.get(ConnectedAccount, ident)
    if account is None:
        account = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == ident)).first()
    return account


def refresh_account(session: Session, gateway: Gateway, account: ConnectedAccount, now: datetime) -> ConnectedAccount:
    """Re-read the account from Stripe and update the cached state."""
    if account.stripe_id:
        account.apply_stripe_state(gateway.retrieve_account(account.stripe_id), now)
        session.add(account)
    return account
