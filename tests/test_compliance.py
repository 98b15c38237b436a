"""The compliance pages: staff accounts, rate-limited login, diffs, sign-off, reports and the audit log."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import AuditEntry, StaffUser
from requirements_catalog import DEFAULT_ROOT, Catalog

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "catalog"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return app_config | {"CATALOG_PATH": str(root)}


@pytest.fixture
def staff(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["staff", "create", "Sam@Example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return "sam@example.com"


def _csrf(client: FlaskClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/compliance/login", data={"email": email, "password": password,
                                                  "csrf_token": _csrf(client, "/compliance/login")})


def test_staff_accounts_keep_only_a_password_hash(app: Flask, staff: str) -> None:
    with Session(get_engine(app)) as session:
        user = session.exec(select(StaffUser)).one()
    assert user.email == staff and PASSWORD not in user.password_hash and user.password_hash.startswith("scrypt:")
    short = app.test_cli_runner().invoke(args=["staff", "create", "x@example.com", "--password", "short"])
    assert short.exit_code == 2 and "at least 12 characters" in short.output


def test_pages_need_a_login_and_logins_are_audited(client: FlaskClient, app: Flask, staff: str) -> None:
    assert client.get("/compliance/").headers["Location"].startswith("/compliance/login")
    assert _login(client, staff, "wrong password!!").status_code == 401
    response = _login(client, staff)
    assert response.status_code == 303 and response.headers["Location"] == "/compliance/"
    assert 'data-version="2026-11-28"' in client.get("/compliance/").get_data(as_text=True)
    with Session(get_engine(app)) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["login_failed", "login"]


def test_logging_out_ends_every_copy_of_the_session(app: Flask, staff: str) -> None:
    first, other = app.test_client(), app.test_client()
    assert _login(first, staff).status_code == 303
    stolen = first.get_cookie("session").value  # a copy taken before the logout
    token = _csrf(first, "/compliance/")
    assert first.post("/compliance/logout", data={"csrf_token": token}).status_code == 303
    other.set_cookie("session", stolen)
    assert other.get("/compliance/").headers["Location"].startswith("/compliance/login")
    assert _login(first, staff).status_code == 303  # a new login works again
    assert first.get("/compliance/").status_code == 200


def test_logins_are_rate_limited(client: FlaskClient, staff: str) -> None:
    for _ in range(5):
        assert _login(client, staff, "wrong password!!").status_code == 401
    response = _login(client, staff)  # even the right password waits now
    assert response.status_code == 429 and "Too many failed attempts" in response.get_data(as_text=True)


def test_diff_and_sign_off_make_the_draft_current(client: FlaskClient, app: Flask, staff: str) -> None:
    catalog: Catalog = app.extensions["catalog"]
    current = catalog.current_id()
    draft = catalog.new_version(__import__("datetime").date(2027, 1, 1), "Alex")
    us = catalog.root / draft / "countries" / "US.toml"
    us.write_text(us.read_text().replace('"individual.ssn_last_4",\n', ""))
    _login(client, staff)
    html = client.get(f"/compliance/diff?old={current}&new={draft}").get_data(as_text=True)
    assert "0 added, 1 removed, 0 changed" in html and "<del>individual.ssn_last_4</del>" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"/compliance/versions/{draft}/approve", data={"csrf_token": token}).status_code == 400
    response = client.post(f"/compliance/versions/{draft}/approve", data={"csrf_token": token,
                                                                          "note": "US SSN last 4 dropped by Stripe"})
    assert response.status_code == 303 and catalog.current_id() == draft
    info = catalog.info(draft)
    assert info.status == "approved" and info.reviewed_by == staff and "US SSN last 4 dropped" in info.notes
    with Session(get_engine(app)) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "sign_off")).one()
    assert entry.actor == staff and entry.detail == {"version": draft, "previous": current,
                                                     "note": "US SSN last 4 dropped by Stripe"}
    audit_page = client.get("/compliance/audit").get_data(as_text=True)
    assert 'data-action="sign_off"' in audit_page


def test_reports_show_the_history(client: FlaskClient, app: Flask, staff: str) -> None:
    for day in ("2027-01-01", "2027-07-01"):  # fresh, then more than six months after the 2026-12-06 review
        app.test_cli_runner().invoke(args=["catalog", "check", "--as-of", day])
    _login(client, staff)
    html = client.get("/compliance/reports").get_data(as_text=True)
    assert html.count("<tr><th scope=\"row\">") == 2 and "<polyline" in html and "stale" in html
    assert "Latest freshness check" in client.get("/compliance/").get_data(as_text=True)


def test_any_two_versions_can_be_compared(client: FlaskClient, app: Flask, staff: str) -> None:
    catalog: Catalog = app.extensions["catalog"]
    first = catalog.new_version(__import__("datetime").date(2027, 1, 1), "Alex")
    second = catalog.new_version(__import__("datetime").date(2027, 1, 2), "Alex")
    _login(client, staff)
    html = client.get("/compliance/").get_data(as_text=True)
    assert '<select id="old" name="old">' in html and f'<option value="{second}" selected>' in html
    page = client.get(f"/compliance/diff?old={first}&new={second}").get_data(as_text=True)
    assert "0 added, 0 removed, 0 changed" in page
    assert client.get("/compliance/diff?old=nope&new=2026-11-28").status_code == 404


def test_the_diff_shows_why_beside_each_change(client: FlaskClient, app: Flask, staff: str) -> None:
    catalog: Catalog = app.extensions["catalog"]
    current = catalog.current_id()
    draft = catalog.new_version(__import__("datetime").date(2027, 1, 1), "Alex")
    gb = catalog.root / draft / "countries" / "GB.toml"
    text = gb.read_text(encoding="utf-8")
    individual = text.index("[business_types.individual]")
    why = text.index("\nassumption = ", individual)
    text = text[:why] + '\nassumption = "<b>UK</b> sole traders"' + text[text.index("\n", why + 1):]
    gb.write_text(text.replace('"individual.first_name",\n', '', 1), encoding="utf-8")
    _login(client, staff)
    page = client.get(f"/compliance/diff?old={current}&new={draft}").get_data(as_text=True)
    row = page.split('<tr class="removed">', 1)[1].split("</tr>", 1)[0]
    assert "individual.first_name" in row and '<a href="https://docs.stripe.com/' in row  # the list's sources
    assert "&lt;b&gt;UK&lt;/b&gt; sole traders" in row  # and its assumption; catalog text is data: escaped


def _audit_rows(app: Flask) -> int:
    with Session(get_engine(app)) as session:
        return len(session.exec(select(AuditEntry)).all())


def test_refused_logins_cannot_flood_the_audit_log(client: FlaskClient, app: Flask, staff: str) -> None:
    """An e-mail of any length, or a locked-out guesser, used to add a row per try (issue 14)."""
    before = _audit_rows(app)
    huge = _login(client, "a" * 1_048_576 + "@example.com")
    assert huge.status_code == 400 and _audit_rows(app) == before  # refused before anything is stored
    for _ in range(5):
        assert _login(client, staff, "wrong password!!").status_code == 401
    locked = _audit_rows(app)
    for _ in range(20):
        assert _login(client, staff, "wrong password!!").status_code == 429
    assert _audit_rows(app) == locked == before + 5


def test_an_unknown_e_mail_costs_the_same_one_scrypt_run(client: FlaskClient, staff: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs for an unknown e-mail against one for a known one told which e-mails have accounts (issue 14)."""
    import hashlib

    runs: list[int] = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: runs.append(1) or real(*a, **k))
    _login(client, "nobody@example.com", "wrong password!!")  # the first unknown one makes the stand-in hash
    for email in ("nobody@example.com", staff):
        runs.clear()
        assert _login(client, email, "wrong password!!").status_code == 401
        assert len(runs) == 1, email


