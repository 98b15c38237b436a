"""Stripe said yes, then our database failed at the request's commit: no duplicate, no stale cache, no bare 500.

The failure is injected at the commit of the request's own session only (the outbox's own sessions still
commit, as they would when the database goes away between them): on SQLite the commit raises, on
PostgreSQL the server ends that connection first, as a restart or failover does.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

import onboarding.db
from onboarding.db import get_engine
from onboarding.models import ConnectedAccount, StripeWrite
from tests.support.wizard import Page, Wizard
from tests.test_wizard_company import US_COMPANY, _owner


class _Armed:
    """Whether the next commit of a request's session fails."""

    on = False


@pytest.fixture
def commit_fails(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Armed]:
    """Arm `armed.on = True` to make the next request commit fail as if the database went away then."""
    armed = _Armed()
    engine = get_engine(app)

    class FailingOnce(Session):
        def commit(self) -> None:
            # The request's own commit (`db._commit`), not the outbox's independent sessions.
            if armed.on and sys._getframe(1).f_code is onboarding.db._commit.__code__:
                armed.on = False
                if engine.dialect.name == "postgresql":
                    pid = self.connection().connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
                    with engine.connect() as admin:
                        admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
                else:
                    raise OperationalError("COMMIT", None, sqlite3.OperationalError("disk I/O error"))
            super().commit()

    monkeypatch.setattr(onboarding.db, "Session", FailingOnce)
    yield armed


def _owners(sandbox: Any, stripe_id: str) -> list[Any]:
    return [p for p in sandbox.store.persons_of(stripe_id) if (p.data.get("relationship") or {}).get("owner")]


def _cached(app: Flask, account_id: str) -> ConnectedAccount:
    with Session(get_engine(app)) as session:
        return session.get(ConnectedAccount, account_id)


def test_a_person_stripe_made_is_neither_lost_nor_made_twice(client: FlaskClient, app: Flask, sandbox: Any,
                                                              commit_fails: _Armed, clock: Any) -> None:
    wizard = Wizard(client, "US", "company")
    page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
    assert page.path == "/onboarding/step/owners"
    stripe_id, account_id = wizard.account["stripe_id"], wizard.account["id"]
    form = page.form("save")
    clock.tick(2)  # a second later than the persons our cache holds: the answer is plainly newer

    commit_fails.on = True
    failed = wizard.submit(form, _owner("Ada", "Lovelace"))
    html = failed.get_data(as_text=True)
    assert failed.status_code == 503 and "We saved part of this" in html and "Check and continue" in html
    assert [p.data["last_name"] for p in _owners(sandbox, stripe_id)] == ["Lovelace"]  # Stripe has her
    [write] = [w for w in _rows(app) if w.operation == "persons.create" and w.answer["last_name"] == "Lovelace"]
    assert write.status == "succeeded" and write.applied_at is None

    # The next view puts Stripe's recorded answer into the cache: no webhook, no Stripe read.
    reads = len(sandbox.log)
    page = Page("/onboarding/step/owners", client.get("/onboarding/step/owners"))
    assert "Lovelace" in page.html, page.html
    assert len(sandbox.log) == reads
    cached = _cached(app, account_id)
    assert [p["last_name"] for p in cached.stripe_persons if p["relationship"]["owner"]] == ["Lovelace"]
    assert all(w.applied_at is not None for w in _rows(app) if w.answer)

    # The same form sent again finds her by its marker; a fresh form of this visit by her name and role.
    assert wizard.submit(form, _owner("Ada", "Lovelace")).status_code == 303
    fresh = Page("/onboarding/step/owners", client.get("/onboarding/step/owners")).form("save")
    assert wizard.submit(fresh, {**_owner("Ada", "Lovelace"), "owners.phone": "0000000000"}).status_code == 303
    assert [p.data["last_name"] for p in _owners(sandbox, stripe_id)] == ["Lovelace"]

    # Our cache matches Stripe, without a webhook.
    stripe_persons = {p.id: (p.data.get("first_name"), p.data.get("last_name")) for p in
                      sandbox.store.persons_of(stripe_id)}
    cached = _cached(app, account_id)
    assert {p["id"]: (p.get("first_name"), p.get("last_name")) for p in cached.stripe_persons} == stripe_persons
    assert not sandbox.dispatcher  # the app's tests deliver no webhooks


def test_outbox_retry_puts_a_lost_answer_into_the_cache(client: FlaskClient, app: Flask, sandbox: Any,
                                                         commit_fails: _Armed, clock: Any) -> None:
    wizard = Wizard(client, "US", "company")
    page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    commit_fails.on = True
    assert wizard.submit(page.form("save"), US_COMPANY).status_code == 503  # the representative, at Stripe
    cached = _cached(app, wizard.account["id"])
    assert not cached.stripe_persons  # the request's cache change was lost with its commit
    clock.tick(3600)
    result = app.test_cli_runner().invoke(args=["outbox", "retry"])
    assert result.exit_code == 0, result.output
    assert '"repaired": ' in result.output and '"repaired": 0' not in result.output
    cached = _cached(app, wizard.account["id"])
    assert [p["last_name"] for p in cached.stripe_persons] == ["Rosen"]
    assert all(w.applied_at is not None for w in _rows(app) if w.answer)


def _rows(app: Flask) -> list[StripeWrite]:
    with Session(get_engine(app)) as session:
        return list(session.exec(select(StripeWrite)).all())
