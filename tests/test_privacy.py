"""Privacy canaries: full ID, tax and bank account numbers go to Stripe and nowhere else.

A complete onboarding is run with distinctive numbers that the sandbox accepts, with every logger at
DEBUG, and then each number is searched for in every table, the database file, the logs, every cookie
(decoded), every response (none is exempt: a form never shows a number, not even one just typed and
refused) and the temporary and instance folders: plain, formatted as people type it, URL-encoded, hex
and base64 (at every alignment, so inside any longer string too). The last four digits may appear
(Stripe returns them, and the forms show them); the full number may not. The sandbox stands in for
Stripe, so its own store is out of scope; what our app logs and keeps is in scope.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import MetaData, select
from werkzeug.test import TestResponse

from onboarding.db import get_engine
from tests.support import staff as people
from tests.support.wizard import AUTH, Page, Wizard

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Canary:
    """A number typed into a form, and the groups people type it in (123-45-6789)."""

    name: str
    digits: str
    groups: tuple[int, ...]

    def formatted(self, separator: str) -> str:
        """Return the number with its groups joined by a separator."""
        parts, start = [], 0
        for size in self.groups:
            parts.append(self.digits[start:start + size])
            start += size
        return separator.join(parts)

    @property
    def typed(self) -> str:
        """Return the number as the test types it: the national format."""
        return self.formatted("-" if len(self.groups) > 1 else "")

    @property
    def last4(self) -> str:
        """Return the last four digits, which may be shown."""
        return self.digits[-4:]


# Valid (python-stdnum) and accepted by the sandbox, unlike Stripe's test numbers 000000000 or
# 000123456789 which are too common to search for. None has a test meaning in the sandbox.
SSN = Canary("individual SSN", "529417386", (3, 2, 4))
SSN_REJECTED = Canary("SSN refused by our check", "900417386", (3, 2, 4))  # area 900: never issued
REPRESENTATIVE_SSN = Canary("representative SSN", "478216359", (3, 2, 4))
OWNER_SSN = Canary("owner SSN", "318642957", (3, 2, 4))
EIN = Canary("EIN", "463819275", (2, 7))
ACCOUNT = Canary("bank account number", "000729461853", (4, 4, 4))
COMPANY_ACCOUNT = Canary("company bank account number", "000584730926", (4, 4, 4))
CANARIES = (SSN, SSN_REJECTED, REPRESENTATIVE_SSN, OWNER_SSN, EIN, ACCOUNT, COMPANY_ACCOUNT)

PERSON = {"dob.day": "1", "dob.month": "1", "dob.year": "1901", "address.line1": "address_full_match",
          "address.city": "San Francisco", "address.state": "CA", "address.postal_code": "94103",
          "phone": "0000000000", "political_exposure": "none", "email": "person@example.com"}
INDIVIDUAL = {
    "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com",
    **{f"individual.{k}": v for k, v in PERSON.items()},
    "individual.first_name": "Jenny", "individual.last_name": "Rosen",
    "individual.id_number": SSN.typed, "individual.ssn_last_4": SSN.last4,
    "external_account.routing_number": "110000000", "external_account.account_number": ACCOUNT.formatted(" "),
    "tos_acceptance": "yes",
}
COMPANY = {
    "company.name": "Rosen Software Inc.", "company.tax_id": EIN.typed, "company.phone": "0000000000",
    "company.structure": "multi_member_llc",
    "company.address.line1": "address_full_match", "company.address.city": "San Francisco",
    "company.address.state": "CA", "company.address.postal_code": "94103",
    "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com",
    **{f"representative.{k}": v for k, v in PERSON.items()},
    "representative.first_name": "Jenny", "representative.last_name": "Rosen",
    "representative.id_number": REPRESENTATIVE_SSN.typed, "representative.ssn_last_4": REPRESENTATIVE_SSN.last4,
    "representative.relationship.title": "CEO", "representative.relationship.executive": "yes",
    **{f"owners.{k}": v for k, v in PERSON.items()},
    "owners.first_name": "Ada", "owners.last_name": "Lovelace",
    "owners.id_number": OWNER_SSN.typed, "owners.ssn_last_4": OWNER_SSN.last4,
    "company.owners_provided": "yes",
    "external_account.routing_number": "110000000", "external_account.account_number": COMPANY_ACCOUNT.typed,
    "tos_acceptance": "yes",
}
# Not ours: the machinery running this session keeps its files there.


def _base64_cores(text: str) -> set[str]:
    """Return the base64 characters that encode `text` at each of the three alignments.

    Whatever surrounds the number in a base64-encoded string, its encoding contains one of these.
    """
    data = text.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        start, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6
        core = encoded[start:end]
        cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


def needles(canary: Canary) -> tuple[set[str], set[str]]:
    """Return the forms of the full number searched for: (case-insensitive, exact). Never the last 4 alone."""
    forms = {canary.digits} | {canary.formatted(sep) for sep in ("-", " ", ".", "/")}
    caseless, exact = set(forms), set()
    for form in forms:
        caseless |= {urllib.parse.quote(form), urllib.parse.quote_plus(form), form.encode().hex(),
                     "".join(f"%{ord(c):02x}" for c in form)}
        exact |= _base64_cores(form)
    exact |= _base64_cores(json.dumps(canary.digits))  # inside a JSON string, quotes included
    return {n.lower() for n in caseless}, {n for n in exact if len(n) >= 8}


def _pattern(forms: dict[bytes, Canary], flags: int = 0) -> re.Pattern[bytes]:
    # One pass over a haystack for all needles (longest first): the WAL of PostgreSQL is tens of MB.
    return re.compile(b"|".join(re.escape(n) for n in sorted(forms, key=len, reverse=True)), flags)


CASELESS = {n.encode(): canary for canary in CANARIES for n in needles(canary)[0]}
EXACT = {n.encode(): canary for canary in CANARIES for n in needles(canary)[1]}
CASELESS_PATTERN, EXACT_PATTERN = _pattern(CASELESS, re.IGNORECASE), _pattern(EXACT)


def hits(where: str, text: str | bytes) -> list[str]:
    """Return a line per canary found in `text`."""
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    found: dict[Canary, bytes] = {}
    for match in CASELESS_PATTERN.finditer(data):
        found.setdefault(CASELESS[match.group().lower()], match.group())
    for match in EXACT_PATTERN.finditer(data):
        found.setdefault(EXACT[match.group()], match.group())
    return [f"{canary.name} ({needle.decode(errors='replace')!r}) in {where}" for canary, needle in found.items()]


class Recorder(FlaskClient):
    """A test client that keeps every response, and drops Flask-WTF's `g` token between requests.

    pytest-flask keeps one app context for the whole test: each request must render its own token.
    The list is the class's because the sandbox's webhook deliveries make their own clients, in a thread.
    """

    seen: list[tuple[str, TestResponse]] = []

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send the request and keep its response."""
        if has_app_context():
            g.pop("csrf_token", None)
        response = super().open(*args, **kwargs)
        response.get_data()  # buffered now: a streamed body could not be searched later
        self.seen.append((f"{response.request.method} {response.request.path}", response))
        return response


