"""Stripe writes through the outbox: the idempotency key is stored before the call.

The key's row is committed by an independent session, not the request's, so that a crash between
our commit and Stripe's answer leaves the key behind: a retry (by the user or by `flask outbox
retry`) reuses it and Stripe replays the first result instead of writing twice. Outcomes are recorded
by independent sessions too: the outbox is a log of what Stripe was asked and answered, true whether or
not the request that asked commits, and the request's own session stays free of writes until its single
commit at the end (SQLite has one writer: a request holding the write lock would block the next key).

What Stripe answered a write the cache keeps (`KEPT_ANSWERS`: an account, a person) is recorded the same
way, with the key: if the request's own commit then fails (the database went away after Stripe said
yes), the answer is still known, and `services/answers.py` puts it into the cache on the account's next
view or `flask outbox retry`. The cache marks it taken (`applied_at`) in the request's own transaction,
so the mark and the cache commit or fail together.

A key is spent once Stripe has answered it for good: a refusal or a 429 (`failed`: nothing was
written), a 500 (Stripe replays even those) or a conflict, the same key with other parameters after the
user changed an answer (`spent`: the write may have happened). The next attempt at the same write then
takes the next key of its series (`base`, `base.1`, `base.2`, ...). A key whose outcome is unknown (a
dropped connection, a timeout, a crash) stays `pending` and is reused as it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..db import independent_session
from ..gateway import GatewayError, IdempotencyConflict, Unavailable
from ..models import StripeWrite

WRITE_MARKER = "onboarding_write"  # metadata naming the key series of the write that created an object
SPENT = ("failed", "spent")  # statuses whose key Stripe will only ever replay
MAX_SERIES = 20  # attempts at one write that Stripe answered for good; beyond it the form needs a new visit
# Writes whose answer is the state the cache keeps; other answers (files, links) are not recorded.
# (`accounts.create` is not: without its committed row there is no account to repair; `flask outbox retry`
# sends it again with its kept parameters instead.)
KEPT_ANSWERS = frozenset({"accounts.update", "persons.create", "persons.update", "persons.delete"})


def new_key(operation: str) -> str:
    """Return a fresh idempotency key: the operation plus 128 random bits."""
    return f"{operation.replace('.', '-')}-{secrets.token_hex(16)}"


def series(base: str) -> list[str]:
    """Return the keys one write may use, in order."""
    return [base] + [f"{base}.{n}" for n in range(1, MAX_SERIES)]


def history(session: Session, base: str) -> list[StripeWrite]:
    """Return the rows of a write's key series, oldest first."""
    keys = series(base)
    rows = session.exec(select(StripeWrite).where(col(StripeWrite.idempotency_key).in_(keys))).all()
    return sorted(rows, key=lambda row: keys.index(row.idempotency_key))


def reserve(engine: Engine, operation: str, *, account_id: str | None, target: str | None,
            now: datetime, key: str | None = None, replay: dict[str, Any] | None = None,
            visit: str | None = None) -> str:
    """Store a pending write with the first unspent key of its series, committed at once; return the key."""
    base = key or new_key(operation)
    with independent_session(engine) as session:
        rows = {row.idempotency_key: row for row in history(session, base)}
        key = next((k for k in series(base) if k not in rows or rows[k].status not in SPENT), None)
        if key is None:
            raise Unavailable("This form was sent too many times; open the step again.")
        write = rows.get(key) or StripeWrite(idempotency_key=key, account_id=account_id, operation=operation,
                                             target=target, created_at=now, replay=replay, visit=visit)
        write.status = "pending"
        write.attempts += 1
        session.add(write)
    return key


def _record_failure(engine: Engine, key: str, exc: GatewayError, status: str, now: datetime) -> None:
    with independent_session(engine) as session:
        write = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).one()
        write.status = status
        write.completed_at = now if status in SPENT else None
        write.error_code, write.error_message = exc.code or type(exc).__name__, exc.message[:500]
        session.add(write)


def perform(engine: Engine, operation: str, call: Callable[[str], dict[str, Any]], *,
            account_id: str | None, target: str | None, now: datetime, key: str | None = None,
            replay: dict[str, Any] | None = None, visit: str | None = None,
            answered: list[str] | None = None) -> dict[str, Any]:
    """Reserve a key, make the call with it, and record the outcome on its own; return Stripe's answer.

    `answered` collects the key of a write Stripe said yes to, for the caller to mark its answer taken
    by the cache in the request's transaction (`answers.taken_on_commit`).
    """
    key = reserve(engine, operation, account_id=account_id, target=target, now=now, key=key, replay=replay,
                  visit=visit)
    try:
        result = call(key)
    except Unavailable as exc:
        # No answer at all: the outcome is unknown, so the row stays pending and a retry reuses the key.
        # An answer (a 500) is replayed by Stripe for this key: it is spent, the outcome still open.
        _record_failure(engine, key, exc, "spent" if exc.http_status else "pending", now)
        raise
    except IdempotencyConflict as exc:
        _record_failure(engine, key, exc, "spent", now)
        raise
    except GatewayError as exc:
        _record_failure(engine, key, exc, "failed", now)
        raise
    complete(engine, key, result, now)
    if answered is not None:
        answered.append(key)
    return result


def complete(engine: Engine, key: str, result: dict[str, Any], now: datetime) -> None:
    """Record a write's success, and the answer when the cache keeps it (`KEPT_ANSWERS`)."""
    with independent_session(engine) as session:
        write = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).one()
        write.status, write.completed_at, write.result_id = "succeeded", now, result.get("id")
        write.error_code = write.error_message = None
        if write.operation in KEPT_ANSWERS and result.get("object") in ("account", "person"):
            write.answer = dict(result)  # the gateway answers plain JSON data (`stripe_gateway._plain`)
        session.add(write)


def unsettled(engine: Engine, base: str) -> list[str]:
    """Return the keys of earlier attempts at this write that may have reached Stripe without our knowing."""
    with Session(engine) as session:
        return [row.idempotency_key for row in history(session, base) if row.status in ("pending", "spent")]
