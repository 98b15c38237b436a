"""Stripe's answers to our writes, kept by the outbox: taken into the cache with the request, or repaired later.

A request that writes to Stripe puts the answer into the cached account and commits once, at its end.
If that commit fails after Stripe said yes (the database went away), Stripe holds the change and our
cache does not. The outbox recorded the answer on its own (`outbox.KEPT_ANSWERS`), so:

- the request marks each answer it put into the cache as taken (`taken_on_commit`): the mark is written
  by the request's own commit, so it exists exactly when the cache change does;
- an answer recorded but not taken is put into the cache later (`repair`, in a transaction of its own):
  on the account's next view (the wizard, the status page) and by `flask outbox retry`, without asking
  Stripe. Each cached part
  takes it only when it is newer than what the part holds (`models/ordering.py`): a webhook that arrived
  meanwhile wins, and the events of the write itself bring its state where the answer cannot be placed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..db import independent_session
from ..models import ConnectedAccount, StripeWrite
from ..models import ordering
from ..models.accounts import account_part, person_part
from ..models.types import as_utc
from .accounts import lock_account

logger = logging.getLogger(__name__)
_PENDING = "onboarding_answers_taken"  # session.info key: (keys, when) to mark at the request's commit
_SAID_YES = "onboarding_stripe_said_yes"


def taken_on_commit(session: Session, keys: list[str], now: datetime) -> None:
    """Mark these writes' answers as taken by the cache when (and only when) this session commits.

    Written in `before_commit`, not now: the request's session stays free of writes until its one
    commit (SQLite has one writer, and the outbox's own sessions write meanwhile).
    """
    if not keys:
        return
    pending: list[str] = session.info.setdefault(_PENDING, [])
    if not pending and not event.contains(session, "before_commit", _mark_taken):
        event.listen(session, "before_commit", _mark_taken)
    pending.extend(k for k in keys if k not in pending)
    if has_request_context():
        g.setdefault(_SAID_YES, True)  # outlives the session, which a failed commit discards: the error page reads it
    session.info[f"{_PENDING}:at"] = now


def stripe_said_yes() -> bool:
    """Tell whether this request took answers of Stripe into the cache (to be committed with it)."""
    return bool(has_request_context() and g.get(_SAID_YES))


def _mark_taken(session: Session) -> None:
    keys: list[str] = session.info.pop(_PENDING, [])
    now = session.info.pop(f"{_PENDING}:at", None)
    if keys:
        session.execute(update(StripeWrite).where(col(StripeWrite.idempotency_key).in_(keys))
                        .values(applied_at=now))


def untaken(session: Session, account_id: str) -> list[StripeWrite]:
    """Return the account's writes Stripe said yes to whose answer the cache never took, oldest first."""
    return list(session.exec(
        select(StripeWrite).where(StripeWrite.account_id == account_id, StripeWrite.status == "succeeded",
                                  col(StripeWrite.answer).is_not(None), col(StripeWrite.applied_at).is_(None))
        .order_by(col(StripeWrite.id))).all())


def repair(engine: Engine, account_id: str, now: datetime) -> int:
    """Put the account's untaken answers into the cache; return how many were looked at.

    In a transaction of its own, committed before the caller goes on: the cache and the marks that it
    took the answers commit together, and the request's own session stays free of writes (it reloads
    the account when something was taken). Never a Stripe call: a page view must not wait on Stripe.
    """
    with Session(engine) as probe:
        if not untaken(probe, account_id):
            return 0
    with independent_session(engine) as session:
        account = session.get(ConnectedAccount, account_id)
        writes = untaken(session, account_id)
        if account is None or not writes:
            return 0
        lock_account(session, account)
        for write in writes:
            _take(account, write)
            write.applied_at = now
            session.add(write)
        session.add(account)
    logger.info("looked at %d answer(s) of Stripe that a failed commit had kept from the cache, account %s",
                len(writes), account_id)
    return len(writes)


def _take(account: ConnectedAccount, write: StripeWrite) -> None:
    """Put one answer into the cache where the part holds nothing newer (`ordering.judge`).

    A part that an event moved within the answer's second keeps what it holds: the events of that very
    write bring the state, as they bring every state of Stripe's.
    """
    answer: dict[str, Any] = write.answer or {}
    when = as_utc(write.completed_at or write.created_at)
    if answer.get("object") == "account":
        key, state = "account", account_part(answer)
    elif answer.get("deleted"):
        key, state = f"person:{answer.get('id')}", None
    else:
        key, state = f"person:{answer.get('id')}", person_part(answer)
    # A person the cache never held (no mark of its own, only its list's): nothing newer can be known of
    # them; a deletion since would have left a mark of its own.
    mark = ordering.mark_of(account.stripe_marks, key) if key in (account.stripe_marks or {}) or state is None \
        or key == "account" else None
    verdict = ordering.judge(mark, ordering.second(when), None, ordering.fingerprint(state))
    if verdict is not ordering.Verdict.APPLY:
        return
    if answer.get("object") == "account":
        account.apply_stripe_state(answer, when)
    elif state is None:
        account.forget_person(str(answer.get("id")), now=when)
    else:
        account.keep_person(answer, now=when)
