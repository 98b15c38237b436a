"""Resilience: two app instances, one PostgreSQL restarted mid-run, a slow and faulty Stripe; then count the damage.

Run: `.venv/bin/python bench/resilience.py [--journeys 60] [--concurrency 12] [--outage-s 5] [--seed 1]`
(`--help` lists the rest). Not part of the test suite: it takes 2-3 minutes and needs PostgreSQL's binaries.

What runs, all on loopback ports that were free:
- a throwaway PostgreSQL server (`tests/support/postgres.py`, Debian's binaries, fsync off), migrated;
- `python -m stripe_sandbox --latency-ms 300 --latency-jitter-ms 100 --verification async` (checks finish
  2 s after a write and arrive by webhook, as at Stripe) `--webhook-concurrency 4 --webhook-shuffle
  --webhook-retries 1,2,5,10,20` (deliveries overlap and arrive out of order; a failed one is retried after
  1, 2, 5, 10 and 20 s: Stripe's three days compressed so that they outlast the outage);
- two gunicorn instances of `wsgi:app` (A and B, 2 gthread workers of 8 threads each), the same
  `DATABASE_URL`, `SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and sandbox;
- a webhook forwarder in this process: the sandbox takes one `--webhook-url`, so it points at the
  forwarder, which hands each delivery to A and B in turn and answers with that instance's status (the
  sandbox retries what is not 2xx). With `--duplicate-share` (default 0.1) it also sends a copy of the
  delivery to the other instance at the same moment, as Stripe may deliver one event twice.

The journeys (a share of them US companies with a representative and two owners, the others US
individuals, with the test suite's answers) run `--concurrency` at a time. Every request of a journey goes
to A or B at random: no sticky sessions (the session cookie is signed with the shared key). The platform's
backend creates each account with an `Idempotency-Key` of its own and retries it, with the same key, on a
503, 502 or 429. A user who gets a 503 waits `Retry-After` and then either sends the same form again (same
`submission` value) or, for one journey in `--fresh-share` (default 0.4), reloads the step and sends a
fresh form (a new `submission` value) with the same answers, for the same person; a "We could not reach
Stripe" page is answered the same way after a second. A GET that gets a 503 is repeated after
`Retry-After`. A link that cannot be opened (used, expired) is replaced by a new one, as the platform's
`refresh_url` would.

During the run `--faults` (30) fault rules are posted to the sandbox's `/_sandbox/faults`, one a second
(500s, dropped connections before and after the write, 429s, on account and person writes and reads), with
`--timeouts` (2) timeouts among them (the write is applied and no answer comes: the SDK gives up after 80 s
and retries). When the journey in the middle (number `--journeys / 2`) starts, PostgreSQL is stopped
(`pg_ctl stop -m fast`: connections end, the port refuses) for `--outage-s` seconds, then started again on
the same port.

Afterwards: the faults not fired are removed (latency stays), the webhooks drain (no retry waiting and no
new delivery for 5 s), the cache is compared with Stripe once (figures "before outbox retry"), `flask --app
wsgi outbox retry --grace-minutes 0` runs, the webhooks drain again, and the checks run:
- duplicates: per account at Stripe, two persons with the same roles and name, two bank accounts with the
  same fingerprint; Stripe accounts beyond one per journey, accounts at Stripe with no row of ours;
- lost: a journey that did not end on the status page, a row without `stripe_id`, a journey without its
  row, an account at Stripe with something currently due, payouts disabled without pending verification,
  or without the journey's answers (names, company name, owners, the bank account, the terms);
- mismatches: per account, our cached row against a fresh read from the sandbox: requirements (currently,
  eventually and past due, pending verification, disabled reason), charges, payouts and details
  submitted, capabilities, the bank accounts (id, last4, status), the individual or the company's persons
  (id, names, roles, verification status).
Printed: a JSON summary, then each finding; exit 1 when there is any duplicate, lost item, mismatch,
failed journey, or 5xx to a user without the service's page (Werkzeug's, an empty body, a 503 without
`Retry-After`) or any 500. Set BENCH_KEEP=1 to keep the logs (`a.log`, `b.log`, `sandbox.log`) and
`resilience.json`: the findings, the journeys, and for each account with a finding what both sides recorded
(our cached persons and ordering marks, the events we received and when, our outbox writes, Stripe's events).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import harness

AUTH = {"Authorization": f"Bearer {harness.PLATFORM_KEY}"}
OWNERS = (("Ada", "Lovelace"), ("Alan", "Turing"))
RETRYABLE_PAGES = ("We could not reach Stripe", "Too many requests right now")
MAX_ATTEMPTS = 12  # per request: far more than an outage of a few seconds needs
REQUEST_TIMEOUT = 200  # seconds: a Stripe timeout costs the app 80 s, then the SDK's retry
# Fault rules drawn at random during the run: (operation, kind, times). Three uses of a drop outlast the
# SDK's two retries, so the app sees the failure; one use is retried by the SDK unseen.
FAULTS = (
    ("accounts.update", "500", 1), ("accounts.update", "drop_after", 3), ("accounts.update", "drop_before", 1),
    ("accounts.update", "429", 1), ("persons.create", "500", 1), ("persons.create", "drop_after", 3),
    ("persons.create", "drop_after", 1), ("persons.update", "drop_after", 3), ("persons.update", "500", 1),
    ("accounts.create", "500", 1), ("accounts.create", "drop_after", 3), ("accounts.retrieve", "drop_before", 3),
    ("persons.list", "500", 1),
)
TIMEOUT_OPERATIONS = ("accounts.update", "persons.create")
WERKZEUG_500 = "The server encountered an internal error"


# -- what happened ------------------------------------------------------------------------------------------

@dataclass
class Stats:
    """Counters shared by every thread."""

    counts: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    bare: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, n: int = 1) -> None:
        """Count something."""
        with self.lock:
            self.counts[key] += n

    def answer(self, instance: str, method: str, path: str, status: int, text: str, retry_after: str | None) -> None:
        """Count one answer of the app; keep what a bare or unbranded 5xx said."""
        with self.lock:
            self.counts["requests"] += 1
            self.counts[f"requests {instance}"] += 1
            self.statuses[str(status)] += 1
            if status == 503:
                self.counts["503s"] += 1
                if not retry_after:
                    self.bare.append(f"503 without Retry-After: {method} {path}")
            if status >= 500 and (WERKZEUG_500 in text or not text.strip()):
                self.bare.append(f"bare {status}: {method} {path}: {text[:200]!r}")
            elif status == 500:
                self.bare.append(f"branded 500 (an unexpected exception): {method} {path}")


class JourneyError(AssertionError):
    """A journey could not go on as a user's would."""