@dataclass
class Capture:
    """Where the test looks at the end."""

    log_file: Path
    temp_folder: Path
    responses: list[tuple[str, TestResponse]] = field(default_factory=list)


@pytest.fixture
def turned_up(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """Turn the SDK's own debug output on, before the app starts, the way an operator might (if asked)."""
    how = getattr(request, "param", None)
    if how == "STRIPE_LOG":
        # The SDK reads STRIPE_LOG from the environment once, when it is imported; this is that value.
        monkeypatch.setattr("stripe._util.STRIPE_LOG", "debug")
    return how


@pytest.fixture
def app_config(app_config: dict[str, Any], turned_up: str | None) -> dict[str, Any]:
    """Let the sandbox deliver its webhooks, so events and notifications run through the app too."""
    return app_config | {"SANDBOX_DELIVER_WEBHOOKS": True}


@pytest.fixture
def debug_logging(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """Log everything at DEBUG to caplog and a file, the SDK's logger too, as an operator chasing a problem would."""
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    stripe_logger = logging.getLogger("stripe")
    saved = stripe_logger.level, stripe_logger.propagate
    logging.getLogger().addHandler(handler)
    for name in (None, "onboarding", "stripe"):
        caplog.set_level(logging.DEBUG, logger=name)
    # SQLAlchemy keeps its loggers at WARNING unless told; at INFO it logs every statement with its parameters.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    # The app stops the SDK's records from propagating when it starts: catch them where they are made.
    for catcher in (handler, caplog.handler):
        stripe_logger.addHandler(catcher)
    yield path
    for catcher in (handler, caplog.handler):
        stripe_logger.removeHandler(catcher)
    logging.getLogger().removeHandler(handler)
    handler.close()
    stripe_logger.setLevel(saved[0])
    stripe_logger.propagate = saved[1]


@pytest.fixture
def app(debug_logging: Path, app: Flask) -> Flask:
    """Start the app once logging is configured, as a deployment does."""
    app.logger.setLevel(logging.DEBUG)
    return app


@pytest.fixture
def temp_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give the test a temporary folder of its own (`tempfile`, and TMPDIR for SQLite and subprocesses).

    Everything in it was written during the test, so all of it is searched: no other process's files,
    and no clock, decide what is looked at.
    """
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def capture(debug_logging: Path, temp_folder: Path, app: Flask, sandbox: Any) -> Iterator[Capture]:
    """Record every response of every client the app makes from now on (the sandbox's webhook posts too)."""
    Recorder.seen = []
    app.test_client_class = Recorder
    yield Capture(debug_logging, temp_folder, Recorder.seen)
    # Delivered before the app fixture disposes of the engine (it closes the sandbox after that), also
    # when a test failed half-way: a delivery afterwards would leave a database connection open.
    sandbox.flush_webhooks()


def _temp_files(folder: Path) -> Iterator[Path]:
    """Yield the files of the test's own temporary folder."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # gone meanwhile, or not ours to read
        return b""


def _database_rows(app: Flask) -> list[tuple[str, str]]:
    """Return every row of every table, as text."""
    engine = get_engine(app)
    metadata = MetaData()
    metadata.reflect(engine)
    rows = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                rows.append((table.name, json.dumps([v if isinstance(v, (dict, list)) else str(v) for v in row],
                                                    ensure_ascii=False)))
    return rows


def _cookies(app: Flask, responses: list[tuple[str, TestResponse]]) -> list[tuple[str, str]]:
    """Return every cookie any response set, the session cookie decoded."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    for where, response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            for name, morsel in SimpleCookie(header).items():
                value = morsel.value
                if name == app.config.get("SESSION_COOKIE_NAME", "session") and value:
                    value = json.dumps(serializer.loads(value), ensure_ascii=False, default=str)
                cookies.append((f"cookie {name} set by {where}", value))
    return cookies


def search_logs(capture: Capture, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> list[str]:
    """Search the log file, every log record and what went to stdout and stderr; return the hits."""
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    out, err = capfd.readouterr()
    return (hits("log file", _read(capture.log_file))
            + hits("log records", "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in records))
            + hits("stdout", out) + hits("stderr", err))


def search_everywhere(app: Flask, capture: Capture, caplog: pytest.LogCaptureFixture,
                      capfd: pytest.CaptureFixture[str], database_url: str) -> list[str]:
    """Search every place the app could have kept or shown a number; return the hits."""
    found = search_logs(capture, caplog, capfd)
    for where, response in capture.responses:
        found += hits(f"response to {where} (headers)", str(response.headers))
        found += hits(f"response to {where}", response.get_data())
    for where, value in _cookies(app, capture.responses):
        found += hits(where, value)
    for table, row in _database_rows(app):
        found += hits(f"table {table}", row)
    if database_url.startswith("sqlite:///"):
        database = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-journal", "-shm"):
            found += hits(f"database file {database.name}{suffix}", _read(Path(f"{database}{suffix}")))
    for path in _temp_files(capture.temp_folder):
        if path != capture.log_file:  # searched above
            found += hits(f"temporary file {path}", _read(path))
    for path in Path(app.instance_path).rglob("*"):
        if path.is_file():
            found += hits(f"instance file {path}", _read(path))
    return found


def _drive(wizard: Wizard, answers: dict[str, Any], limit: int = 14) -> list[str]:
    """Answer every step (adding one owner on the owners step) until the status page; return the steps."""
    page = wizard.follow(wizard.client.get("/onboarding/start"))
    steps = []
    for _ in range(limit):
        if "/step/" not in page.path:
            return steps
        step = page.path.rsplit("/", 1)[1]
        steps.append(step)
        if step == "representative":
            response = wizard.submit(page.form("save"), answers)
        elif step == "owners" and 'data-testid="people"' not in page.html:
            response = wizard.submit(page.form("save"), answers)
        elif step == "owners":
            response = wizard.submit(page.form("continue"), answers)
        else:
            response = wizard.submit(page, answers)
        assert response.status_code == 303, (step, response.get_data(as_text=True)[-3000:])
        page = wizard.follow(response)
    raise AssertionError(f"the wizard did not end: {steps}")


def _refused(wizard: Wizard, path: str, answers: dict[str, Any], message: str, sandbox: Any = None,
             action: str | None = None) -> None:
    """Submit a step (or its `action` form) that is refused: by our checks, or by Stripe being down (`sandbox`)."""
    page = Page(path, wizard.client.get(path))
    page = page.form(action) if action else page
    if sandbox is not None:
        # Every Stripe call fails, whichever ones the step makes, so that it cannot be accepted.
        sandbox.faults.add("*", "500", times=-1)
    try:
        response = wizard.submit(page, answers)
    finally:
        if sandbox is not None:
            sandbox.faults.clear()
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html, html[-3000:]


def _come_back(wizard: Wizard) -> None:
    """Open a new link later and look at every step again, as a returning user would."""
    url = wizard.client.post(f"/api/v1/accounts/{wizard.account['id']}/links", headers=AUTH,
                             json={"return_url": "https://platform.example/return",
                                   "refresh_url": "https://platform.example/refresh",
                                   "collect": "eventually_due"}).get_json()["url"]
    wizard.follow(wizard.client.get(url.removeprefix("http://localhost")))
    for step in wizard.steps:
        assert wizard.client.get(f"/onboarding/step/{step}").status_code in (200, 404), step
    wizard.client.get("/onboarding")
    wizard.state()
    # The account page an update link opens, its payout pages, and every step as an update shows it.
    url = wizard.client.post(f"/api/v1/accounts/{wizard.account['id']}/links", headers=AUTH,
                             json={"return_url": "https://platform.example/return",
                                   "refresh_url": "https://platform.example/refresh",
                                   "type": "account_update"}).get_json()["url"]
    assert wizard.follow(wizard.client.get(url.removeprefix("http://localhost"))).path == "/account"
    for path in ("/account", "/account/payout-schedule", "/account/payouts"):
        assert wizard.client.get(path).status_code == 200, path
    for step in wizard.steps:
        assert wizard.client.get(f"/onboarding/step/{step}").status_code in (200, 404), step


def _staff_pages(app: Flask) -> None:
    """Look at the compliance pages too: they list accounts."""
    client = app.test_client()
    assert people.login(client, people.create(app, "sam@example.com", "admin", PASSWORD), PASSWORD).status_code == 303
    for path in ("/compliance/", "/compliance/audit", "/compliance/reports", "/compliance/staff"):
        assert client.get(path).status_code == 200, path


def test_the_needles_find_the_numbers_in_every_encoding() -> None:
    """Find a canary plain, formatted, URL-encoded, hex and base64-encoded inside other text; not its last 4."""
    container = f'{{"individual": {{"id_number": "{SSN.digits}"}}}}'
    for offset in range(3):
        encoded = base64.b64encode(b"x" * offset + container.encode())
        assert hits("test", encoded) and hits("test", base64.urlsafe_b64encode(b"x" * offset + container.encode()))
    assert hits("test", urllib.parse.urlencode({"individual[id_number]": SSN.typed}))
    assert hits("test", "SSN 529 41 7386 and more") and hits("test", f"account {ACCOUNT.formatted(' ')}.")
    assert hits("test", ACCOUNT.digits.encode().hex().upper())
    assert hits("test", f"•••• {ACCOUNT.last4} {SSN.last4} ***-**-7386") == []


def test_an_individuals_numbers_stay_with_stripe(app: Flask, capture: Capture, sandbox: Any,
                                                 caplog: pytest.LogCaptureFixture,
                                                 capfd: pytest.CaptureFixture[str], database_url: str) -> None:
    """Onboard a US individual with a full SSN and a bank account; find neither anywhere but at Stripe."""
    wizard = Wizard(app.test_client(), "US")
    page = wizard.start(collect="eventually_due")
    assert page.path == "/onboarding/step/business"
    wizard.follow(wizard.submit(page, INDIVIDUAL))
    step = "/onboarding/step/individual"
    # Refused pages are shown again with the other answers kept, never the numbers.
    _refused(wizard, step, {**INDIVIDUAL, "individual.address.postal_code": "9410"}, "Enter a valid postal code")
    _refused(wizard, step, {**INDIVIDUAL, "individual.id_number": SSN_REJECTED.typed},
             "Check the number: it is not valid.")
    bank = "/onboarding/step/bank_account"
    assert wizard.submit(Page(step, wizard.client.get(step)), INDIVIDUAL).status_code == 303
    _refused(wizard, bank, {**INDIVIDUAL, "external_account.routing_number": "110000001"}, "Check the")
    _refused(wizard, bank, INDIVIDUAL, "We could not reach Stripe", sandbox)
    wizard.steps = ["business", "individual"]
    wizard.steps += _drive(wizard, INDIVIDUAL)
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True, state["requirements"]
    stripe = sandbox.store.accounts[wizard.account["stripe_id"]]
    assert sandbox.store.persons[stripe.individual].data["id_number"] == SSN.digits  # it did reach Stripe
    assert [sandbox.store.bank_accounts[b].last4 for b in stripe.external_accounts] == [ACCOUNT.last4]
    _come_back(wizard)
    _staff_pages(app)
    sandbox.flush_webhooks()
    assert any(path.startswith("POST /webhooks/stripe") for path, _ in capture.responses)
    assert hits("the typed form", SSN.typed) and capture.responses  # the search itself works
    # Library logging at DEBUG reached both places (SQLAlchemy logs every statement with its parameters).
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    assert "sqlalchemy.engine" in capture.log_file.read_text(encoding="utf-8")
    found = search_everywhere(app, capture, caplog, capfd, database_url)
    assert found == [], "\n".join(found)


def test_a_companys_numbers_stay_with_stripe(app: Flask, capture: Capture, sandbox: Any,
                                             caplog: pytest.LogCaptureFixture,
                                             capfd: pytest.CaptureFixture[str], database_url: str) -> None:
    """Onboard a US company with an EIN, a representative's and an owner's SSN; find none of them here."""
    wizard = Wizard(app.test_client(), "US", "company")
    assert wizard.start(collect="eventually_due").path == "/onboarding/step/business"
    invalid_postal_code = {"company.address.postal_code": "9410", "representative.address.postal_code": "9410"}
    _refused(wizard, "/onboarding/step/business", {**COMPANY, **invalid_postal_code}, "Enter a valid postal code")
    _refused(wizard, "/onboarding/step/representative", {**COMPANY, **invalid_postal_code},
             "Enter a valid postal code", action="save")
    wizard.steps = _drive(wizard, COMPANY)
    assert {"business", "representative", "owners", "bank_account", "terms"} <= set(wizard.steps)
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True, state["requirements"]
    persons = {p.data["last_name"]: p.data for p in sandbox.store.persons_of(wizard.account["stripe_id"])}
    assert persons["Rosen"]["id_number"] == REPRESENTATIVE_SSN.digits
    assert persons["Lovelace"]["id_number"] == OWNER_SSN.digits
    _come_back(wizard)
    sandbox.flush_webhooks()
    found = search_everywhere(app, capture, caplog, capfd, database_url)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("turned_up", ["stripe logger", "STRIPE_LOG"], indirect=True)
def test_the_sdks_debug_output_never_carries_a_number(app: Flask, capture: Capture, caplog: pytest.LogCaptureFixture,
                                                      capfd: pytest.CaptureFixture[str], sandbox: Any,
                                                      turned_up: str) -> None:
    """Keep the numbers out of the SDK's own debug output, however an operator turns it on."""
    if turned_up == "stripe logger":
        logging.getLogger("stripe").setLevel(logging.DEBUG)  # e.g. a logging config applied after the app
    wizard = Wizard(app.test_client(), "US")
    page = wizard.follow(wizard.submit(wizard.start(collect="eventually_due"), INDIVIDUAL))
    assert page.path == "/onboarding/step/individual" and wizard.submit(page, INDIVIDUAL).status_code == 303
    sandbox.flush_webhooks()  # their processing logs too, and must be over before the output is read
    found = search_logs(capture, caplog, capfd)
    assert found == [], "\n".join(found)
