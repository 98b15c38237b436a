"""The compliance flow in Chromium: log in, open a diff, sign a draft off; the audit log records it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from requirements_catalog import DEFAULT_ROOT
from tests.browser.conftest import serve
from tests.support.clock import TEST_NOW

# Frozen by tests/browser/conftest.py for the whole session, with Playwright left on the real clock.
pytestmark = pytest.mark.own_clock

PASSWORD = "correct horse battery staple"


@pytest.fixture
def compliance_app(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The app on a copy of the catalog (a sign-off writes files), served on a loopback port."""
    root = tmp_path / "catalog"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    app = create_app({"SECRET_KEY": "compliance-browser", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None, "STRIPE_WEBHOOK_SECRETS": ["whsec_c"],
                      "SANDBOX_DELIVER_WEBHOOKS": False, "CATALOG_PATH": str(root)})
    upgrade(get_engine(app))
    assert app.test_cli_runner().invoke(args=["staff", "create", "sam@example.com", "--password",
                                              PASSWORD]).exit_code == 0
    with serve(app) as base:
        yield app, base


def _accessible(axe: Any, page: Any) -> None:
    violations = axe.run(page).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_log_in_compare_and_sign_off(page: Any, compliance_app: tuple[Flask, str], axe: Any) -> None:
    app, base = compliance_app
    catalog = app.extensions["catalog"]
    draft = catalog.new_version(date(2026, 12, 1), "Alex")
    fields = catalog.root / draft / "fields.toml"
    fields.write_text(fields.read_text().replace('label = "Industry"', 'label = "Industry or trade"'))
    page.goto(f"{base}/compliance/")
    assert "/compliance/login" in page.url
    _accessible(axe, page)
    page.fill("#email", "sam@example.com")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    _accessible(axe, page)
    with page.expect_navigation():
        page.click(f'tr[data-version="{draft}"] a')
    assert "Industry or trade" in page.content() and "Industry" in page.content()
    _accessible(axe, page)
    page.fill("#note", "Clearer wording for the MCC question.")
    with page.expect_navigation():
        page.click("text=Approve and make current")
    assert catalog.current_id() == draft
    assert catalog.info(draft).reviewed_on == TEST_NOW.date()  # the served app runs on the suite's clock
    assert f'data-version="{draft}"' in page.content() and "(current)" in page.inner_text(f'tr[data-version="{draft}"]')
    with page.expect_navigation():
        page.click("text=Audit log")
    rows = page.inner_text('[data-testid="audit"]')
    assert "sign_off" in rows and "sam@example.com" in rows and "login" in rows
    _accessible(axe, page)