@dataclass
class Answer:
    """One answer of the app."""

    status: int
    location: str | None
    text: str
    headers: Mapping[str, str]
    data: Any = None


@dataclass
class Spec:
    """One journey to run, and what became of it."""

    index: int
    business_type: str  # individual, company
    fresh: bool  # after a 503, reload the step and send a fresh form instead of the same one
    account_id: str = ""
    stripe_id: str = ""
    final_path: str = ""
    error: str = ""
    steps: list[str] = field(default_factory=list)


# -- one user, on both instances ----------------------------------------------------------------------------

class User:
    """A browser without JavaScript (and the platform's backend for the API calls), on A or B at random."""

    def __init__(self, instances: Mapping[str, str], rng: random.Random, stats: Stats, fresh: bool) -> None:
        import requests

        self.instances = sorted(instances.items())
        self.rng = rng
        self.stats = stats
        self.fresh = fresh
        self.session = requests.Session()
        self.session.trust_env = False

    def send(self, method: str, path: str, *, data: Mapping[str, str] | None = None,
             json_body: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Answer:
        """Send one request to a random instance (forms as multipart/form-data, as the wizard's declare)."""
        import requests

        name, base = self.rng.choice(self.instances)
        files = {k: (None, v) for k, v in data.items()} if data is not None else None
        try:
            response = self.session.request(method, base + path, files=files, json=json_body, headers=headers,
                                            allow_redirects=False, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            self.stats.add("connection errors")
            raise JourneyError(f"{method} {path} on {name}: {exc}") from exc
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        self.stats.answer(name, method, path, response.status_code, response.text,
                          response.headers.get("Retry-After"))
        return Answer(response.status_code, response.headers.get("Location"), response.text, response.headers,
                      response.json() if is_json else None)

    def wait(self, answer: Answer) -> None:
        """Wait as a user would before trying again: `Retry-After`, else a second."""
        self.stats.add("retries")
        time.sleep(float(answer.headers.get("Retry-After") or 1))

    def get(self, path: str) -> Answer:
        """GET a page, again after `Retry-After` while the answer is 503."""
        for _ in range(MAX_ATTEMPTS):
            answer = self.send("GET", path)
            if answer.status != 503:
                if answer.status >= 400:
                    raise JourneyError(f"GET {path}: {answer.status} {_excerpt(answer.text)}")
                return answer
            self.wait(answer)
        raise JourneyError(f"GET {path}: still 503 after {MAX_ATTEMPTS} attempts")

    def follow(self, path: str, answer: Answer) -> tuple[str, Answer]:
        """Follow redirects to the page they end on."""
        for _ in range(10):
            if answer.status not in (301, 302, 303, 307, 308):
                return path, answer
            path = _relative(answer.location or "/")
            answer = self.get(path)
        raise JourneyError(f"too many redirects, last {path}")

    def api(self, method: str, path: str, body: Mapping[str, Any] | None = None, key: str | None = None) -> Any:
        """Call the platform API as the platform's backend does: 503, 502 and 429 are retried, with the same key."""
        headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
        for _ in range(MAX_ATTEMPTS):
            answer = self.send(method, path, json_body=body, headers=headers)
            if answer.status in (503, 502, 429):
                self.wait(answer)
                continue
            if answer.status >= 400:
                raise JourneyError(f"{method} {path}: {answer.status} {answer.text[:300]}")
            return answer.data
        raise JourneyError(f"{method} {path}: no answer after {MAX_ATTEMPTS} attempts")

    def open_link(self, account_id: str) -> tuple[str, Answer]:
        """Have the platform make a link and open it; a link that cannot be opened any more is made again."""
        for _ in range(3):
            link = self.api("POST", f"/api/v1/accounts/{account_id}/links",
                            {"return_url": "https://platform.example/return",
                             "refresh_url": "https://platform.example/refresh"})
            path = _relative(link["url"])
            for _ in range(MAX_ATTEMPTS):
                answer = self.send("GET", path)
                if answer.status != 503:
                    break
                self.wait(answer)
            if answer.status in (410, 404):
                self.stats.add("links made again")
                continue
            if answer.status >= 400:
                raise JourneyError(f"GET {path}: {answer.status} {_excerpt(answer.text)}")
            return self.follow(path, answer)
        raise JourneyError("no link could be opened")

    def submit(self, path: str, page: Answer, action: str | None, answers: Mapping[str, str]) -> tuple[str, Answer]:
        """Post a step's form until it is accepted: the same form again, or a fresh one for `fresh` users."""
        form = _form(harness.parse_forms(page.text), action)
        data = form.fill(answers)
        target = _relative(form.action) if form.action else path
        for _ in range(MAX_ATTEMPTS):
            answer = self.send("POST", target, data=data)
            if answer.status == 303:
                return self.follow(target, answer)
            if answer.status == 503:
                if "We saved part of this" in answer.text:
                    self.stats.add("saved-part pages")  # the request failed after Stripe said yes
                if action == "save":
                    self.stats.add("503s on a person's form")
                self.wait(answer)
            elif answer.status == 422 and any(text in answer.text for text in RETRYABLE_PAGES):
                self.stats.add("stripe unreachable pages")
                self.stats.add("retries")
                time.sleep(1)
            else:
                raise JourneyError(f"POST {target} ({action}): {answer.status} {_excerpt(answer.text)}")
            if self.fresh:
                # Reload the step: a new form, a new `submission` value, the same answers (the same person).
                reloaded = self.get(path)
                if reloaded.status == 200:
                    form = _form(harness.parse_forms(reloaded.text), action)
                    data = form.fill(answers)
                    target = _relative(form.action) if form.action else path
                    self.stats.add("fresh forms")
                    if action == "save":
                        self.stats.add("fresh forms for a person")
                    continue
            self.stats.add("same forms")
        raise JourneyError(f"POST {target} ({action}): not accepted after {MAX_ATTEMPTS} attempts")


def _form(forms: list[harness.Form], action: str | None) -> harness.Form:
    if action is None:
        if not forms:
            raise JourneyError("no form on the page")
        return forms[0]
    for form in forms:
        if form.hidden("action") == action and not form.hidden("person"):
            return form
    for form in forms:  # the representative's: its form names the person it edits
        if form.hidden("action") == action:
            return form
    raise JourneyError(f"no form with action {action!r}")


def _relative(location: str) -> str:
    return re.sub(r"^https?://[^/]+", "", location)


def _excerpt(text: str) -> str:
    errors = re.findall(r'class="error"[^>]*>(.*?)</p>', text)
    return "; ".join(errors)[:300] if errors else re.sub(r"\s+", " ", text)[:300]


def _owner(first: str, last: str) -> dict[str, str]:
    return dict(harness.test_wizard_company._owner(first, last))


def journey(user: User, spec: Spec) -> None:
    """Create the account and a link, then answer every step to the status page."""
    business_type = spec.business_type
    account = user.api("POST", "/api/v1/accounts", {"country": "US", "business_type": business_type,
                                                    "email": f"user{spec.index}@example.com"},
                       key=f"bench-{uuid.uuid4().hex}")
    spec.account_id, spec.stripe_id = account["id"], account["stripe_id"]
    path, page = user.open_link(account["id"])
    answers = harness.ANSWERS[business_type]
    flags = {"company.ownership_declaration": "yes", "company.directorship_declaration": "yes"}
    added: list[tuple[str, str]] = []
    for _ in range(30):
        if "/onboarding/step/" not in path:
            break
        step = path.rsplit("/", 1)[1].split("?")[0]
        spec.steps.append(step)
        if step == "owners" and len(added) < len(OWNERS):
            owner = OWNERS[len(added)]
            path, page = user.submit(path, page, "save", {**answers, **_owner(*owner)})
            added.append(owner)
        elif step in harness.ROLE_STEPS:
            if step != "owners" and 'data-testid="people"' not in page.text:
                path, page = user.submit(path, page, "save", answers)
                continue
            path, page = user.submit(path, page, "continue", {**flags, f"company.{step}_provided": "yes"})
        elif step == "representative":
            path, page = user.submit(path, page, "save", answers)
        else:
            path, page = user.submit(path, page, None, answers)
    spec.final_path = path
    if path != "/onboarding":
        raise JourneyError(f"ended on {path} after {spec.steps}")
    user.api("GET", f"/api/v1/accounts/{account['id']}")  # the platform reads the account after return_url


def run_journeys(instances: Mapping[str, str], specs: list[Spec], concurrency: int, stats: Stats, seed: int,
                 on_start: Callable[[int], None]) -> float:
    """Run the journeys, `concurrency` at a time; return the wall time."""
    queue = list(specs)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                spec = queue.pop(0)
            on_start(spec.index)
            user = User(instances, random.Random(seed * 1000 + spec.index), stats, spec.fresh)
            try:
                journey(user, spec)
                stats.add("journeys completed")
            except Exception as exc:  # noqa: BLE001 (every failure is a finding to show)
                spec.error = str(exc) if isinstance(exc, JourneyError) else traceback.format_exc(limit=4)
                stats.add("journeys failed")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


# -- webhooks: one URL for the sandbox, two instances behind it ----------------------------------------------

class Forwarder(ThreadingHTTPServer):
    """Hand each webhook delivery to the instances in turn; answer with the status of the one that got it."""

    daemon_threads = True

    def __init__(self, instances: Mapping[str, str], duplicate_share: float, seed: int) -> None:
        super().__init__(("127.0.0.1", harness.free_port()), _ForwardHandler)
        self.instances = sorted(instances.items())
        self.duplicate_share = duplicate_share
        self.rng = random.Random(seed)
        self.turn = 0
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()  # "A 200", "B 503", "copy A 200", ...

    @property
    def url(self) -> str:
        """Return the URL the sandbox delivers to."""
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks/stripe"

    def pick(self) -> tuple[tuple[str, str], tuple[str, str] | None]:
        """Return the instance whose turn it is, and the other one when this delivery is sent twice."""
        with self.lock:
            first = self.instances[self.turn % len(self.instances)]
            other = self.instances[(self.turn + 1) % len(self.instances)]
            self.turn += 1
            twice = self.rng.random() < self.duplicate_share
        return first, other if twice else None

    def count(self, key: str) -> None:
        """Count one forwarded delivery's outcome."""
        with self.lock:
            self.statuses[key] += 1


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=9) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)
    except OSError:
        return 0


