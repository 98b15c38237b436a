"""Access control: every route and method against every actor, accounts kept apart, and CSRF on every form post.

The actors are an anonymous browser, the end users of accounts A and B (each in the session its own
onboarding link started), a compliance editor, reviewer and admin logged in on /compliance, the platform's backend
with its bearer key, a caller with a wrong key, and the user of a third, onboarded account in the visit of an
update link (its account page). `MATRIX` says what each of them gets from each
route; a route the app serves without a row in it fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.models import AuditEntry, WebhookEvent
from requirements_catalog import DEFAULT_ROOT
from stripe_sandbox.webhooks import sign
from tests.support.clock import TEST_NOW
from tests.support import staff as people
from tests.support.wizard import Page, Wizard
from tests.test_wizard import US

# Long, and under freezegun at TEST_NOW in every pass: the clock-shifted passes skip it (tests/conftest.py).
pytestmark = pytest.mark.first_pass_only

PASSWORD = "correct horse battery staple"
STAFF_EMAILS = {"editor": "eve@example.com", "reviewer": "sam@example.com", "admin": "ada@example.com"}
STAFF_EMAIL = STAFF_EMAILS["admin"]
KEY = "platform-test-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
RETURN = {"a": "https://platform.example/return/alpha", "b": "https://platform.example/return/bravo",
          "c": "https://platform.example/return/charlie"}
NAMES = {"a": "Alpha Widgets Inc.", "b": "Bravo Gadgets Inc."}
COMPANY = {"company.tax_id": "000000000", "company.phone": "0000000000",
           "company.address.line1": "address_full_match", "company.address.city": "San Francisco",
           "company.address.state": "CA", "company.address.postal_code": "94103",
           "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com"}
REPRESENTATIVE = {"representative.first_name": "Jenny", "representative.last_name": "Rosen",
                  "representative.email": "jenny@example.com", "representative.phone": "0000000000",
                  "representative.dob.day": "1", "representative.dob.month": "1", "representative.dob.year": "1901",
                  "representative.address.line1": "address_full_match",
                  "representative.address.city": "San Francisco", "representative.address.state": "CA",
                  "representative.address.postal_code": "94103", "representative.ssn_last_4": "0000",
                  "representative.political_exposure": "none", "representative.relationship.title": "CEO",
                  "representative.relationship.executive": "yes"}
WEBHOOK_SECRET = "whsec_test_secret"
EVENT = {"id": "evt_access_1", "object": "event", "type": "treasury.future_thing.created", "account": None,
         "created": 1, "livemode": False, "data": {"object": {"id": "tft_1", "object": "treasury.future_thing"}}}


@dataclass(frozen=True)
class Redirect:
    """A 303 whose Location starts with `to` (or is exactly `to`)."""

    to: str
    exact: bool = False


LOGIN = Redirect("/compliance/login?next=")  # a staff page sends everyone else to its login
LOGOUT = Redirect("/compliance/login", exact=True)  # logged out
AGAIN = Redirect("/compliance/login", exact=True)  # a second-factor page without a right password first
STEP = Redirect("/onboarding/step/")  # the wizard goes on to the first step that needs something
EXIT_A = Redirect(RETURN["a"], exact=True)  # save and exit: back to the platform's return URL
EXIT_B = Redirect(RETURN["b"], exact=True)
EXIT_C = Redirect(RETURN["c"], exact=True)
ACCOUNT = Redirect("/account", exact=True)  # an update link's visit goes to the account page
SAVED = Redirect("/account?saved=business", exact=True)  # an update with nothing changed is saved as it is
STATUS = Redirect("/onboarding", exact=True)  # nothing only Stripe collects is due: back to the status page
Expected = int | Redirect

ACTORS = ("anon", "user_a", "user_b", "editor", "reviewer", "admin", "platform", "wrong_key", "updater")
# The actors that hold a session cookie; `updater` is the user of a third account, onboarded, in the visit of an
# update link (its account page). A and B are in onboarding visits.
BROWSERS = ("anon", "user_a", "user_b", "editor", "reviewer", "admin", "updater")
STAFF = ("editor", "reviewer", "admin")

# What each actor gets from each route (HEAD and OPTIONS are Flask's own). Rows run in this order;
# logging out comes last because it ends the staff session. Form posts carry a valid CSRF token of the
# actor's own session, so a cell shows authorization alone (CSRF has its own test below). The requests
# themselves (URL arguments, bodies) are in `_url` and `_request`: A's account, an unknown link token,
# the business step, an empty form (422: refused by the step's own checks), a wrong staff password.
MATRIX: dict[tuple[str, str], tuple[Expected, ...]] = {
    # method, rule                                           anon    user_a  user_b  editor  reviewer admin   platform wrong_key updater
    ("GET", "/static/<path:filename>"):                     (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("GET", "/brand/theme.css"):                            (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("GET", "/brand/logo"):                                 (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("GET", "/"):                                           (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("GET", "/healthz"):                                    (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("POST", "/webhooks/stripe"):                           (400,    400,    400,    400,    400,    400,    400,    400, 400),
    ("POST", "/api/v1/accounts"):                           (401,    401,    401,    401,    401,    401,    201,    401, 401),
    ("GET", "/api/v1/accounts/<ident>"):                    (401,    401,    401,    401,    401,    401,    200,    401, 401),
    ("POST", "/api/v1/accounts/<ident>/links"):             (401,    401,    401,    401,    401,    401,    201,    401, 401),
    ("POST", "/api/v1/accounts/<ident>/stripe_links"):      (401,    401,    401,    401,    401,    401,    409,    401, 401),
    ("GET", "/api/v1/openapi.json"):                        (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("GET", "/onboard/<token>"):                            (404,    404,    404,    404,    404,    404,    404,    404, 404),
    ("GET", "/onboarding"):                                 (401,    200,    200,    401,    401,    401,    401,    401, 200),
    ("GET", "/onboarding/start"):                           (401,    STEP,   STEP,   401,    401,    401,    401,    401, ACCOUNT),
    ("GET", "/onboarding/step/<step_id>"):                  (401,    200,    200,    401,    401,    401,    401,    401, 200),
    ("GET", "/account"):                                    (401,    403,    403,    401,    401,    401,    401,    401, 200),
    ("GET", "/account/payout-schedule"):                    (401,    403,    403,    401,    401,    401,    401,    401, 200),
    ("POST", "/account/payout-schedule"):                   (401,    403,    403,    401,    401,    401,    401,    401, 403),
    ("GET", "/account/payouts"):                            (401,    403,    403,    401,    401,    401,    401,    401, 200),
    ("POST", "/onboarding/step/<step_id>"):                 (401,    422,    422,    401,    401,    401,    401,    401, SAVED),
    ("POST", "/onboarding/stripe"):                         (401,    STATUS, STATUS, 401,    401,    401,    401,    401, STATUS),
    ("GET", "/onboarding/stripe/refresh"):                  (401,    STATUS, STATUS, 401,    401,    401,    401,    401, STATUS),
    ("GET", "/onboarding/stripe/return/<hosted_id>"):       (404,    404,    404,    404,    404,    404,    404,    404, 404),
    ("GET", "/_sandbox/connect/setup/c/<account>/<secret>"):(404,    404,    404,    404,    404,    404,    404,    404, 404),
    ("POST", "/_sandbox/connect/setup/c/<account>/<secret>"):
                                                            (404,    404,    404,    404,    404,    404,    404,    404, 404),
    ("GET", "/compliance/login"):                           (200,    200,    200,    200,    200,    200,    200,    200, 200),
    ("POST", "/compliance/login"):                          (401,    401,    401,    401,    401,    401,    401,    401, 401),
    ("GET", "/compliance/login/code"):                      (AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN, AGAIN),
    ("POST", "/compliance/login/code"):                     (AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN,  AGAIN, AGAIN),
    ("GET", "/compliance/"):                                (LOGIN,  LOGIN,  LOGIN,  200,    200,    200,    LOGIN,  LOGIN, LOGIN),
    ("GET", "/compliance/diff"):                            (LOGIN,  LOGIN,  LOGIN,  200,    200,    200,    LOGIN,  LOGIN, LOGIN),
    ("GET", "/compliance/reports"):                         (LOGIN,  LOGIN,  LOGIN,  200,    200,    200,    LOGIN,  LOGIN, LOGIN),
    ("GET", "/compliance/audit"):                           (LOGIN,  LOGIN,  LOGIN,  403,    200,    200,    LOGIN,  LOGIN, LOGIN),
    ("GET", "/compliance/staff"):                           (LOGIN,  LOGIN,  LOGIN,  403,    403,    200,    LOGIN,  LOGIN, LOGIN),
    ("POST", "/compliance/staff/<int:user_id>/role"):       (LOGIN,  LOGIN,  LOGIN,  403,    403,    409,    LOGIN,  LOGIN, LOGIN),
    ("POST", "/compliance/staff/<int:user_id>/second-factor/reset"):
                                                            (LOGIN,  LOGIN,  LOGIN,  403,    403,    404,    LOGIN,  LOGIN, LOGIN),
    ("POST", "/compliance/versions/<version_id>/approve"):  (LOGIN,  LOGIN,  LOGIN,  403,    400,    400,    LOGIN,  LOGIN, LOGIN),
    ("POST", "/compliance/logout"):                         (LOGIN,  LOGIN,  LOGIN,  LOGOUT, LOGOUT, LOGOUT, LOGIN,  LOGIN, LOGIN),
    # Save and exit ends each user's session, so it comes last of all.
    ("POST", "/onboarding/exit"):                           (401,    EXIT_A, EXIT_B, 401,    401,    401,    401,    401, EXIT_C),
}


class Browser(FlaskClient):
    """A test client that drops the CSRF token Flask-WTF caches in `g` before each request.

    pytest-flask keeps one app context for the whole test, so every client shares one `g`: without
    this, a page rendered for one browser would carry a token of another browser's session.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a request as a browser with its own `g` would."""
        if has_app_context():
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


