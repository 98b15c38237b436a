"""Fixtures in layers: a database per test (SQLite and PostgreSQL), the app on the sandbox, clients."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from tests.support.postgres import ENV_URL, create_database, find_pg_bin, running_postgres
from tests.support.sdk_params import assert_log_uses_sdk_params

_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start one throwaway PostgreSQL server on loopback for the whole run."""
    if find_pg_bin() is None and not os.environ.get(ENV_URL):
        message = "PostgreSQL server binaries not found (scripts/ensure-system-packages.sh postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must test PostgreSQL, never skip it silently
        pytest.skip(message)
    with running_postgres(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of a fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return create_database(server, f"test_{os.getpid()}_{next(_database_numbers)}")


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Return the configuration the `app` fixture uses; tests may extend it before `app` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": None,
        "STRIPE_API_BASE": None,
        "STRIPE_WEBHOOK_SECRETS": ["whsec_test_secret"],
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "SANDBOX_DELIVER_WEBHOOKS": False,
        "PLATFORM_API_KEY": "platform-test-key",
    }


@pytest.fixture
def app(app_config: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Flask]:
    """Return the app on the in-process sandbox with a migrated database."""
    application = create_app(app_config)
    upgrade(get_engine(application))
    yield application
    sandbox = application.extensions.get("stripe_sandbox")
    try:
        if sandbox is not None:
            sandbox.close()  # first: a webhook still queued would open a connection after the dispose
            assert_log_uses_sdk_params(sandbox.log, request.node)
    finally:
        get_engine(application).dispose()


@pytest.fixture
def sandbox(app: Flask) -> Any:
    """Return the app's in-process sandbox."""
    return app.extensions["stripe_sandbox"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a CLI runner."""
    return app.test_cli_runner()