class _ForwardHandler(BaseHTTPRequestHandler):
    server: Forwarder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "stripe-signature",
                                                                          "user-agent")}
        (name, base), copy_to = self.server.pick()
        copy: threading.Thread | None = None
        if copy_to is not None:
            copy_name, copy_base = copy_to

            def send_copy() -> None:
                status = _post(copy_base + "/webhooks/stripe", body, headers)
                self.server.count(f"copy {copy_name} {status}")

            copy = threading.Thread(target=send_copy, daemon=True)
            copy.start()
        status = _post(base + "/webhooks/stripe", body, headers)
        self.server.count(f"{name} {status}")
        if copy is not None:
            copy.join()
        self.send_response(status or 502)
        self.send_header("Content-Length", "0")
        self.end_headers()


# -- the outage and the faults --------------------------------------------------------------------------------

@dataclass
class Outage:
    """When PostgreSQL was stopped, and for how long it could not be reached."""

    at_s: float = 0.0  # seconds after the journeys began
    stop_s: float = 0.0  # how long `pg_ctl stop -m fast` took
    down_s: float = 0.0  # from the stop's start to the server accepting connections again
    in_flight: int = 0  # journeys running when it began


def post_fault(stripe_url: str, operation: str, kind: str, times: int, latency_ms: float = 0,
               jitter_ms: float = 0) -> None:
    """Add a fault rule to the sandbox."""
    answer = harness.HTTPTransport(stripe_url).send(
        "POST", "/_sandbox/faults", json={"operation": operation, "kind": kind, "times": times,
                                          "latency_ms": latency_ms, "latency_jitter_ms": jitter_ms})
    if answer.status != 200:
        raise RuntimeError(f"the sandbox refused a fault rule: {answer.text}")


