"""`flask catalog check`: the six-month boundary, drift against Country Specs and live accounts, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from freezegun import freeze_time
from sqlmodel import Session, select

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from onboarding.models import FreshnessReport
from requirements_catalog.age import add_months, age
from stripe_sandbox import load_country_specs
from tests.sandbox.test_server import free_port, wait_for_line


@pytest.mark.parametrize("reviewed, fresh_until", [
    (date(2026, 2, 28), date(2026, 8, 28)), (date(2025, 8, 31), date(2026, 2, 28)),
    (date(2023, 8, 31), date(2024, 2, 29)), (date(2026, 11, 28), date(2027, 5, 28)),
    (date(2026, 12, 31), date(2027, 6, 30)), (date(2026, 7, 31), date(2027, 1, 31)),
])
def test_six_calendar_months_with_month_ends(reviewed: date, fresh_until: date) -> None:
    assert add_months(reviewed, 6) == fresh_until
    assert age(reviewed, fresh_until).stale is False  # exactly six months is still fresh
    assert age(reviewed, date.fromordinal(fresh_until.toordinal() + 1)).stale is True


def test_the_warning_window() -> None:
    reviewed = date(2026, 2, 28)  # fresh until 2026-08-28
    assert (age(reviewed, date(2026, 7, 29)).warning, age(reviewed, date(2026, 7, 30)).warning) == (False, True)
    assert age(reviewed, date(2026, 8, 28)).warning is True and age(reviewed, date(2026, 8, 29)).warning is False
    assert age(reviewed, date(2026, 8, 20), warn_days=5).warning is False


@pytest.mark.parametrize("today, code, state", [
    ("2027-06-05", 0, "fresh, review due soon"), ("2027-06-06", 0, "fresh, review due soon"),
    ("2027-06-07", 1, "STALE"), ("2027-01-10", 0, "fresh ("),
])
def test_check_on_the_boundary_of_the_shipped_version(app: Flask, today: str, code: int, state: str) -> None:
    with freeze_time(today):
        result = app.test_cli_runner().invoke(args=["catalog", "check"])
    assert result.exit_code == code, result.output
    assert f"Catalog 2026-12-06, reviewed 2026-12-06: {state}" in result.output
    assert "Checked 45 Country Specs and 0 accounts: 0 difference(s)" in result.output


def test_the_report_is_json_and_stored(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["catalog", "check", "--as-of", "2027-06-10", "--format", "json"])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["stale"] is True and report["warning"] is False
    assert {k: report[k] for k in ("as_of", "catalog_version", "reviewed_on", "age_days", "drift", "checked")} == {
        "as_of": "2027-06-10", "catalog_version": "2026-12-06", "reviewed_on": "2026-12-06", "age_days": 186,
        "drift": [], "checked": {"countries": 45, "accounts": 0}}
    with Session(get_engine(app)) as session:
        stored = session.exec(select(FreshnessReport)).one()
        assert stored.stale and stored.report == report and stored.as_of == date(2027, 6, 10)


@pytest.fixture
def changed_stripe(tmp_path: Path) -> Iterator[str]:
    """Run `python -m stripe_sandbox` with Country Specs where Stripe moved: US individuals changed."""
    specs = load_country_specs()
    data = [dict(specs.get(code)) for code in specs.ids()]
    us = next(spec for spec in data if spec["id"] == "US")
    fields = json.loads(json.dumps(us["verification_fields"]))
    fields["individual"]["minimum"].remove("individual.phone")
    fields["individual"]["minimum"].append("individual.full_name_aliases")
    us["verification_fields"] = fields
    path = tmp_path / "country_specs.json"
    path.write_text(json.dumps({"object": "list", "url": "/v1/country_specs", "has_more": False, "data": data}))
    port = free_port()
    env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "stripe_sandbox", "--host", "127.0.0.1", "--port", str(port),
                                "--country-specs", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    try:
        wait_for_line(process, "listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _app(app_config: dict[str, Any], api_base: str) -> Flask:
    app = create_app({**app_config, "STRIPE_API_BASE": api_base, "STRIPE_SECRET_KEY": "sk_test_freshness"})
    upgrade(get_engine(app))
    return app


def test_drift_against_country_specs_and_live_accounts(app_config: dict[str, Any], changed_stripe: str) -> None:
    app = _app(app_config, changed_stripe)
    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["accounts", "create", "--country", "US", "--business-type",
                                   "individual"]).exit_code == 0
    result = runner.invoke(args=["catalog", "check", "--as-of", "2026-12-01", "--format", "json"])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["stale"] is False
    assert report["checked"] == {"countries": 45, "accounts": 2}
    assert report["drift"] == [
        {"source": "country_specs", "country": "US", "business_type": "individual",
         "field": "individual.full_name_aliases", "kind": "missing_from_catalog", "accounts": None, "deadline": None,
         "required": "minimum"},
        {"source": "country_specs", "country": "US", "business_type": "individual", "field": "individual.phone",
         "kind": "not_required_by_stripe", "accounts": None, "deadline": None, "required": None},
        {"source": "accounts", "country": "US", "business_type": "individual", "field": "individual.full_name_aliases",
         "kind": "missing_from_catalog", "accounts": 2, "deadline": None, "required": None},
    ]
    text = runner.invoke(args=["catalog", "check", "--as-of", "2026-12-01"]).output
    assert "[accounts] US individual: individual.full_name_aliases missing from catalog (2 account(s)" in text
    get_engine(app).dispose()


def test_an_unreachable_stripe_is_exit_2_and_stores_nothing(app_config: dict[str, Any]) -> None:
    app = _app(app_config, f"http://127.0.0.1:{free_port()}")
    result = app.test_cli_runner().invoke(args=["catalog", "check"])
    assert result.exit_code == 2 and "Stripe could not be reached, nothing was checked" in result.output
    with Session(get_engine(app)) as session:
        assert session.exec(select(FreshnessReport)).all() == []
    get_engine(app).dispose()


def test_draft_adds_what_stripe_now_lists_and_leaves_approved_versions_alone(
        app_config: dict[str, Any], changed_stripe: str, tmp_path: Path) -> None:
    import shutil

    from requirements_catalog import DEFAULT_ROOT, Catalog, diff

    root = tmp_path / "catalog"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    app = _app({**app_config, "CATALOG_PATH": str(root)}, changed_stripe)
    result = app.test_cli_runner().invoke(args=["catalog", "check", "--as-of", "2026-12-10", "--draft"])
    assert result.exit_code == 1
    catalog = Catalog(root)
    draft = catalog.ids()[-1]
    info = catalog.info(draft)
    assert info.status == "draft" and info.based_on == "2026-12-06"
    assert "US individual: individual.full_name_aliases (minimum)" in info.notes
    assert "Stripe no longer lists (review, remove if right): US individual: individual.phone" in info.notes
    changes = diff(catalog.version("2026-12-06"), catalog.version(draft))
    assert changes["summary"] == {"added": 1, "removed": 0, "changed": 0}
    assert changes["countries"][0]["business_types"][0]["added"][0]["path"] == "individual.full_name_aliases"
    # The approved one is intact (the draft waits for its review: its NOTES.md does not count the new rule yet).
    assert app.test_cli_runner().invoke(args=["catalog", "validate", "--version", "2026-12-06"]).exit_code == 0
    get_engine(app).dispose()


@pytest.mark.parametrize("today, stale", [("2026-02-27", False), ("2026-02-28", False), ("2026-03-01", True)])
def test_a_version_reviewed_on_31_august_is_fresh_until_the_end_of_february(
        app_config: dict[str, Any], tmp_path: Path, today: str, stale: bool) -> None:
    import shutil

    from requirements_catalog import Catalog
    from tests.catalog.conftest import MINI

    root = tmp_path / "catalog"
    shutil.copytree(MINI, root)
    Catalog(root).approve("2030-01-01", "Sam", date(2025, 8, 31))
    app = create_app({**app_config, "CATALOG_PATH": str(root)})
    upgrade(get_engine(app))
    with freeze_time(today):
        result = app.test_cli_runner().invoke(args=["catalog", "check", "--format", "json"])
    report = json.loads(result.output)
    assert (report["reviewed_on"], report["fresh_until"], report["stale"]) == ("2025-08-31", "2026-02-28", stale)
    assert result.exit_code == 1  # the one-country crafted catalog also drifts from Stripe's 45 countries
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()


class _Pages:
    """A gateway whose account list has `pages` pages of two, then fails if `fail_on` is reached."""

    def __init__(self, pages: int, fail_on: int | None = None) -> None:
        self.pages, self.fail_on, self.asked = pages, fail_on, 0

    def list_accounts(self, *, limit: int, starting_after: str | None = None) -> Any:
        from onboarding.gateway import Page, Unavailable

        self.asked += 1
        if self.fail_on == self.asked:
            raise Unavailable("connection reset")
        number = self.asked
        return Page([{"id": f"acct_{number}_{i}"} for i in range(2)], number < self.pages)


def test_accounts_are_read_page_after_page_and_errors_reach_the_caller() -> None:
    from onboarding.gateway import Unavailable
    from onboarding.services.freshness import every_account

    assert [a["id"] for a in every_account(_Pages(3))] == [f"acct_{p}_{i}" for p in (1, 2, 3) for i in (0, 1)]
    read = every_account(_Pages(5, fail_on=3))
    assert [next(read)["id"] for _ in range(4)] == ["acct_1_0", "acct_1_1", "acct_2_0", "acct_2_1"]
    with pytest.raises(Unavailable):
        next(read)
    gateway = _Pages(1000)
    early = every_account(gateway)
    next(early)
    early.close()  # a consumer that stops early stops the reader too
    assert gateway.asked < 10
