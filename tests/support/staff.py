"""Staff for tests: create an account with a role, and log in with the password and a TOTP code."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pyotp
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from onboarding.models.types import utcnow

PASSWORD = "correct horse battery staple"


def create(app: Flask, email: str, role: str = "reviewer", password: str = PASSWORD) -> str:
    """Create a staff account through the CLI; return its e-mail."""
    result = app.test_cli_runner().invoke(args=["staff", "create", email, "--password", password, "--role", role])
    assert result.exit_code == 0, result.output
    return email.strip().lower()


def csrf(client: FlaskClient, path: str = "/compliance/login") -> str:
    """Return a CSRF token of the client's own session, from a page that has a form."""
    if has_app_context():
        g.pop("csrf_token", None)  # pytest-flask shares one `g`: never reuse another session's token
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def password_step(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str = "") -> TestResponse:
    """Send the e-mail and password (the first step of a login)."""
    url = "/compliance/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": csrf(client)})


def secrets_of(app: Flask) -> dict[str, Any]:
    """Return the TOTP secrets (and last used steps) the tests learned for this app's staff."""
    return app.extensions.setdefault("test_staff_totp", {})


def code(app: Flask, email: str, now: datetime | None = None) -> str:
    """Return a TOTP code of the staff member not used yet (this step's, or the next one's).

    By default for the app's own `now` (`utcnow`), which the suite freezes at TEST_NOW (the `clock`
    fixture, or the browser tests' session freeze): the code the app accepts, on any real date.
    """
    known = secrets_of(app)[email]
    totp = pyotp.TOTP(known["secret"])
    step = totp.timecode(now or utcnow())
    if known.get("last") is not None and known["last"] >= step:
        step = known["last"] + 1
    known["last"] = step
    return totp.generate_otp(step)


def code_step(client: FlaskClient, email: str, value: str | None = None) -> TestResponse:
    """Send a second-factor code, learning the secret first if the page sets one up."""
    html = client.get("/compliance/login/code").get_data(as_text=True)
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    if shown:
        secrets_of(client.application)[email] = {"secret": shown.group(1).replace(" ", ""), "last": None}
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/compliance/login/code", data={
        "code": value if value is not None else code(client.application, email), "csrf_token": token})


def login(client: FlaskClient, email: str, password: str = PASSWORD, next_path: str = "") -> TestResponse:
    """Log in with the password and then a code; return the last answer (303 to the page on success)."""
    first = password_step(client, email, password, next_path)
    if first.status_code != 303 or not first.headers["Location"].startswith("/compliance/login/code"):
        return first
    return code_step(client, email)