@dataclass
class Actors:
    """The clients of every actor, and the two accounts whose users they are."""

    app: Flask
    clients: dict[str, FlaskClient]
    a: Wizard
    b: Wizard

    def headers(self, actor: str) -> dict[str, str]:
        """Return the headers the actor adds to every request."""
        return {"platform": {"Authorization": f"Bearer {KEY}"},
                "wrong_key": {"Authorization": "Bearer not-the-platform-key"}}.get(actor, {})


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Serve a logo, and keep the catalog in a copy: a sign-off writes to it."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    root = tmp_path / "catalog"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return app_config | {"PLATFORM_LOGO": str(logo), "CATALOG_PATH": str(root)}


@pytest.fixture
def actors(app: Flask) -> Actors:
    """Create both accounts, open each one's link in its own browser, and log a staff member in."""
    app.test_client_class = Browser
    a = Wizard(app.test_client(), "US", "company")
    b = Wizard(app.test_client(), "US", "company")
    for name, wizard in (("a", a), ("b", b)):
        assert wizard.start(return_url=RETURN[name]).path == "/onboarding/step/business"
    c = Wizard(app.test_client(), "US")
    c.complete(US)
    made = c.client.post(f"/api/v1/accounts/{c.account['id']}/links", headers={"Authorization": f"Bearer {KEY}"},
                         json={"return_url": RETURN["c"], "refresh_url": RETURN["c"], "type": "account_update"})
    assert c.follow(c.client.get(made.get_json()["url"].removeprefix("http://localhost"))).path == "/account"
    clients = {"anon": app.test_client(), "user_a": a.client, "user_b": b.client,
               "platform": app.test_client(), "wrong_key": app.test_client(), "updater": c.client}
    for role in STAFF:  # one staff member of each role, logged in with the password and a code
        clients[role] = app.test_client()
        assert people.login(clients[role], people.create(app, STAFF_EMAILS[role], role)).status_code == 303
    return Actors(app, clients, a, b)