def fault_plan(rng: random.Random, count: int, timeouts: int) -> list[tuple[str, str, int]]:
    """Return the fault rules to post, in order: `count` drawn from FAULTS, `timeouts` of them timeouts.

    The timeouts come in the first half, so that they fire before the journeys end.
    """
    plan = [rng.choice(FAULTS) for _ in range(max(count - timeouts, 0))]
    for _ in range(timeouts):
        plan.insert(rng.randrange(len(plan) // 2 + 1), (rng.choice(TIMEOUT_OPERATIONS), "timeout", 1))
    return plan


# -- after the run ----------------------------------------------------------------------------------------------

def stripe_get(stripe_url: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
    """Read the sandbox's API as any Stripe client does."""
    import requests

    session = requests.Session()
    session.trust_env = False
    response = session.get(stripe_url + path, params=params, headers={"Authorization": f"Bearer {harness.STRIPE_KEY}"},
                           timeout=60)
    response.raise_for_status()
    return response.json()


def stripe_list(stripe_url: str, path: str) -> list[dict[str, Any]]:
    """Read every page of a Stripe list."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = stripe_get(stripe_url, path, params)
        items += page["data"]
        if not page["has_more"] or not page["data"]:
            return items
        params["starting_after"] = page["data"][-1]["id"]


def drain(stripe_url: str, quiet_s: float = 5.0, timeout_s: float = 240.0) -> dict[str, Any]:
    """Wait until no webhook retry waits and no delivery was made for `quiet_s` seconds; return the deliveries."""
    deadline = time.monotonic() + timeout_s
    seen, since = -1, time.monotonic()
    while True:
        state = harness.HTTPTransport(stripe_url).send("GET", "/_sandbox/webhooks").data
        count = len(state["deliveries"])
        if count != seen or state["pending_retries"]:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def webhook_figures(state: Mapping[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Count deliveries, redeliveries, failures by status, and events never answered 2xx."""
    deliveries = state["deliveries"]
    delivered = {d["event"] for d in deliveries if 200 <= d["status"] < 300}
    failed = Counter(str(d["status"]) for d in deliveries if not 200 <= d["status"] < 300)
    return {"events": len(events), "deliveries": len(deliveries),
            "redeliveries": sum(1 for d in deliveries if d["attempt"] > 1),
            "failed_attempts_by_status": dict(sorted(failed.items())),
            "events_never_delivered": sorted(e["id"] for e in events if e["id"] not in delivered)[:20],
            "events_never_delivered_count": sum(1 for e in events if e["id"] not in delivered)}


def roles(person: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the roles a person holds (its relationship flags that are true)."""
    relationship = person.get("relationship") or {}
    return tuple(sorted(k for k in ("representative", "owner", "director", "executive") if relationship.get(k)))


def _name(person: Mapping[str, Any]) -> tuple[str, str]:
    return (str(person.get("first_name") or ""), str(person.get("last_name") or ""))


def _status(person: Mapping[str, Any]) -> Any:
    return (person.get("verification") or {}).get("status")


@dataclass
class Remote:
    """One account as a fresh read from the sandbox shows it."""

    account: dict[str, Any]
    persons: list[dict[str, Any]]
    banks: list[dict[str, Any]]


def read_stripe(stripe_url: str, stripe_ids: Iterable[str]) -> dict[str, Remote]:
    """Read the accounts, their persons and bank accounts (8 at a time: the sandbox is slow on purpose)."""
    def one(stripe_id: str) -> tuple[str, Remote]:
        account = stripe_get(stripe_url, f"/v1/accounts/{stripe_id}")
        persons = stripe_list(stripe_url, f"/v1/accounts/{stripe_id}/persons")
        banks = stripe_list(stripe_url, f"/v1/accounts/{stripe_id}/external_accounts")
        return stripe_id, Remote(account, persons, banks)

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(one, sorted(stripe_ids)))


def cached_rows(database_url: str) -> list[Any]:
    """Return our connected_accounts rows."""
    from sqlmodel import Session, select

    from onboarding.db import make_engine
    from onboarding.models import ConnectedAccount

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = list(session.exec(select(ConnectedAccount)).all())
            for row in rows:
                session.expunge(row)
            return rows
    finally:
        engine.dispose()


def writes_by_status(database_url: str) -> dict[str, int]:
    """Return the outbox's writes by operation and status."""
    from sqlalchemy import text

    from onboarding.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT operation, status, count(*) FROM stripe_writes "
                                           "GROUP BY operation, status ORDER BY 1, 2")).all()
    finally:
        engine.dispose()
    return {f"{op} {status}": n for op, status, n in rows}


def cached_state(row: Any) -> dict[str, Any]:
    """Return what our row says of the account, in the shape `remote_state` gives Stripe's."""
    profile = row.stripe_profile or {}
    return _state(row.requirements or {}, row.charges_enabled, row.payouts_enabled, row.details_submitted,
                  row.capabilities or {}, (profile.get("external_accounts") or {}).get("data") or [],
                  profile.get("individual") if row.business_type == "individual" else None,
                  None if row.business_type == "individual" else row.stripe_persons or [])


def remote_state(remote: Remote) -> dict[str, Any]:
    """Return the same parts of a fresh read from Stripe."""
    account = remote.account
    company = account.get("business_type") != "individual"
    return _state(account.get("requirements") or {}, account.get("charges_enabled"), account.get("payouts_enabled"),
                  account.get("details_submitted"), account.get("capabilities") or {}, remote.banks,
                  None if company else account.get("individual"), remote.persons if company else None)


def _state(requirements: Mapping[str, Any], charges: Any, payouts: Any, submitted: Any, capabilities: Mapping[str, Any],
           banks: list[dict[str, Any]], individual: Mapping[str, Any] | None,
           persons: list[dict[str, Any]] | None) -> dict[str, Any]:
    state: dict[str, Any] = {
        f"requirements.{k}": sorted(requirements.get(k) or [])
        for k in ("currently_due", "eventually_due", "past_due", "pending_verification")}
    state["requirements.disabled_reason"] = requirements.get("disabled_reason")
    state.update({"charges_enabled": bool(charges), "payouts_enabled": bool(payouts),
                  "details_submitted": bool(submitted), "capabilities": dict(sorted(capabilities.items())),
                  "banks": sorted((b.get("id"), b.get("last4"), b.get("status")) for b in banks)})
    if individual is not None:
        state["individual"] = (individual.get("id"), *_name(individual))
        state["individual.verification"] = _status(individual)
    if persons is not None:
        state["persons"] = sorted((p.get("id"), *_name(p), roles(p)) for p in persons)
        state["persons.verification"] = sorted((p.get("id"), _status(p)) for p in persons)
    return state


def mismatches(rows: list[Any], remotes: Mapping[str, Remote]) -> list[str]:
    """Return, per account and part, where our cache differs from a fresh read."""
    found = []
    for row in rows:
        remote = remotes.get(row.stripe_id or "")
        if remote is None:
            continue  # a row without its Stripe account is counted as lost
        ours, theirs = cached_state(row), remote_state(remote)
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                found.append(f"{row.stripe_id} {key}: ours {ours.get(key)!r}, Stripe {theirs.get(key)!r}")
    return found


def duplicates(remotes: Mapping[str, Remote], specs: list[Spec], stripe_accounts: list[dict[str, Any]],
               rows: list[Any]) -> list[str]:
    """Return every duplicate at Stripe: persons, bank accounts, accounts."""
    found = []
    for stripe_id, remote in sorted(remotes.items()):
        people = Counter((roles(p), *_name(p)) for p in remote.persons)
        found += [f"{stripe_id}: {n} persons {key}" for key, n in people.items() if n > 1]
        banks = Counter(b.get("fingerprint") for b in remote.banks)
        found += [f"{stripe_id}: {n} bank accounts with fingerprint {key}" for key, n in banks.items() if n > 1]
    ours = {row.stripe_id for row in rows}
    found += [f"{a['id']}: an account at Stripe with no row of ours" for a in stripe_accounts if a["id"] not in ours]
    if len(stripe_accounts) > len(specs):
        found.append(f"{len(stripe_accounts)} accounts at Stripe for {len(specs)} journeys")
    return found


def lost(specs: list[Spec], rows: list[Any], remotes: Mapping[str, Remote]) -> list[str]:
    """Return every journey, row or answer that is not where it should be."""
    found = [f"journey {s.index} ({s.business_type}) failed: {s.error.strip()[:300]}" for s in specs if s.error]
    found += [f"row {row.id}: no stripe_id" for row in rows if not row.stripe_id]
    by_id = {row.id: row for row in rows}
    found += [f"journey {s.index}: no row {s.account_id}" for s in specs if s.account_id and s.account_id not in by_id]
    kinds = {row.stripe_id: row.business_type for row in rows}
    for stripe_id, remote in sorted(remotes.items()):
        found += [f"{stripe_id}: {problem}" for problem in _missing_answers(remote, kinds.get(stripe_id))]
    return found


def _missing_answers(remote: Remote, business_type: str | None) -> list[str]:
    account = remote.account
    requirements = account.get("requirements") or {}
    problems = []
    if requirements.get("currently_due"):
        problems.append(f"currently due {requirements['currently_due']}")
    if not account.get("payouts_enabled") and not requirements.get("pending_verification"):
        problems.append(f"payouts disabled ({requirements.get('disabled_reason')}) with nothing pending")
    if not (account.get("tos_acceptance") or {}).get("date"):
        problems.append("terms not accepted")
    if not any(b.get("last4") == "6789" for b in remote.banks):
        problems.append("no bank account ending 6789")
    if business_type == "individual":
        if _name(account.get("individual") or {}) != ("Jenny", "Rosen"):
            problems.append(f"individual {_name(account.get('individual') or {})}")
    else:
        if (account.get("company") or {}).get("name") != "Rosen Software Inc.":
            problems.append(f"company name {(account.get('company') or {}).get('name')!r}")
        names = {(_name(p), roles(p)) for p in remote.persons}
        if not any(name == ("Jenny", "Rosen") and "representative" in r for name, r in names):
            problems.append("no representative Jenny Rosen")
        for owner in OWNERS:
            if not any(name == owner and "owner" in r for name, r in names):
                problems.append(f"no owner {' '.join(owner)}")
    return problems


def check(database_url: str, stripe_url: str, specs: list[Spec]) -> dict[str, list[str]]:
    """Read both sides once; return the duplicates, lost items and mismatches found (and what was compared)."""
    rows = cached_rows(database_url)
    stripe_accounts = stripe_list(stripe_url, "/v1/accounts")
    remotes = read_stripe(stripe_url, [a["id"] for a in stripe_accounts])
    compared = [f"{len(stripe_accounts)} accounts at Stripe", f"{len(rows)} rows of ours",
                f"{sum(len(r.persons) for r in remotes.values())} persons at Stripe"]
    return {"duplicates": duplicates(remotes, specs, stripe_accounts, rows), "lost": lost(specs, rows, remotes),
            "mismatches": mismatches(rows, remotes), "compared": compared}


def evidence(database_url: str, events: list[dict[str, Any]], found: list[str]) -> dict[str, Any]:
    """Return, for each account with a finding, what both sides recorded: to tell a bug from a bench artefact."""
    from sqlalchemy import text

    from onboarding.db import make_engine

    stripe_ids = sorted({line.split(" ", 1)[0].rstrip(":") for line in found if line.startswith("acct_")})
    engine = make_engine(database_url)
    out: dict[str, Any] = {}
    try:
        with engine.connect() as connection:
            for stripe_id in stripe_ids:
                row = connection.execute(text("SELECT id, stripe_persons, stripe_marks, updated_at FROM "
                                              "connected_accounts WHERE stripe_id = :s"), {"s": stripe_id}).first()
                if row is None:
                    continue
                ours = connection.execute(text("SELECT id, type, stripe_created, received_at FROM webhook_events "
                                               "WHERE account = :s ORDER BY received_at"), {"s": stripe_id}).all()
                writes = connection.execute(text(
                    "SELECT operation, status, idempotency_key, created_at, completed_at, applied_at FROM "
                    "stripe_writes WHERE account_id = :a ORDER BY id"), {"a": row.id}).all()
                out[stripe_id] = {
                    "persons": [(p.get("id"), p.get("last_name"), _status(p)) for p in row.stripe_persons or []],
                    "marks": row.stripe_marks, "updated_at": str(row.updated_at),
                    "received": [(e.id, e.type, e.stripe_created, str(e.received_at)) for e in ours],
                    "writes": [tuple(str(v) for v in w) for w in writes],
                    "events": [(e["id"], e["type"], e["created"], (e["data"]["object"].get("last_name"),
                                                                   _status(e["data"]["object"])))
                               for e in sorted(events, key=lambda e: e["created"]) if e.get("account") == stripe_id],
                }
    finally:
        engine.dispose()
    return out


def server_errors(log: str) -> dict[str, int]:
    """Count what an instance logged: 500s (unexpected exceptions), 503s, tracebacks."""
    return {"server errors (500)": log.count("server error 500"),
            "service unavailable (503)": log.count("service unavailable, reference"),
            "tracebacks": log.count("Traceback (most recent call last)")}


# -- the run ---------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Start everything, run the journeys through faults and an outage, drain, check; exit 1 on any damage."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=60, help="onboardings to run (default 60)")
    parser.add_argument("--concurrency", type=int, default=12, help="journeys running at once (default 12)")
    parser.add_argument("--company-share", type=float, default=0.3,
                        help="share of US companies (representative, two owners) among the journeys (default 0.3)")
    parser.add_argument("--fresh-share", type=float, default=0.4,
                        help="share of users who, after a 503, send a fresh form instead of the same one (0.4)")
    parser.add_argument("--latency-ms", type=float, default=300, help="median Stripe latency (default 300)")
    parser.add_argument("--jitter-ms", type=float, default=100, help="latency ± this, uniformly (default 100)")
    parser.add_argument("--verification", default="async", choices=("async", "immediate"),
                        help="the sandbox's checks: async (default, as Stripe: by webhook 2 s later) or immediate")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
    parser.add_argument("--webhook-concurrency", type=int, default=4, help="the sandbox's delivery threads (4)")
    parser.add_argument("--webhook-shuffle", action=argparse.BooleanOptionalAction, default=True,
                        help="the sandbox takes waiting deliveries in random order (default: yes)")
    parser.add_argument("--webhook-retries", default="1,2,5,10,20",
                        help="the sandbox's waits before each retry, in seconds (default 1,2,5,10,20)")
    parser.add_argument("--duplicate-share", type=float, default=0.1,
                        help="share of deliveries also sent to the other instance at once (default 0.1)")
    parser.add_argument("--outage-s", type=float, default=5,
                        help="seconds PostgreSQL stays stopped (default 5; 0: no outage)")
    parser.add_argument("--faults", type=int, default=30, help="fault rules posted during the run (default 30)")
    parser.add_argument("--timeouts", type=int, default=2, help="of which timeouts (80 s each; default 2)")
    parser.add_argument("--fault-every-s", type=float, default=1, help="seconds between fault rules (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="the random choices' seed (default 1)")
    args = parser.parse_args(argv)

    from tests.support.postgres import find_pg_bin

    if find_pg_bin() is None:
        parser.error("PostgreSQL's server binaries are needed (scripts/ensure-system-packages.sh postgresql)")
    rng = random.Random(args.seed)
    companies = {round(i / args.company_share) for i in range(int(args.journeys * args.company_share + 1e-9))} \
        if args.company_share else set()
    specs = [Spec(i, "company" if i in companies else "individual", rng.random() < args.fresh_share)
             for i in range(args.journeys)]
    stats = Stats()
    print(f"machine: {harness.machine()}", flush=True)

    with harness.workdir("resilience") as workdir, harness.Processes(workdir) as processes, \
            postgres(workdir) as (pg, database_url):
        harness.migrate(database_url)
        ports = {"A": harness.free_port(), "B": harness.free_port()}
        instances = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        forwarder = Forwarder(instances, args.duplicate_share, args.seed)
        threading.Thread(target=forwarder.serve_forever, daemon=True).start()
        stripe_url = harness.start_sandbox(
            processes, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, webhook_url=forwarder.url,
            verification=args.verification,
            extra=["--webhook-concurrency", str(args.webhook_concurrency),
                   *(["--webhook-shuffle"] if args.webhook_shuffle else []), "--webhook-retries", args.webhook_retries])
        env = harness.app_env(database_url, stripe_url, instances["A"])
        for name, port in ports.items():
            harness.start_gunicorn(processes, name.lower(), "wsgi:app", env, workers=args.workers,
                                   threads=args.threads, worker_class="gthread", port=port)
        print(f"setup: 2 x gunicorn gthread --workers {args.workers} --threads {args.threads} wsgi:app on one "
              f"PostgreSQL; stripe_sandbox --latency-ms {args.latency_ms:g} --latency-jitter-ms {args.jitter_ms:g} "
              f"--verification {args.verification} --webhook-concurrency {args.webhook_concurrency} "
              f"{'--webhook-shuffle ' if args.webhook_shuffle else ''}--webhook-retries {args.webhook_retries}; "
              f"webhooks to A and B in turn, "
              f"{args.duplicate_share:.0%} also to the other at once", flush=True)

        # The outage, when the journey in the middle starts.
        outage = Outage()
        middle = threading.Event()
        began = time.monotonic()

        def on_start(index: int) -> None:
            if index == args.journeys // 2:
                outage.in_flight = min(args.concurrency, index)
                middle.set()

        def restart() -> None:
            if not middle.wait(timeout=3600) or not args.outage_s:
                return
            outage.at_s = time.monotonic() - began
            pg.pause("fast")
            outage.stop_s = time.monotonic() - began - outage.at_s
            time.sleep(args.outage_s)
            pg.resume()
            outage.down_s = time.monotonic() - began - outage.at_s
            print(f"PostgreSQL stopped at {outage.at_s:.1f} s, back after {outage.down_s:.1f} s", flush=True)

        # The faults, one rule every few seconds while the journeys run.
        done = threading.Event()
        plan = fault_plan(rng, args.faults, args.timeouts)
        posted: list[tuple[str, str, int]] = []

        def faults() -> None:
            for rule in plan:
                if done.wait(args.fault_every_s):
                    return
                post_fault(stripe_url, *rule)
                posted.append(rule)

        side = [threading.Thread(target=restart, daemon=True), threading.Thread(target=faults, daemon=True)]
        for thread in side:
            thread.start()
        wall = run_journeys(instances, specs, args.concurrency, stats, args.seed, on_start)
        done.set()
        for thread in side:
            thread.join(timeout=120)
        print(f"journeys: {stats.counts['journeys completed']} completed, {stats.counts['journeys failed']} failed "
              f"in {wall:.1f} s", flush=True)

        # Faults that never fired go; the latency stays, as Stripe's would.
        log = harness.HTTPTransport(stripe_url).send("GET", "/_sandbox/requests").data["data"]
        fired = Counter(f"{e['operation']} {e['fault']}" for e in log if e.get("fault"))
        harness.HTTPTransport(stripe_url).send("DELETE", "/_sandbox/faults")
        post_fault(stripe_url, "*", "latency", -1, args.latency_ms, args.jitter_ms)

        webhooks_first = drain(stripe_url)
        before_retry = check(database_url, stripe_url, specs)
        retry = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "retry", "--grace-minutes",
                                "0"], check=False, cwd=harness.ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                               timeout=600)
        webhooks_final = drain(stripe_url)
        events = stripe_list(stripe_url, "/v1/events")
        final = check(database_url, stripe_url, specs)
        outbox = writes_by_status(database_url)
        logs = {name: server_errors(processes.log_tail(name.lower(), 1_000_000)) for name in instances}
        if os.environ.get("BENCH_KEEP"):
            found = [line for kind in final.values() for line in kind]
            (workdir / "resilience.json").write_text(json.dumps(
                {"before_retry": before_retry, "final": final, "specs": [s.__dict__ for s in specs],
                 "evidence": evidence(database_url, events, found)}, indent=1, default=str))

    summary = {
        "journeys": {"run": len(specs), "completed": stats.counts["journeys completed"],
                     "failed": stats.counts["journeys failed"],
                     "companies": sum(1 for s in specs if s.business_type == "company"),
                     "fresh_form_users": sum(1 for s in specs if s.fresh), "wall_s": round(wall, 1)},
        "requests": {"total": stats.counts["requests"], "A": stats.counts["requests A"],
                     "B": stats.counts["requests B"], "by_status": dict(sorted(stats.statuses.items())),
                     "503s": stats.counts["503s"], "retries": stats.counts["retries"],
                     "same_forms_resent": stats.counts["same forms"], "fresh_forms_sent": stats.counts["fresh forms"],
                     "saved_part_pages": stats.counts["saved-part pages"],
                     "503s_on_a_persons_form": stats.counts["503s on a person's form"],
                     "fresh_forms_for_a_person": stats.counts["fresh forms for a person"],
                     "stripe_unreachable_pages": stats.counts["stripe unreachable pages"],
                     "links_made_again": stats.counts["links made again"],
                     "connection_errors": stats.counts["connection errors"],
                     "unexpected_5xx": len(stats.bare)},
        "outage": {"at_s": round(outage.at_s, 1), "pg_ctl_stop_s": round(outage.stop_s, 1),
                   "down_s": round(outage.down_s, 1), "journeys_in_flight": outage.in_flight},
        "faults": {"posted": len(posted), "fired": sum(fired.values()), "fired_by_rule": dict(sorted(fired.items()))},
        "webhooks": {**webhook_figures(webhooks_final, events),
                     "before_outbox_retry": len(webhooks_first["deliveries"]),
                     "forwarded": dict(sorted(forwarder.statuses.items()))},
        "outbox_retry": {"exit": retry.returncode, "output": _json_or_text(retry.stdout or retry.stderr)},
        "outbox": outbox,
        "instances": logs,
        "compared": final.pop("compared"),
        "before_outbox_retry": {k: len(v) for k, v in before_retry.items() if k != "compared"},
        "duplicates": len(final["duplicates"]), "lost": len(final["lost"]), "mismatches": len(final["mismatches"]),
        "mismatches_by_part": dict(Counter(line.split(" ")[1].rstrip(":") for line in final["mismatches"])),
        "accounts_with_mismatches": len({line.split(" ")[0] for line in final["mismatches"]}),
    }
    forwarder.shutdown()
    print(json.dumps(summary, indent=2))
    for kind in ("duplicates", "lost", "mismatches"):
        for line in final[kind][:15]:
            print(f"{kind}: {line}")
    for kind in ("duplicates", "lost", "mismatches"):
        for line in before_retry[kind][:10]:
            print(f"before outbox retry, {kind}: {line}")
    for line in stats.bare[:10]:
        print(f"5xx: {line}")
    damage = len(final["duplicates"]) + len(final["lost"]) + len(final["mismatches"]) + len(stats.bare)
    return 1 if damage or stats.counts["journeys failed"] else 0


@contextmanager
def postgres(workdir: Path) -> Iterator[tuple[Any, str]]:
    """Yield a throwaway PostgreSQL server of our own (to stop and start again) and its database's URL."""
    from tests.support.postgres import PostgresServer

    server = PostgresServer(workdir)
    with server as url:
        yield server, url


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()[-500:]


if __name__ == "__main__":
    harness.run(main)
