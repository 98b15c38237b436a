"""Stripe writes through the outbox: the idempotency key is stored before the call.

The key's row is committed by an independent session, not the request's, so that a crash between
our commit and Stripe's answer leaves the key behind: a retry (by the user or by a recovery job)
reuses it and Stripe replays the first result instead of writing twice. The request's own session
then records a success and commits once, at the end of the request; a failure is recorded by an
independent session too, because the request that sees it usually rolls back.

Reserve before the request's session writes anything: SQLite has a single writer, and the
independent commit would otherwise wait on the request's own uncommitted transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..db import independent_session
from ..gateway import GatewayError, Unavailable
from ..models import StripeWrite


def new_key(operation: str) -> str:
    """Return a fresh idempotency key: the operation plus 128 random bits."""
    return f"{operation.replace('.', '-')}-{secrets.token_hex(16)}"


def reserve(engine: Engine, operation: str, *, account_id: str | None, target: str | None,
            now: datetime, key: str | None = None) -> str:
    """Store a pending write with its key (or count another attempt at it), committed at once."""
    key = key or new_key(operation)
    with independent_session(engine) as session:
        write = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).first()
        if write is None:
            write = StripeWrite(idempotency_key=key, account_id=account_id, operation=operation,
                                target=target, created_at=now)
        write.attempts += 1
        session.add(write)
    return key


def _record_failure(engine: Engine, key: str, exc: GatewayError, status: str, now: datetime) -> None:
    with independent_session(engine) as session:
        write = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).one()
        write.status = status
        write.completed_at = now if status == "failed" else None
        write.error_code, write.error_message = exc.code, exc.message[:500]
        session.add(write)


def perform(session: Session, engine: Engine, operation: str, call: Callable[[str], dict[str, Any]], *,
            account_id: str | None, target: str | None, now: datetime, key: str | None = None
            ) -> dict[str, Any]:
    """Reserve a key, make the call with it, and record the outcome in the request's session."""
    key = reserve(engine, operation, account_id=account_id, target=target, now=now, key=key)
    try:
        result = call(key)
    except Unavailable as exc:
        # Outcome unknown: the row stays pending so a retry reuses the key.
        _record_failure(engine, key, exc, "pending", now)
        raise
    except GatewayError as exc:
        _record_failure(engine, key, exc, "failed", now)
        raise
    write = session.exec(select(StripeWrite).where(StripeWrite.idempotency_key == key)).one()
    write.status, write.completed_at, write.result_id = "succeeded", now, result.get("id")
    write.error_code = write.error_message = None
    session.add(write)
    return result
