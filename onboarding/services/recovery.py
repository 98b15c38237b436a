"""Drain the outbox: settle the Stripe writes whose outcome was lost (`flask outbox retry`, from cron).

A write stays `pending` when its request died between reserving the key and hearing from Stripe (a
dropped connection, a timeout, a killed worker). What the retry can do depends on what we kept:

- `accounts.create` keeps its parameters (nothing personal): it is sent again with the same key, so
  Stripe either replays the account it made or makes it now, and our row for it is added.
- `persons.create` carries a marker in its metadata: the person is looked up on the account; found,
  the write succeeded; not found, it never reached Stripe.
- A write Stripe said yes to whose request then failed to commit has its answer recorded: the answer
  is put into the cache (`services/answers.py`), as the account's next view would.
- Every other write carried personal data that we never keep (names, ID and account numbers, files),
  so it cannot be sent again: the account and its people are re-read from Stripe, so that the forms
  show what landed and ask again for what did not, and the write is marked `abandoned`.

Only writes older than the grace period are touched: a younger one may still be retried by its user,
whose form keeps the same keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..db import independent_session
from ..gateway import Gateway, GatewayError
from ..models import ConnectedAccount, StripeWrite
from ..models.types import as_utc
from . import outbox
from .accounts import finish_creation, marked_person, refresh_account
from .answers import repair


@dataclass
class Drained:
    """What one run did, by outcome."""

    replayed: int = 0  # accounts created (or replayed) with their first key
    landed: int = 0  # writes found done at Stripe (a person by its marker, an account by our row)
    abandoned: int = 0  # writes that cannot be sent again; their account was re-read
    errors: int = 0  # Stripe could not be reached: left pending for the next run
    left: int = 0  # younger than the grace period
    repaired: int = 0  # answers of Stripe a failed commit kept out of the cache, put into it

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as JSON-ready data."""
        return asdict(self)


def drain(engine: Engine, gateway: Gateway, now: datetime, *, grace: timedelta) -> Drained:
    """Settle every pending write older than `grace`; each account's changes commit on their own."""
    drained = Drained()
    drained.repaired = _repair_lost_answers(engine, now, grace)
    with Session(engine) as session:
        pending = list(session.exec(select(StripeWrite).where(StripeWrite.status == "pending")
                                    .order_by(col(StripeWrite.id))).all())
    refreshed: set[str] = set()
    for write in pending:
        if as_utc(write.created_at) > now - grace:
            drained.left += 1
            continue
        try:
            _settle(engine, gateway, write, now, drained, refreshed)
        except GatewayError:
            drained.errors += 1
    return drained


def _repair_lost_answers(engine: Engine, now: datetime, grace: timedelta) -> int:
    """Put into the cache every answer Stripe gave whose request failed to commit (older than `grace`)."""
    with Session(engine) as session:
        accounts = set(session.exec(select(StripeWrite.account_id).where(
            StripeWrite.status == "succeeded", col(StripeWrite.answer).is_not(None),
            col(StripeWrite.applied_at).is_(None), col(StripeWrite.completed_at) <= now - grace)).all())
    return sum(repair(engine, account_id, now) for account_id in sorted(a for a in accounts if a))


def _settle(engine: Engine, gateway: Gateway, write: StripeWrite, now: datetime, drained: Drained,
            refreshed: set[str]) -> None:
    with Session(engine, expire_on_commit=False) as session:
        account = session.get(ConnectedAccount, write.account_id) if write.account_id else None
        if write.operation == "accounts.create" and account is not None and account.stripe_id:
            outbox.complete(engine, write.idempotency_key, {"id": account.stripe_id}, now)  # a retry finished it
            drained.landed += 1
            return
        if write.operation == "accounts.create" and write.replay:
            finish_creation(session, engine, gateway, str(write.account_id), write.replay, now,
                            key=write.idempotency_key)
            session.commit()
            drained.replayed += 1
            return
        if write.operation == "persons.create" and account is not None and account.stripe_id:
            base = write.idempotency_key.split(".")[0]
            person = marked_person(gateway, account.stripe_id, base)
            if person is not None:
                account.keep_person(person)
                session.add(account)
                session.commit()
                outbox.complete(engine, write.idempotency_key, person, now)
                drained.landed += 1
                return
        if account is not None and account.id not in refreshed:
            refresh_account(session, gateway, account, now, persons=True)
            session.commit()
            refreshed.add(account.id)
    _abandon(engine, write.idempotency_key, now)
    drained.abandoned += 1


def _abandon(engine: Engine, key: str, now: datetime) -> None:
    with independent_session(engine) as session:
        row = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).one()
        row.status, row.completed_at = "abandoned", now
        row.error_message = "Outcome unknown and the parameters are not kept; the account was re-read."
        session.add(row)