def _csrf(client: FlaskClient) -> str:
    """Return a valid CSRF token of the client's own session (every form page has one)."""
    html = client.get("/compliance/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _url(rule: str, actors: Actors) -> str:
    """Return the URL a matrix row requests: A's account, an unknown link token, the business step."""
    version = actors.app.extensions["catalog"].current_id()
    return {
        "/static/<path:filename>": "/static/onboarding.css",
        "/api/v1/accounts/<ident>": f"/api/v1/accounts/{actors.a.account['id']}",
        "/api/v1/accounts/<ident>/links": f"/api/v1/accounts/{actors.a.account['id']}/links",
        "/api/v1/accounts/<ident>/stripe_links": f"/api/v1/accounts/{actors.a.account['id']}/stripe_links",
        "/onboarding/stripe/return/<hosted_id>": "/onboarding/stripe/return/0123456789abcdef0123456789abcdef",
        # The in-process sandbox's stand-in for Stripe's page; an unknown link has no page.
        "/_sandbox/connect/setup/c/<account>/<secret>": "/_sandbox/connect/setup/c/acct_unknown/not-a-link",
        # A real token would replace the actor's session; which browser opens a link is tested below.
        "/onboard/<token>": "/onboard/not-a-real-token",
        "/onboarding/step/<step_id>": "/onboarding/step/business",
        "/compliance/diff": f"/compliance/diff?old={version}&new={version}",
        # Without a note: a signed-in staff member gets 400 before anything is validated or written.
        "/compliance/versions/<version_id>/approve": f"/compliance/versions/{version}/approve",
        # An empty form: an admin gets 409 (no such role); nobody's second factor is reset (no such member: 404).
        "/compliance/staff/<int:user_id>/role": "/compliance/staff/1/role",
        "/compliance/staff/<int:user_id>/second-factor/reset": "/compliance/staff/999999/second-factor/reset",
    }.get(rule, rule)


def _request(actors: Actors, actor: str, method: str, rule: str) -> TestResponse:
    """Send a matrix row's request as the actor."""
    client = actors.clients[actor]
    kwargs: dict[str, Any] = {"headers": actors.headers(actor)}
    if method == "POST" and rule.startswith("/api/v1/"):
        kwargs["json"] = {"country": "US", "business_type": "individual"} if rule == "/api/v1/accounts" else {
            "return_url": "https://platform.example/r", "refresh_url": "https://platform.example/f"}
    elif rule == "/webhooks/stripe":
        kwargs["data"], kwargs["content_type"] = json.dumps(EVENT), "application/json"  # unsigned
    elif method == "POST":
        # Per-actor e-mail addresses: five failures for one address would make the next login wait (429).
        form = {"email": f"{actor}@example.com", "password": "wrong password!!"} \
            if rule == "/compliance/login" else {}
        kwargs["data"] = {**form, "csrf_token": _csrf(client)}
    return client.open(_url(rule, actors), method=method, **kwargs)


def _relink(wizard: Wizard, name: str) -> Page:
    """Open a new link of the wizard's account (A or B) in its browser; return the page it leads to."""
    urls = {"return_url": RETURN[name], "refresh_url": RETURN[name]}
    url = wizard.client.post(f"/api/v1/accounts/{wizard.account['id']}/links", json=urls,
                             headers={"Authorization": f"Bearer {KEY}"}).get_json()["url"]
    return wizard.follow(wizard.client.get(url.removeprefix("http://localhost")))


def _outcome(response: TestResponse) -> str:
    """Return the status code, and where a redirect goes."""
    location = response.headers.get("Location")
    return f"{response.status_code} {location}" if location else str(response.status_code)


def _matches(response: TestResponse, expected: Expected) -> bool:
    """Return whether the response is what a matrix cell expects."""
    if isinstance(expected, Redirect):
        location = response.headers.get("Location", "")
        return response.status_code == 303 and (location == expected.to if expected.exact
                                                 else location.startswith(expected.to))
    return response.status_code == expected


def _routes(app: Flask) -> set[tuple[str, str]]:
    """Return every (method, rule) the app serves, HEAD and OPTIONS aside."""
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}


