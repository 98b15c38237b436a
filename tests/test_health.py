"""The health endpoint and the sandbox banner."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from onboarding import create_app


def test_health_reports_database_and_stripe_mode(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "stripe": "sandbox"}


def test_health_is_503_when_the_database_is_unreachable(app_config: dict[str, Any]) -> None:
    app = create_app(app_config | {"DATABASE_URL": "sqlite:////nonexistent-dir/never/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_sandbox_banner_on_pages_when_not_on_real_stripe(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="sandbox-banner"' in page


def test_no_banner_against_real_stripe(app_config: dict[str, Any]) -> None:
    app = create_app(app_config | {"STRIPE_SECRET_KEY": "sk_test_real_key"})
    assert app.config["STRIPE_MODE"] == "stripe"
    page = app.test_client().get("/").get_data(as_text=True)
    assert "data-testid=\"sandbox-banner\"" not in page
    assert "stripe_sandbox" not in app.extensions


def test_banner_when_sent_to_a_sandbox_server(app_config: dict[str, Any]) -> None:
    app = create_app(app_config | {"STRIPE_API_BASE": "http://127.0.0.1:9"})
    assert app.config["STRIPE_MODE"] == "sandbox-server"
    assert 'data-testid="sandbox-banner"' in app.test_client().get("/").get_data(as_text=True)


def test_app_factory_does_no_io_before_a_request(app: Flask) -> None:
    # The engine exists but has not connected: nothing happens at start-up.
    assert app.extensions["db_engine"].pool.checkedout() == 0


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Any) -> None:
    """The database holds people's names and addresses: 0600, and SQLite's -wal and -shm follow it (issue 14)."""
    from sqlalchemy import text

    from onboarding.db import make_engine

    path = tmp_path / "private.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    assert not path.exists()  # creating the engine touches nothing
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x TEXT)"))
        connection.execute(text("INSERT INTO t VALUES ('Jenny Rosen')"))
        files = [p for p in tmp_path.iterdir() if p.name.startswith("private.sqlite3")]
        assert {p.name for p in files} >= {"private.sqlite3", "private.sqlite3-wal"}
        assert all(p.stat().st_mode & 0o077 == 0 for p in files), [(p.name, oct(p.stat().st_mode)) for p in files]
    engine.dispose()
