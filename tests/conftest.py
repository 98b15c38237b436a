"""Fixtures in layers: a database per test (SQLite and PostgreSQL), the app on the sandbox, clients."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# psycopg and the models are imported before any test sets the clock: psycopg's compiled module checks the
# size of the real datetime classes when it is loaded, and pydantic cannot type freezegun's.
import psycopg  # noqa: F401
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
import freezegun
from freezegun import freeze_time
from freezegun.api import TickingDateTimeFactory

import onboarding.models  # noqa: F401
from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from tests.support.backends import BACKENDS
from tests.support.clock import TEST_NOW
from tests.support.postgres import ENV_URL, create_database, find_pg_bin, running_postgres
from tests.support.sdk_params import assert_log_uses_sdk_params

_database_numbers = itertools.count()
# pytest times the tests by the real clock (`--durations`). Only that module, by name: freezegun also ignores
# calls made a few frames below an ignored module, so ignoring `_pytest` would unfreeze the tests' own calls.
freezegun.configure(extend_ignore_list=["_pytest.timing"])
_SUITE_TMP = pytest.StashKey[Path]()


@pytest.hookimpl(tryfirst=True)  # before pytest's own tmp_path plugin reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    """Give the run a temporary folder of its own, so no other process's files in /tmp reach a test.

    TMPDIR (subprocesses, SQLite), `tempfile` (this process) and pytest's `tmp_path` all point into it.
    It is removed when the run passes and kept, with its path printed, when it fails.
    """
    root = Path(tempfile.mkdtemp(prefix="onboarding-tests-"))
    root.chmod(0o755)  # as root the PostgreSQL server runs as `postgres`, which must reach its folder here
    config.stash[_SUITE_TMP] = root
    os.environ["TMPDIR"] = str(root)
    tempfile.tempdir = str(root)
    if config.option.basetemp is None:
        config.option.basetemp = str(root / "pytest")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests that need a timed wait to expire when the clock is moved under libfaketime.

    libfaketime moves CLOCK_MONOTONIC by the same days, but not the deadlines Python's threads wait on
    (`threading.Timer`, `Condition.wait(timeout)`): a wait of 0.1 s that must run out lasts the shift,
    200 days. These tests measure intervals, never the calendar, so the shifted passes have nothing to
    find in them; the first pass runs them on the real clock.
    """
    if not os.environ.get("ONBOARDING_TEST_CLOCK_SHIFT_DAYS"):
        return
    skip = pytest.mark.skip(reason="a timed wait must expire; libfaketime keeps it from expiring (see conftest)")
    # Long tests that run at TEST_NOW under freezegun and read no other clock would repeat the first pass's
    # outcome exactly: the generated journeys (a minute and more per pass) run once, within CI's budget.
    repeat = pytest.mark.skip(reason="the same at every date: run in the first pass only (see conftest)")
    for item in items:
        if item.get_closest_marker("timed_waits"):
            item.add_marker(skip)
        elif item.get_closest_marker("first_pass_only"):
            item.add_marker(repeat)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the run's temporary folder after a passing run; keep it for a failing one."""
    root = session.config.stash.get(_SUITE_TMP, None)
    if root is None:
        return
    if exitstatus == 0:
        shutil.rmtree(root, ignore_errors=True)
    else:
        session.config.get_terminal_writer().line(f"the run's temporary files are kept in {root}")


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[TickingDateTimeFactory | None]:
    """Set the clock to TEST_NOW for every test, ticking on from there: no test runs on the real day.

    `clock.tick(seconds)` and `clock.move_to(when)` move it. It ticks because the code under test also
    measures time (timeouts, webhook deliveries) and must see it pass. Tests marked `own_clock` keep
    theirs: the browser tests (their own freeze, which leaves Playwright on the real clock), tests that
    talk to another process's clock, and the few that freezegun's date classes would break (rtoml writes
    only the real ones); `scripts/test.sh`'s passes in the future cover those.
    """
    if request.node.get_closest_marker("own_clock"):
        yield None
        return
    with freeze_time(TEST_NOW, tick=True) as frozen:
        yield frozen


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


@pytest.fixture(params=BACKENDS)
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
        # A cheaper scrypt than production's N=2^17 (0.4 s a hash): logins are many here; the cost itself is tested
        # in tests/test_compliance.py.
        "STAFF_PASSWORD_METHOD": "scrypt:16384:8:1",
    }


@pytest.fixture
def app(app_config: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[Flask]:
    """Return the app on the in-process sandbox with a migrated database.

    The app and its sandbox share one clock (the `clock` fixture's): links expire, future requirements
    apply and the catalog ages by it, so no test of the app depends on the day it runs.
    """
    application = create_app(app_config)
    upgrade(get_engine(application))
    yield application
    sandbox = application.extensions.get("stripe_sandbox")
    try:
        application.extensions["notifications"].close()  # nothing is sent after the database is gone
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


@pytest.fixture
def bare_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """Return the app on a database nobody has migrated."""
    app = create_app(app_config)
    yield app
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()