def _form_posts(app: Flask) -> list[str]:
    """Return the rules of every state-changing route that a browser form reaches (not bearer, not signed).

    The in-process sandbox's hosted pages are left out: they stand in for Stripe's site, not ours, and exist in
    sandbox mode only; their unguessable address is what a forged post lacks (`onboarding/gateway/sandbox_pages.py`).
    """
    return sorted(rule for method, rule in _routes(app) if method not in ("GET", "HEAD", "OPTIONS")
                  and not rule.startswith(("/api/v1/", "/_sandbox/")) and rule != "/webhooks/stripe")


def _writes(sandbox: Any) -> int:
    """Count the writes Stripe (the sandbox) received."""
    return sum(1 for entry in sandbox.log if entry["method"] in ("POST", "DELETE"))


def _audit(app: Flask) -> list[str]:
    """Return the audit log's actions, oldest first."""
    with Session(get_engine(app)) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.fixture
def bare_config(tmp_path: Path) -> dict[str, Any]:
    """Return a configuration for tests that never reach a database (they run once, not per backend)."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    return {"TESTING": True, "SECRET_KEY": "test-secret-key", "DATABASE_URL": "sqlite://", "STRIPE_SECRET_KEY": None,
            "STRIPE_API_BASE": None, "STRIPE_WEBHOOK_SECRETS": [WEBHOOK_SECRET], "SANDBOX_DELIVER_WEBHOOKS": False,
            "PLATFORM_API_KEY": KEY, "PLATFORM_LOGO": str(logo)}


@contextmanager
def _bare_app(config: dict[str, Any]) -> Iterator[Flask]:
    """Create an app, and close its sandbox and engine afterwards."""
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["stripe_sandbox"].close()
        get_engine(app).dispose()


def test_every_route_is_in_the_matrix(bare_config: dict[str, Any]) -> None:
    """Fail when a route is served without a row in the matrix, or a row names no route."""
    with _bare_app(bare_config) as app:
        served = _routes(app)
    assert served - set(MATRIX) == set(), "add these routes to MATRIX"
    assert set(MATRIX) - served == set(), "these MATRIX rows name no route"
    assert all(len(cells) == len(ACTORS) for cells in MATRIX.values())


def test_the_matrix(actors: Actors, sandbox: Any) -> None:
    """Request every route with every method as every actor and compare with the matrix."""
    mismatches = []
    for (method, rule), cells in MATRIX.items():
        for actor, expected in zip(ACTORS, cells, strict=True):
            response = _request(actors, actor, method, rule)
            if not _matches(response, expected) or b"CSRF" in response.get_data():
                mismatches.append(f"{method} {rule} as {actor}: expected {expected}, got {_outcome(response)}")
            response.close()  # send_file responses hold their file open until closed
    assert mismatches == []
    # The cells that write went where they should: the platform made one account and one link, the
    # users' empty posts were refused before Stripe, nobody logged in, and only the staff member logged out.
    assert [e["operation"] for e in sandbox.log if e["method"] == "POST"][-1:] == ["accounts.create"]
    assert _audit(actors.app)[-len(ACTORS) - len(STAFF):] == ["login_failed"] * len(ACTORS) + ["logout"] * len(STAFF)


def test_the_users_pages_show_their_own_account(actors: Actors) -> None:
    """Answer each user's status page with the account of that user's own link."""
    for name in ("a", "b"):
        html = actors.clients[f"user_{name}"].get("/onboarding").get_data(as_text=True)
        other = "b" if name == "a" else "a"
        assert f'href="{RETURN[name]}"' in html and RETURN[other] not in html


# Everything but the exact key, in the header: none of these is the platform.
WRONG_AUTHORIZATIONS = (None, "", "Bearer", "Bearer ", "Bearer not-the-platform-key", f"Basic {KEY}", KEY,
                        f"Bearer {KEY[:-1]}", f"Bearer {KEY}x", f"Token {KEY}", f"Bearer {KEY.upper()}")


def test_the_api_wants_exactly_its_bearer_key(actors: Actors) -> None:
    """Refuse every platform API call that lacks the exact key, and never take the key from elsewhere."""
    client = actors.clients["anon"]
    client.set_cookie("Authorization", f"Bearer {KEY}")  # a cookie is no place for it
    ident = actors.a.account["id"]
    calls = (("POST", f"/api/v1/accounts?api_key={KEY}"), ("GET", f"/api/v1/accounts/{ident}?api_key={KEY}"),
             ("POST", f"/api/v1/accounts/{ident}/links"))
    for authorization in WRONG_AUTHORIZATIONS:
        headers = {} if authorization is None else {"Authorization": authorization}
        for method, url in calls:
            response = client.open(url, method=method, headers=headers, json={"country": "US"})
            assert response.status_code == 401, (authorization, method, url)
            assert response.json["error"]["type"] == "authentication_error"
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="platform"'
    # The scheme is case-insensitive and surrounding spaces do not matter (RFC 7235); the key itself does.
    assert client.get(f"/api/v1/accounts/{ident}", headers={"Authorization": f"bearer  {KEY} "}).status_code == 200


def test_without_a_configured_key_the_api_is_closed(bare_config: dict[str, Any]) -> None:
    """Answer 403 to every call but the contract when no key is configured, whatever is sent."""
    for key in (None, ""):
        with _bare_app({**bare_config, "PLATFORM_API_KEY": key}) as app:
            client = app.test_client()
            for authorization in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"},
                                  {"Authorization": f"Bearer {KEY}"}):
                for method, url in (("POST", "/api/v1/accounts"), ("GET", "/api/v1/accounts/x"),
                                    ("POST", "/api/v1/accounts/x/links")):
                    response = client.open(url, method=method, headers=authorization, json={"country": "US"})
                    assert response.status_code == 403 and response.json["error"]["type"] == "api_closed", (key, url)
            assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_user_cannot_read_or_write_another_accounts_people(actors: Actors, sandbox: Any) -> None:
    """Refuse A's user every view and post that names a person of B's account, before Stripe is called."""
    b = actors.b
    page = Page("/onboarding/step/business", b.client.get("/onboarding/step/business"))
    page = b.follow(b.submit(page, {**COMPANY, "company.name": NAMES["b"]}))
    assert page.path == "/onboarding/step/representative"
    assert b.submit(page.form("save"), REPRESENTATIVE).status_code == 303
    foreign = sandbox.store.persons_of(b.account["stripe_id"])[0].id
    client = actors.clients["user_a"]
    token = _csrf(client)
    before, persons = _writes(sandbox), dict(sandbox.store.persons[foreign].data)
    for step in ("representative", "owners"):
        assert client.get(f"/onboarding/step/{step}?person={foreign}").status_code == 404, step
        for form in ({"action": "save", "person": foreign, f"{step}.first_name": "Mallory"},
                     {"action": "remove", "person": foreign}):
            response = client.post(f"/onboarding/step/{step}", data={**form, "csrf_token": token,
                                                                      "submission": "s" * 22})
            assert response.status_code == 404, (step, form["action"])
    assert _writes(sandbox) == before and sandbox.store.persons[foreign].data == persons
    assert foreign not in client.get("/onboarding/step/representative").get_data(as_text=True)
    # The same views answer B's own user: the 404s above are about whose person it is.
    assert b.client.get(f"/onboarding/step/representative?person={foreign}").status_code == 200


def test_a_session_stays_with_its_account_when_another_link_is_opened(actors: Actors, sandbox: Any) -> None:
    """Keep A's browser on A's account, and its writes on A's, after B's link is opened in another browser."""
    a, b = actors.a, actors.b
    assert a.submit(Page("/onboarding/step/business", a.client.get("/onboarding/step/business")),
                    {**COMPANY, "company.name": NAMES["a"]}).status_code == 303
    page = _relink(b, "b")  # B's second link, opened in B's browser after A's session began
    assert page.path == "/onboarding/step/business"
    assert b.submit(page, {**COMPANY, "company.name": NAMES["b"]}).status_code == 303
    stripe = sandbox.store.accounts
    assert stripe[b.account["stripe_id"]].data["company"]["name"] == NAMES["b"]
    seen = ""
    for path in ("/onboarding", "/onboarding/start", *(f"/onboarding/step/{s}" for s in
                                                         ("business", "representative", "owners", "bank_account",
                                                          "terms"))):
        response = a.client.get(path)
        assert response.status_code in (200, 303), path
        seen += response.get_data(as_text=True) + response.headers.get("Location", "")
    assert NAMES["a"] in seen and NAMES["b"] not in seen and RETURN["b"] not in seen
    assert b.account["id"] not in seen and b.account["stripe_id"] not in seen
    # A's next write lands on A's account only.
    page = Page("/onboarding/step/business", a.client.get("/onboarding/step/business"))
    assert a.submit(page, {**COMPANY, "company.name": "Alpha Widgets Two Inc."}).status_code == 303
    assert stripe[a.account["stripe_id"]].data["company"]["name"] == "Alpha Widgets Two Inc."
    assert stripe[b.account["stripe_id"]].data["company"]["name"] == NAMES["b"]


def test_a_link_is_the_only_way_into_an_account(actors: Actors) -> None:
    """Start B's session only by B's link: a forged session naming B with A's link is refused."""
    app, client = actors.app, actors.clients["user_a"]
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("session").value)
    assert data["onboarding"]["account"] == actors.a.account["id"]
    # Signed with the real key, as only a leaked key would allow: the link must still match the account.
    forged = {**data, "onboarding": {**data["onboarding"], "account": actors.b.account["id"]}}
    client.set_cookie("session", serializer.dumps(forged))
    for path in ("/onboarding", "/onboarding/start", "/onboarding/step/business"):
        assert client.get(path).status_code == 401, path
    # A link opened in a browser moves that browser to the link's account, and only that.
    _relink(Wizard(client, "US", "company", account=actors.b.account), "b")
    assert f'href="{RETURN["b"]}"' in client.get("/onboarding").get_data(as_text=True)


