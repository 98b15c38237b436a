"""Every Stripe write's idempotency key is committed before the call and reused on retry."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.gateway import IdempotencyConflict, InvalidRequest, RateLimited, Unavailable
from onboarding.models import StripeWrite
from onboarding.services import outbox

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _rows(app: Flask) -> list[StripeWrite]:
    with Session(get_engine(app)) as session:
        return list(session.exec(select(StripeWrite)).all())


def test_key_is_committed_before_the_call(app: Flask) -> None:
    engine = get_engine(app)
    seen: list[list[str]] = []

    def call(key: str) -> dict[str, Any]:
        # A separate connection sees the key: it survives a crash from here on.
        seen.append([row.idempotency_key for row in _rows(app)])
        return {"id": "acct_1", "key": key}

    result = outbox.perform(engine, "accounts.create", call, account_id="a1", target=None, now=NOW)
    assert seen == [[result["key"]]]
    (row,) = _rows(app)
    assert (row.status, row.attempts, row.result_id, row.account_id) == ("succeeded", 1, "acct_1", "a1")


def test_unknown_outcome_stays_pending_and_the_retry_reuses_the_key(app: Flask) -> None:
    engine = get_engine(app)
    keys: list[str] = []

    def failing(key: str) -> dict[str, Any]:
        keys.append(key)
        raise Unavailable("connection reset")

    with pytest.raises(Unavailable):
        outbox.perform(engine, "accounts.update", failing, account_id="a1", target="acct_1", now=NOW)
    (row,) = _rows(app)
    assert row.status == "pending"
    outbox.perform(engine, "accounts.update", lambda key: keys.append(key) or {"id": "acct_1"},
                   account_id="a1", target="acct_1", now=NOW, key=row.idempotency_key)
    (row,) = _rows(app)
    assert keys == [row.idempotency_key, row.idempotency_key]
    assert (row.status, row.attempts) == ("succeeded", 2)


def test_refusal_is_recorded_as_failed(app: Flask) -> None:
    engine = get_engine(app)

    def refused(key: str) -> dict[str, Any]:
        raise InvalidRequest("Invalid email address: x", code="email_invalid", param="email")

    with pytest.raises(InvalidRequest):
        outbox.perform(engine, "accounts.update", refused, account_id=None, target="acct_1", now=NOW)
    (row,) = _rows(app)
    assert (row.status, row.error_code) == ("failed", "email_invalid")


@pytest.mark.parametrize(("error", "status"), [
    (InvalidRequest("refused", code="email_invalid"), "failed"),
    (RateLimited("slow down", http_status=429), "failed"),
    (Unavailable("An unknown error occurred", http_status=500), "spent"),
    (IdempotencyConflict("other parameters", http_status=400), "spent"),
])
def test_an_answered_key_is_spent_and_the_next_attempt_takes_the_next_key(app: Flask, error: Exception,
                                                                         status: str) -> None:
    engine = get_engine(app)
    keys: list[str] = []

    def first(key: str) -> dict[str, Any]:
        keys.append(key)
        raise error

    with pytest.raises(type(error)):
        outbox.perform(engine, "accounts.update", first, account_id="a1", target="acct_1", now=NOW, key="base")
    outbox.perform(engine, "accounts.update", lambda key: keys.append(key) or {"id": "acct_1"},
                   account_id="a1", target="acct_1", now=NOW, key="base")
    assert keys == ["base", "base.1"]
    assert [(row.idempotency_key, row.status) for row in _rows(app)] == [("base", status), ("base.1", "succeeded")]
    # Only outcomes Stripe may have applied leave the write unsettled (a person create then looks first).
    assert outbox.unsettled(engine, "base") == (["base"] if status == "spent" else [])


def test_a_crash_after_the_reservation_leaves_the_key_pending(app: Flask) -> None:
    engine = get_engine(app)

    class Killed(BaseException):
        """The process dies: no handler of ours runs."""

    def killed(key: str) -> dict[str, Any]:
        raise Killed

    with pytest.raises(Killed):
        outbox.perform(engine, "persons.create", killed, account_id="a1", target="acct_1", now=NOW, key="base")
    (row,) = _rows(app)
    assert (row.status, row.attempts) == ("pending", 1)
    assert outbox.unsettled(engine, "base") == ["base"]


def test_keys_are_unique_and_unguessable() -> None:
    keys = {outbox.new_key("accounts.create") for _ in range(1000)}
    assert len(keys) == 1000
    assert all(k.startswith("accounts-create-") and len(k) == len("accounts-create-") + 32 for k in keys)
