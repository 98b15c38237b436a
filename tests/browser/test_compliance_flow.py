"""The compliance flow in Chromium: an editor and a reviewer log in with a password and a TOTP code (set up
at the first login), the editor cannot sign off the draft they prepared, the reviewer does; the audit log
records it all."""

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
from tests.support import staff as people
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
                      "SANDBOX_DELIVER_WEBHOOKS": False, "CATALOG_PATH": str(root),
                      "STAFF_PASSWORD_METHOD": "scrypt:16384:8:1"})  # as the suite's app_config: a fast hash
    upgrade(get_engine(app))
    people.create(app, "alex@example.com", "editor", PASSWORD)
    people.create(app, "sam@example.com", "reviewer", PASSWORD)
    with serve(app) as base:
        yield app, base


def _accessible(axe: Any, page: Any) -> None:
    violations = axe.run(page).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def _log_in(page: Any, app: Flask, axe: Any, email: str, setting_up: bool) -> None:
    """Log in with the password, then the code (reading the key off the set-up page the first time)."""
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/compliance/login/code" in page.url
    _accessible(axe, page)
    secret = page.locator('[data-testid="totp-secret"]')
    assert secret.count() == (1 if setting_up else 0)
    if setting_up:
        assert page.locator("figure svg").count() == 1  # the QR code an authenticator app scans
        people.secrets_of(app)[email] = {"secret": secret.inner_text().replace(" ", ""), "last": None}
    page.fill("#code", people.code(app, email))
    with page.expect_navigation():
        page.click("button[type=submit]")


def _log_out(page: Any) -> None:
    with page.expect_navigation():
        page.click("text=Log out")


def test_log_in_with_a_second_factor_and_sign_off_someone_elses_draft(
        page: Any, compliance_app: tuple[Flask, str], axe: Any) -> None:
    app, base = compliance_app
    catalog = app.extensions["catalog"]
    draft = catalog.new_version(date(2026, 12, 1), "alex@example.com")
    fields = catalog.root / draft / "fields.toml"
    fields.write_text(fields.read_text().replace('label = "Industry"', 'label = "Industry or trade"'))
    page.goto(f"{base}/compliance/")
    assert "/compliance/login" in page.url
    _accessible(axe, page)
    _log_in(page, app, axe, "alex@example.com", setting_up=True)  # the editor who prepared the draft
    assert page.url.endswith("/compliance/")
    with page.expect_navigation():
        page.click(f'tr[data-version="{draft}"] a')
    assert page.locator('[data-testid="own-draft"]').count() == 1 and page.locator("#note").count() == 0
    _accessible(axe, page)
    _log_out(page)
    _log_in(page, app, axe, "sam@example.com", setting_up=True)
    _accessible(axe, page)
    with page.expect_navigation():
        page.click(f'tr[data-version="{draft}"] a')
    assert "Industry or trade" in page.content() and "Prepared by alex@example.com" in page.content()
    _accessible(axe, page)
    page.fill("#note", "Clearer wording for the MCC question.")
    with page.expect_navigation():
        page.click("text=Approve and make current")
    assert catalog.current_id() == draft
    info = catalog.info(draft)
    assert (info.author, info.reviewed_by) == ("alex@example.com", "sam@example.com")
    assert info.reviewed_on == TEST_NOW.date()  # the served app runs on the suite's clock
    assert f'data-version="{draft}"' in page.content() and "(current)" in page.inner_text(f'tr[data-version="{draft}"]')
    _log_out(page)
    _log_in(page, app, axe, "sam@example.com", setting_up=False)  # the second time: the code alone
    with page.expect_navigation():
        page.click("text=Audit log")
    rows = page.inner_text('[data-testid="audit"]')
    assert "sign_off" in rows and "sam@example.com" in rows and "second_factor_set" in rows and "login" in rows
    _accessible(axe, page)