def test_staff_and_wizard_sessions_do_not_open_each_others_pages(actors: Actors, sandbox: Any) -> None:
    """Refuse the staff session the wizard, and the wizard session every staff page and action."""
    staff, user = actors.clients["admin"], actors.clients["user_a"]
    before = _writes(sandbox)
    for path in ("/onboarding", "/onboarding/start", "/onboarding/step/business"):
        assert staff.get(path).status_code == 401, path
    response = staff.post("/onboarding/step/business", data={**COMPANY, "company.name": "Staff Co",
                                                             "csrf_token": _csrf(staff)})
    assert response.status_code == 401 and _writes(sandbox) == before
    catalog = actors.app.extensions["catalog"]
    current = catalog.current_id()
    for path in ("/compliance/", "/compliance/reports", "/compliance/audit", "/compliance/diff?old=x&new=y"):
        assert user.get(path).headers["Location"].startswith(LOGIN.to), path
    token = _csrf(user)
    response = user.post(f"/compliance/versions/{current}/approve", data={"note": "not staff", "csrf_token": token})
    assert response.headers["Location"].startswith(LOGIN.to) and catalog.current_id() == current
    assert user.post("/compliance/logout", data={"csrf_token": token}).headers["Location"].startswith(LOGIN.to)
    assert "sign_off" not in _audit(actors.app) and _audit(actors.app)[-1] == "login"  # the staff member's
    assert staff.get("/compliance/").status_code == 200  # and still logged in
    for path in ("/compliance/staff", "/compliance/login/code"):
        assert user.get(path).headers["Location"].startswith("/compliance/login"), path