def test_logging_in_starts_a_new_session_with_a_new_csrf_secret(client: FlaskClient, staff: str) -> None:
    _csrf(client, "/compliance/login")
    with client.session_transaction() as before:
        secret = before["csrf_token"]
        before["planted"] = "by someone who shared this browser"
    assert _login(client, staff).status_code == 303
    with client.session_transaction() as after:
        assert after.get("csrf_token") != secret and "planted" not in after


def test_staff_passwords_use_owasps_scrypt_cost_and_weaker_hashes_are_replaced(
        app: Flask, client: FlaskClient, staff: str) -> None:
    from onboarding.config import load

    assert load(str(app.instance_path), {}, {"SECRET_KEY": "x"})["STAFF_PASSWORD_METHOD"] == "scrypt:131072:8:1"
    app.config["STAFF_PASSWORD_METHOD"] = "scrypt:32768:8:1"  # stronger than the one the staff fixture used
    assert _login(client, staff).status_code == 303
    with Session(get_engine(app)) as session:
        assert session.exec(select(StaffUser)).one().password_hash.startswith("scrypt:32768:8:1$")


def test_the_audit_log_is_paged_so_a_flood_cannot_push_entries_out_of_reach(
        client: FlaskClient, app: Flask, staff: str) -> None:
    """480 rows used to push real events off the only page (issue 14)."""
    from datetime import datetime, timezone

    from onboarding.compliance import AUDIT_PAGE

    _login(client, staff)
    with Session(get_engine(app)) as session:
        session.add(AuditEntry(actor=staff, action="sign_off", at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                               detail={"version": "2026-12-06"}))
        session.add_all(AuditEntry(actor=f"guess{n}@example.com", action="login_failed",
                                   at=datetime(2026, 12, 2, tzinfo=timezone.utc), ip="192.0.2.1")
                        for n in range(2 * AUDIT_PAGE + 20))
        session.commit()
    seen, path = [], "/compliance/audit"
    while path:
        html = client.get(path).get_data(as_text=True)
        rows = re.findall(r'<tr data-action="(\w+)">', html)
        assert len(rows) <= AUDIT_PAGE
        seen += rows
        older = re.search(r'href="([^"]+)" data-testid="older"', html)
        path = older.group(1).replace("&amp;", "&") if older else ""
    with Session(get_engine(app)) as session:
        total = len(session.exec(select(AuditEntry)).all())
    assert "sign_off" in seen and len(seen) == total > 2 * AUDIT_PAGE  # every entry once, over three pages


def test_a_step_label_is_in_the_diff_and_shown_as_text(client: FlaskClient, app: Flask, staff: str) -> None:
    """A step label holding a meta refresh sent Chromium elsewhere, and no diff showed it (issue 14)."""
    catalog: Catalog = app.extensions["catalog"]
    current = catalog.current_id()
    draft = catalog.new_version(__import__("datetime").date(2027, 1, 1), "Alex")
    fields = catalog.root / draft / "fields.toml"
    trap = '<meta http-equiv=refresh content=\\"0;url=https://evil.example/\\">'
    fields.write_text(fields.read_text(encoding="utf-8").replace(
        'label = "Business details"', f'label = "{trap}"', 1), encoding="utf-8")
    _login(client, staff)
    page = client.get(f"/compliance/diff?old={current}&new={draft}").get_data(as_text=True)
    row = page.split('data-step="business"', 1)[1].split("</tr>", 1)[0]
    assert "business: label" in row and "\\u003cmeta http-equiv=refresh" in row  # shown, as data (JSON-escaped)
    assert "<meta http-equiv=refresh" not in page
