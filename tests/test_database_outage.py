"""Database outages are visible and short: a branded 503 with Retry-After, JSON 503s, and the next request works.

The database goes away at the request's commit (SQLite: the commit raises; PostgreSQL: the server ends the
request's connection, or the whole server stops), before the request (unreachable), or was never migrated.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from onboarding import create_app
from onboarding.db import get_engine, make_engine
from onboarding.errors import RETRY_AFTER_SECONDS
from onboarding.migrate import upgrade
from onboarding.models import OnboardingLink, WebhookEvent
from stripe_sandbox.webhooks import sign
from tests.support.backends import BACKENDS
from tests.support.clock import TEST_NOW
from tests.support.postgres import ENV_URL, PostgresServer, find_pg_bin

AUTH = {"Authorization": "Bearer platform-test-key"}
URLS = {"return_url": "https://platform.example/return", "refresh_url": "https://platform.example/refresh"}
EVENT = {"id": "evt_outage_1", "object": "event", "type": "account.updated", "account": "acct_unknown",
         "created": 1, "livemode": False, "data": {"object": {"id": "acct_unknown", "object": "account"}}}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"PLATFORM_NAME": "Acme Payouts"}


def _link(client: FlaskClient) -> tuple[str, str]:
    """Create an account through the API and an onboarding link for it; return the account's id and the link's path."""
    account = client.post("/api/v1/accounts", json={"country": "US", "business_type": "individual"},
                          headers=AUTH).get_json()
    url = client.post(f"/api/v1/accounts/{account['id']}/links", json=URLS, headers=AUTH).get_json()["url"]
    return account["id"], url.removeprefix("http://localhost")


def _webhook(client: FlaskClient) -> Any:
    payload = json.dumps(EVENT).encode()
    return client.post("/webhooks/stripe", data=payload, headers={
        "Stripe-Signature": sign(payload, "whsec_test_secret", int(TEST_NOW.timestamp())),
        "Content-Type": "application/json"})


def _kill_own_connection(engine: Engine) -> Callable[[Connection], None]:
    """Return a commit hook that has the server end the committing connection, as a restart or failover does."""

    def kill(connection: Connection) -> None:
        pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
        with engine.connect() as admin:  # waits (up to 5 s) until that backend is gone
            assert admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()

    return kill


def _raise_at_commit(_connection: Connection) -> None:
    raise OperationalError("COMMIT", None, sqlite3.OperationalError("disk I/O error"))


@contextmanager
def database_lost_at_commit(app: Flask) -> Iterator[None]:
    """Make every commit of the app's engine fail as if the database went away right then."""
    engine = get_engine(app)
    hook = _kill_own_connection(engine) if engine.dialect.name == "postgresql" else _raise_at_commit
    event.listen(engine, "commit", hook)
    try:
        yield
    finally:
        event.remove(engine, "commit", hook)


def assert_try_again_page(response: Any, lang: str = "en") -> str:
    """Check the branded 503 page: status, Retry-After, language, platform name, headers; return its reference."""
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.mimetype == "text/html", page
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert f'<html lang="{lang}">' in page and "Acme Payouts" in page
    assert response.headers["Content-Security-Policy"]  # decorated like every other page
    for leak in ("OperationalError", "Traceback", "sqlite", "postgresql", "127.0.0.1"):
        assert leak not in page
    return re.search(r'data-testid="error-reference">([0-9a-f]{12})<', page).group(1)


def assert_json_503(response: Any) -> dict[str, Any]:
    """Check an API 503: JSON in the API's error shape, Retry-After."""
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    error = response.get_json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("service_unavailable", "database_unavailable", None)
    return error


# --- The database goes away at the request's commit ------------------------------------------------------