def test_a_login_returns_only_to_a_staff_page(actors: Actors, clock: Any) -> None:
    """Send a staff member who just logged in back to a staff page of this site, never elsewhere."""
    client = actors.app.test_client()
    for target, location in (("https://evil.example/compliance/", "/compliance/"),
                             ("//evil.example/compliance/", "/compliance/"), ("/onboarding", "/compliance/"),
                             ("/compliance/audit", "/compliance/audit")):
        clock.tick(30)  # a code is used once: the next login needs the next one
        response = people.login(client, STAFF_EMAIL, next_path=urllib.parse.quote(target))
        assert response.status_code == 303 and response.headers["Location"] == location, target


def test_every_form_post_needs_a_csrf_token(actors: Actors, sandbox: Any) -> None:
    """Refuse every state-changing form post without a valid token of the sender's own session."""
    app = actors.app
    assert app.config["TESTING"] and app.config.get("WTF_CSRF_ENABLED", True)  # on, even under test
    posts = _form_posts(app)  # from the URL map: a new form post is covered without a change here
    assert set(posts) >= {"/compliance/login", "/compliance/logout", "/compliance/versions/<version_id>/approve",
                          "/onboarding/step/<step_id>", "/onboarding/stripe"}
    tokens = {actor: _csrf(actors.clients[actor]) for actor in BROWSERS}
    # Bodies that would do something if the token were not checked: log in, sign off, answer a step.
    bodies = {"/compliance/login": {"email": STAFF_EMAIL, "password": PASSWORD},
              "/compliance/versions/<version_id>/approve": {"note": "signed off by a forged request"},
              "/onboarding/step/<step_id>": {**COMPANY, "company.name": "Forged Inc."}}
    audit, writes, current = _audit(app), _writes(sandbox), app.extensions["catalog"].current_id()
    for rule in posts:
        for actor in BROWSERS:
            other = tokens["anon" if actor != "anon" else "admin"]
            for token, reason in ((None, "The CSRF token is missing."), ("forged", "The CSRF token is invalid."),
                                  (other, "The CSRF tokens do not match.")):
                data = {**bodies.get(rule, {}), **({"csrf_token": token} if token else {})}
                response = actors.clients[actor].post(_url(rule, actors), data=data)
                assert response.status_code == 400 and reason in response.get_data(as_text=True), (rule, actor, token)
    assert _audit(app) == audit and _writes(sandbox) == writes
    assert app.extensions["catalog"].current_id() == current
    assert all(actors.clients[role].get("/compliance/").status_code == 200 for role in STAFF)  # not logged out
    assert actors.clients["anon"].get("/compliance/").status_code == 303  # not logged in


