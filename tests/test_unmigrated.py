"""Commands cron runs, on a database that was never migrated, is behind or cannot be reached: one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
URLS = ["--return-url", "https://platform.example/return", "--refresh-url", "https://platform.example/refresh"]
# Every command that reads or writes the database (`db upgrade` is the one that fixes it; `catalog validate`,
# `show`, `diff`, `new-version` and `approve` work on the catalog's files alone).
COMMANDS = {
    "catalog check": ["catalog", "check"],
    "catalog check json": ["catalog", "check", "--format", "json"],
    "outbox retry": ["outbox", "retry"],
    "notifications send": ["notifications", "send"],
    "accounts create": ["accounts", "create", "--country", "US"],
    "accounts show": ["accounts", "show", "acct_123", "--refresh"],
    "accounts link": ["accounts", "link", "acct_123", *URLS],
    "staff create": ["staff", "create", "sam@example.com", "--password", "correct horse battery"],
    "staff set-role": ["staff", "set-role", "sam@example.com", "admin"],
    "staff reset-second-factor": ["staff", "reset-second-factor", "sam@example.com"],
}


def _run(app: Flask, args: list[str]) -> Any:
    return app.test_cli_runner().invoke(args=args)


def _one_line(result: Any, *expected: str) -> str:
    """Check the command's stop: exit 2, nothing on stdout, one line on stderr holding `expected`; return it."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.output
    line = result.stderr.strip()
    assert line.startswith("Error: ") and all(part in line for part in expected), line
    return line


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_each_command_says_the_database_is_not_migrated_and_how_to_fix_it(bare_app: Flask, args: list[str]) -> None:
    line = _one_line(_run(bare_app, args), "is not migrated", "flask --app wsgi db upgrade")
    assert "password" not in line.lower()
    assert bare_app.extensions["stripe_sandbox"].log == []  # it stopped before asking Stripe anything


def test_after_db_upgrade_the_same_command_runs(bare_app: Flask) -> None:
    assert _run(bare_app, ["db", "upgrade"]).exit_code == 0
    result = _run(bare_app, ["outbox", "retry"])
    assert result.exit_code == 0 and '"left": 0' in result.stdout


def test_a_database_behind_this_version_names_both_revisions(bare_app: Flask) -> None:
    upgrade(get_engine(bare_app), "0005")
    _one_line(_run(bare_app, COMMANDS["catalog check"]), "at revision 0005", "needs 0012", "db upgrade")


def test_a_database_migrated_by_a_newer_version_is_not_touched(bare_app: Flask) -> None:
    engine = get_engine(bare_app)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    _one_line(_run(bare_app, COMMANDS["notifications send"]), "9999_from_the_future", "newer version")


def test_an_unreachable_database_is_one_line_too(app_config: dict[str, Any], tmp_path: Path) -> None:
    app = create_app(app_config | {"DATABASE_URL": f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.sqlite3'}"})
    try:
        _one_line(_run(app, COMMANDS["outbox retry"]), "could not connect to the database")
    finally:
        app.extensions["stripe_sandbox"].close()


def test_the_command_cron_runs_on_a_fresh_checkout(tmp_path: Path) -> None:
    """Run `flask --app wsgi catalog check` as a process, as cron does, before anyone ran `db upgrade`."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "SECRET_KEY": "fresh",
           "SANDBOX_DELIVER_WEBHOOKS": "0"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "catalog", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "is not migrated; run `flask --app wsgi db upgrade` first" in result.stderr


def test_health_says_the_database_is_not_migrated(bare_app: Flask) -> None:
    response = bare_app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "not_migrated"
    assert "sqlite" not in response.get_data(as_text=True)  # where the database is stays in the log