def test_a_page_whose_commit_fails_is_the_branded_503_and_spends_nothing(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    _account, path = _link(client)
    with database_lost_at_commit(app):
        response = client.get(path, headers={"Accept-Language": "de"})
    ref = assert_try_again_page(response, "de")
    assert "<h1>Bitte versuchen Sie es gleich noch einmal</h1>" in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert record.levelname == "WARNING" and "portal.open_link" in record.getMessage()
    assert path.rsplit("/", 1)[1] not in record.getMessage()  # the link's token stays out of the log
    with Session(get_engine(app)) as session:
        assert session.exec(select(OnboardingLink)).one().used_at is None  # the failed commit spent no link
    # The database is back: the same link opens on the first try.
    assert client.get(path).status_code == 303


def test_the_api_answers_json_503_when_its_commit_fails(app: Flask, client: FlaskClient) -> None:
    account = client.post("/api/v1/accounts", json={"country": "US"}, headers=AUTH).get_json()
    with database_lost_at_commit(app):
        error = assert_json_503(client.get(f"/api/v1/accounts/{account['id']}", headers=AUTH))
    assert f"{RETRY_AFTER_SECONDS} seconds" in error["message"]
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Error"]["properties"]
    assert set(error) == set(documented["error"]["properties"])
    assert error["type"] in documented["error"]["properties"]["type"]["enum"]
    assert client.get(f"/api/v1/accounts/{account['id']}", headers=AUTH).status_code == 200


def test_the_webhook_answers_503_when_its_commit_fails_and_the_redelivery_is_recorded(
        app: Flask, client: FlaskClient) -> None:
    with database_lost_at_commit(app):
        response = _webhook(client)
    assert response.status_code == 503 and response.mimetype == "application/json"  # Stripe delivers it again
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    with Session(get_engine(app)) as session:
        assert session.exec(select(WebhookEvent)).all() == []
    redelivered = _webhook(client)
    assert redelivered.status_code == 200 and redelivered.json["duplicate"] is False
    with Session(get_engine(app)) as session:
        assert [e.id for e in session.exec(select(WebhookEvent)).all()] == [EVENT["id"]]


# --- The database cannot be reached, or is not migrated ----------------------------------------------------


@pytest.fixture
def unreachable_app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """Return the app on a SQLite database that cannot be opened (its folder does not exist)."""
    app = create_app(app_config | {"DATABASE_URL": f"sqlite:///{tmp_path / 'gone' / 'db.sqlite3'}"})
    yield app
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()


def test_an_unreachable_database_answers_503_everywhere(unreachable_app: Flask) -> None:
    client = unreachable_app.test_client()
    assert_try_again_page(client.get("/onboard/some-token", headers={"Accept-Language": "sv"}), "sv")
    assert_json_503(client.get("/api/v1/accounts/acct_1", headers=AUTH))
    response = _webhook(client)
    assert response.status_code == 503 and response.get_json()["error"] == "service unavailable"
    assert client.get("/healthz").json["database"] == "unavailable"


def test_an_unmigrated_database_is_the_branded_503_with_the_reason_logged(
        bare_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = bare_app.test_client()
    ref = assert_try_again_page(client.get("/onboard/some-token"))
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    assert "is not migrated; run `flask --app wsgi db upgrade` first" in record.getMessage()
    assert_json_503(client.get("/api/v1/accounts/acct_1", headers=AUTH))
    upgrade(get_engine(bare_app))
    assert client.get("/onboard/some-token").status_code == 404  # served again: an unknown link


# --- PostgreSQL: the pool pings, and a real restart -------------------------------------------------------


def test_the_pool_pings_connections_before_use_on_a_server_database() -> None:
    server = make_engine("postgresql+psycopg://onboarding@127.0.0.1:9/nothing")  # creating it connects nowhere
    file = make_engine("sqlite:///nothing.sqlite3")
    assert server.pool._pre_ping is True and file.pool._pre_ping is False  # type: ignore[attr-defined]


requires_restartable_postgres = pytest.mark.skipif(
    "postgresql" not in BACKENDS or find_pg_bin() is None,
    reason="needs the PostgreSQL server binaries (a server of its own, to stop and start)")


@pytest.fixture(scope="module")
def restartable_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """Start a PostgreSQL server of this module's own: stopping the suite's would break other tests."""
    server = PostgresServer(tmp_path_factory.mktemp("pg-restart"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_app(app_config: dict[str, Any], restartable_postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Flask]:
    """Return the app, migrated, on the restartable server's database."""
    monkeypatch.delenv(ENV_URL, raising=False)
    app = create_app(app_config | {"DATABASE_URL": restartable_postgres.url, "DATABASE_POOL_SIZE": 2})
    upgrade(get_engine(app))
    yield app
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()
    cleaner = make_engine(restartable_postgres.url)
    try:
        with cleaner.begin() as connection:  # the next test starts on an empty database
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        cleaner.dispose()


@pytest.mark.postgres
@requires_restartable_postgres
@pytest.mark.parametrize("database_url", ["a server of its own"])  # not the suite's server: see pg_app
def test_postgresql_stopped_mid_request_then_started_again(pg_app: Flask, restartable_postgres: PostgresServer
                                                           ) -> None:
    client = pg_app.test_client()
    account, path = _link(client)

    event.listen(get_engine(pg_app), "commit", lambda _connection: restartable_postgres.pause(), once=True)
    try:
        assert_try_again_page(client.get(path, headers={"Accept-Language": "fi"}), "fi")
        # While it is down: every kind of request answers 503 at once.
        assert_try_again_page(client.get(path))
        assert_json_503(client.get(f"/api/v1/accounts/{account}", headers=AUTH))
        assert _webhook(client).status_code == 503
        assert client.get("/healthz").status_code == 503
    finally:
        restartable_postgres.resume()
    assert client.get(path).status_code == 303  # back: the first request succeeds
    assert _webhook(client).status_code == 200


@pytest.mark.postgres
@requires_restartable_postgres
@pytest.mark.parametrize("database_url", ["a server of its own"])
def test_after_a_postgresql_restart_the_next_request_succeeds(pg_app: Flask, restartable_postgres: PostgresServer
                                                              ) -> None:
    client = pg_app.test_client()
    account = client.post("/api/v1/accounts", json={"country": "US"}, headers=AUTH).get_json()
    assert get_engine(pg_app).pool.checkedin() >= 1  # a pooled connection the restart is about to break
    restartable_postgres.pause()
    restartable_postgres.resume()
    # The pre-ping finds the broken connection and opens a new one: no request fails after the restart.
    assert client.get(f"/api/v1/accounts/{account['id']}", headers=AUTH).status_code == 200