def test_over_https_form_posts_also_need_a_same_origin_referer(actors: Actors, sandbox: Any) -> None:
    """Refuse an HTTPS form post with a valid token whose Referer is missing or names another site."""
    https = {"base_url": "https://localhost"}
    for rule in _form_posts(actors.app):
        for actor in ("user_a", "admin"):
            client = actors.clients[actor]
            token = _csrf(client)
            for referer, reason in ((None, "The referrer header is missing."),
                                    ("https://evil.example/", "The referrer does not match the host.")):
                headers = {"Referer": referer} if referer else {}
                response = client.post(_url(rule, actors), data={"csrf_token": token}, headers=headers, **https)
                assert response.status_code == 400 and reason in response.get_data(as_text=True), (rule, actor)
    writes = _writes(sandbox)
    # The same post from this site is let through (here: to the business step's own checks).
    response = actors.clients["user_a"].post("/onboarding/step/business", data={"csrf_token": _csrf(
        actors.clients["user_a"])}, headers={"Referer": "https://localhost/onboarding/step/business"}, **https)
    assert response.status_code == 422 and _writes(sandbox) == writes


def test_webhooks_are_taken_on_a_valid_signature_alone(actors: Actors, app: Flask) -> None:
    """Refuse webhook posts without Stripe's signature, whatever session or key comes with them."""
    payload, now = json.dumps(EVENT).encode(), int(TEST_NOW.timestamp())
    for actor in ACTORS:
        client = actors.clients[actor]
        for signature in (None, sign(payload, "whsec_wrong", now), sign(payload, WEBHOOK_SECRET, now - 3600)):
            headers = {**actors.headers(actor), **({"Stripe-Signature": signature} if signature else {})}
            response = client.post("/webhooks/stripe", data=payload, headers=headers, content_type="application/json")
            assert response.status_code == 400, (actor, signature)
    with Session(get_engine(app)) as session:
        assert session.exec(select(WebhookEvent)).all() == []  # nothing was recorded
    response = actors.clients["anon"].post("/webhooks/stripe", data=payload, content_type="application/json",
                                           headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET, now)})
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}
