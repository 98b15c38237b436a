"""What the benchmarks share: free ports, processes that are always stopped, a browser-like client, figures.

Imported by the scripts in this directory (`python bench/load.py` puts `bench/` on `sys.path`). It puts
the checkout's root first on `sys.path`, so a script measures the code next to it whatever is installed.
"""

from __future__ import annotations

import atexit
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol, Self

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import test_wizard, test_wizard_company  # noqa: E402 (the root must be on sys.path first)

PLATFORM_KEY = "bench-platform-key"
WEBHOOK_SECRET = "whsec_bench"
STRIPE_KEY = "sk_test_bench"


# -- the machine and the run --------------------------------------------------------------------------

def run(main: Callable[[], int]) -> None:
    """Run a benchmark's `main` as a script: its exit code, or 130 after Ctrl-C (its servers are stopped)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)


def machine() -> str:
    """Describe where and when this run happens, for RESULTS.md."""
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    state = f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "not a git checkout"
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({cpu}); "
            f"Python {platform.python_version()}; load average {load}; code {state}")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- processes ------------------------------------------------------------------------------------------

class Processes:
    """Start servers in their own process groups and stop every one of them on exit, error, Ctrl-C or SIGTERM."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def __enter__(self) -> Self:
        # SIGTERM (a closed terminal, `timeout`) must unwind like Ctrl-C does, so the `finally` blocks run.
        self._previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        atexit.register(self.stop)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        signal.signal(signal.SIGTERM, self._previous)
        atexit.unregister(self.stop)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a process whose output goes to `<workdir>/<name>.log`."""
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (kept open for the child)
        process = subprocess.Popen(list(argv), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                   env={**os.environ, **(env or {})}, start_new_session=True)
        log.close()
        self.started.append((name, process))
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        """Return the end of a process's output."""
        path = self.workdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop every started process group: SIGTERM, then SIGKILL after a grace period."""
        while self.started:
            _, process = self.started.pop()
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout=5)
            # Workers that outlived their master (killed hard) are still in its process group.
            _signal_group(process, signal.SIGKILL)

    def cpu_seconds(self, name: str) -> float:
        """Return the CPU time (user + system) used so far by a started process and its live children."""
        process = dict(self.started)[name]
        return group_cpu_seconds(process.pid)

    def wait_http(self, name: str, url: str, timeout: float = 60.0) -> None:
        """Wait until `url` answers (any status), or fail with the process's output."""
        import requests

        process = dict(self.started)[name]
        deadline = time.monotonic() + timeout
        session = _loopback_session()
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            try:
                session.get(url, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not answer {url} within {timeout:.0f} s:\n{self.log_tail(name)}")


def group_cpu_seconds(pgid: int) -> float:
    """Return the CPU time of the live processes of a process group, plus what their reaped children used."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ... utime(11) stime(12) cutime cstime
            total += sum(int(x) for x in fields[11:15])
    return total / ticks


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # the group we created for this child: its id is the child's
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """Yield a temporary directory for databases and logs, removed afterwards (kept when BENCH_KEEP is set)."""
    path = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"(kept {path})", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(path, ignore_errors=True)


def start_sandbox(processes: Processes, *, latency_ms: float = 0, jitter_ms: float = 0,
                  webhook_url: str | None = None, verification: str = "immediate", extra: Sequence[str] = ()) -> str:
    """Start `python -m stripe_sandbox` on a free port; return its base URL.

    `extra`: more of the server's options (`--webhook-retries 1,2,5`, ...).
    """
    port = free_port()
    # Verification within each write by default, as the figures in RESULTS.md were measured (the server
    # defaults to async, as Stripe).
    argv = [sys.executable, "-m", "stripe_sandbox", "--host", "127.0.0.1", "--port", str(port), "--verification",
            verification, *extra]
    if latency_ms:
        argv += ["--latency-ms", str(latency_ms)]
    if jitter_ms:
        argv += ["--latency-jitter-ms", str(jitter_ms)]
    if webhook_url:
        argv += ["--webhook-url", webhook_url, "--webhook-secret", WEBHOOK_SECRET]
    processes.start("sandbox", argv, {"PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    processes.wait_http("sandbox", f"{url}/_sandbox/health")
    return url


def app_env(database_url: str, stripe_url: str, public_url: str) -> dict[str, str]:
    """Return the environment that runs the real app against a sandbox server."""
    return {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PLATFORM_API_KEY": PLATFORM_KEY,
        "SECRET_KEY": "bench-secret-key",
        "PUBLIC_URL": public_url,
        # A test key would turn Secure cookies on; the benchmark speaks plain HTTP on loopback.
        "SESSION_COOKIE_SECURE": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def migrate(database_url: str) -> None:
    """Create the schema (what `flask --app wsgi db upgrade` does)."""
    from onboarding.db import make_engine
    from onboarding.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()


def start_gunicorn(processes: Processes, name: str, app: str, env: Mapping[str, str], *, workers: int,
                   threads: int = 1, worker_class: str = "sync", port: int | None = None,
                   pythonpath: Path = ROOT) -> str:
    """Start gunicorn on a free loopback port; return its base URL once it answers."""
    port = port or free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", worker_class, "--pythonpath", str(pythonpath), "--timeout", "120",
            "--log-level", "warning"]
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    processes.start(name, [*argv, app], env)
    url = f"http://127.0.0.1:{port}"
    processes.wait_http(name, f"{url}/healthz")
    return url


def _loopback_session() -> Any:
    import requests

    session = requests.Session()
    session.trust_env = False  # never a proxy: everything is on 127.0.0.1
    return session


# -- figures ----------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile (`share` in 0..1) of some values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = math.ceil(share * len(ordered) - 1e-9)  # the tolerance keeps 0.5 * 10 at rank 5, not 6
    return ordered[min(max(rank, 1), len(ordered)) - 1]


@dataclass
class Sample:
    """One timed request."""

    label: str
    method: str
    seconds: float
    status: int


@dataclass
class Timings:
    """Every timed request of a run (thread-safe)."""

    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        """Record one request."""
        with self.lock:
            self.samples.append(sample)

    def table(self) -> str:
        """Return count, p50, p99 and max per label, GET and POST apart, then per method."""
        groups: dict[tuple[str, str], list[float]] = defaultdict(list)
        for s in self.samples:
            groups[(s.method, s.label)].append(s.seconds)
        rows: list[tuple[str, ...]] = [("method", "request", "n", "p50 ms", "p99 ms", "max ms")]
        for (method, label), values in sorted(groups.items(), key=lambda item: (item[0][0], _order(item[0][1]))):
            rows.append(_row(method, label, values))
        for method in ("GET", "POST"):
            values = [s.seconds for s in self.samples if s.method == method]
            if values:
                rows.append(_row(method, "(every " + method + ")", values))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                         for r in rows)


STEP_ORDER = ("/api/v1/accounts", "/api/v1/accounts/{id}/links", "/onboard/{token}", "/onboarding/start",
              "business_type", "business", "individual", "representative", "owners", "directors", "executives",
              "documents", "bank_account", "terms", "/onboarding")


def _order(label: str) -> tuple[int, str]:
    key = label.split(" ")[0].rsplit("/", 1)[-1] if "/step/" in label else label
    return (STEP_ORDER.index(key) if key in STEP_ORDER else len(STEP_ORDER), label)


def _row(method: str, label: str, values: list[float]) -> tuple[str, ...]:
    return (method, label, str(len(values)), f"{percentile(values, 0.5) * 1000:.0f}",
            f"{percentile(values, 0.99) * 1000:.0f}", f"{max(values) * 1000:.0f}")


# -- a browser without JavaScript ---------------------------------------------------------------------------

@dataclass
class Control:
    """One form control as the page declares it."""

    tag: str  # input, select, textarea
    type: str
    name: str
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected) of a select


@dataclass
class Form:
    """One <form> of a page."""

    method: str
    action: str | None
    controls: list[Control] = field(default_factory=list)

    def hidden(self, name: str) -> str | None:
        """Return a hidden input's value."""
        return next((c.value for c in self.controls if c.type == "hidden" and c.name == name), None)

    def fill(self, answers: Mapping[str, str]) -> dict[str, str]:
        """Return what a browser posts: every successful control, with the user's answers typed in."""
        data: dict[str, str] = {}
        for control in self.controls:
            if not control.name or control.type in ("submit", "button", "file", "reset", "image"):
                continue  # no named buttons on these forms; no uploads in these journeys
            answer = answers.get(control.name)
            if control.type == "hidden":
                data[control.name] = control.value
            elif control.type in ("checkbox", "radio"):
                if answer == (control.value or "on") or (answer is None and control.checked):
                    data[control.name] = control.value or "on"
            elif control.tag == "select":
                chosen = [v for v, selected in control.options if selected]
                default = chosen[0] if chosen else (control.options[0][0] if control.options else "")
                data[control.name] = answer if answer is not None else default
            else:
                data[control.name] = answer if answer is not None else control.value
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", "get").upper(), a.get("action")))
        elif not self.forms:
            return
        elif tag == "input":
            self.forms[-1].controls.append(Control("input", a.get("type", "text").lower(), a.get("name", ""),
                                                   a.get("value", ""), "checked" in a))
        elif tag == "select":
            self._select = Control("select", "select", a.get("name", ""))
            self.forms[-1].controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = Control("textarea", "textarea", a.get("name", ""))
            self.forms[-1].controls.append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


def parse_forms(html: str) -> list[Form]:
    """Return the forms of a page."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


# -- talking to the app: over HTTP or through Flask's test client ----------------------------------------------

@dataclass
class Reply:
    """An HTTP answer, whatever carried it."""

    status: int
    location: str | None
    text: str
    data: Any = None  # parsed JSON, when the answer was JSON


class Transport(Protocol):
    """Sends one request with this browser's cookies; never follows redirects."""

    def send(self, method: str, path: str, *, data: Mapping[str, str] | None = None,
             json: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Reply:
        """Send a request and return the answer."""
        ...


class HTTPTransport:
    """A real HTTP client (requests) with a cookie jar and keep-alive, like one browser tab."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = _loopback_session()

    def send(self, method: str, path: str, *, data: Mapping[str, str] | None = None,
             json: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Reply:
        """Send a request (forms as multipart/form-data, as the wizard's forms declare)."""
        files = {k: (None, v) for k, v in data.items()} if data is not None else None
        response = self.session.request(method, self.base_url + path, files=files, json=json, headers=headers,
                                        allow_redirects=False, timeout=120)
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return Reply(response.status_code, response.headers.get("Location"), response.text,
                     response.json() if is_json else None)


class FlaskTransport:
    """Flask's test client: the same requests without a network (for counting Stripe calls)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, method: str, path: str, *, data: Mapping[str, str] | None = None,
             json: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> Reply:
        """Send a request through the test client."""
        kwargs: dict[str, Any] = {"headers": dict(headers or {})}
        if data is not None:
            kwargs.update(data=dict(data), content_type="multipart/form-data")
        if json is not None:
            kwargs["json"] = json
        response = self.client.open(path, method=method, **kwargs)
        return Reply(response.status_code, response.headers.get("Location"), response.get_data(as_text=True),
                     response.get_json(silent=True))


Observer = Callable[[str, str, float, Reply], None]  # (method, label, seconds, reply)


def label_of(method: str, path: str, action: str | None = None) -> str:
    """Name a request for the figures: ids and tokens folded, role-step actions kept."""
    path = path.split("?")[0]
    path = re.sub(r"^/onboard/[^/]+$", "/onboard/{token}", path)
    path = re.sub(r"^/api/v1/accounts/[^/]+", "/api/v1/accounts/{id}", path)
    return f"{path} ({action})" if action else path


class JourneyError(AssertionError):
    """A journey did not go as a user's would."""


@dataclass
class Browser:
    """One user: sends requests through a transport, times them, follows redirects by hand."""

    transport: Transport
    observe: Observer | None = None

    def request(self, method: str, path: str, *, action: str | None = None, **kwargs: Any) -> Reply:
        """Send one request and report it to the observer."""
        started = time.perf_counter()
        reply = self.transport.send(method, path, **kwargs)
        elapsed = time.perf_counter() - started
        if self.observe:
            self.observe(method, label_of(method, path, action), elapsed, reply)
        if reply.status >= 400:
            raise JourneyError(f"{method} {path}: {reply.status} {_excerpt(reply.text)}")
        return reply

    def follow(self, path: str, reply: Reply) -> tuple[str, Reply]:
        """Follow redirects (GET) to the page they end on; return its path and answer."""
        for _ in range(10):
            if reply.status not in (301, 302, 303, 307, 308):
                return path, reply
            path = _relative(reply.location or "/")
            reply = self.request("GET", path)
        raise JourneyError(f"too many redirects, last {path}")


def _relative(location: str) -> str:
    return re.sub(r"^https?://[^/]+", "", location)


def _excerpt(text: str) -> str:
    errors = re.findall(r'class="error"[^>]*>(.*?)</p>', text)
    return "; ".join(errors)[:500] if errors else re.sub(r"\s+", " ", text)[:300]


# -- journeys: the answers a user types, with Stripe's test values ------------------------------------------------

# The test suite's journeys: the same answers the wizard's tests give (one owner for the company).
US_INDIVIDUAL = dict(test_wizard.US)
US_COMPANY = {**test_wizard_company.US_COMPANY, **test_wizard_company._owner("Ada", "Lovelace")}
ANSWERS = {"individual": US_INDIVIDUAL, "company": US_COMPANY}
ROLE_STEPS = ("owners", "directors", "executives")


@dataclass
class Journey:
    """What one user did."""

    business_type: str
    account_id: str = ""
    steps: list[str] = field(default_factory=list)
    final_path: str = ""


def onboard(browser: Browser, business_type: str = "individual", country: str = "US",
            email: str = "user@example.com") -> Journey:
    """Do what the platform's backend and one user do: create the account and a link, then every step."""
    journey = Journey(business_type)
    auth = {"Authorization": f"Bearer {PLATFORM_KEY}"}
    account = browser.request("POST", "/api/v1/accounts", headers=auth,
                              json={"country": country, "business_type": business_type, "email": email}).data
    journey.account_id = account["id"]
    link = browser.request("POST", f"/api/v1/accounts/{account['id']}/links", headers=auth,
                           json={"return_url": "https://platform.example/return",
                                 "refresh_url": "https://platform.example/refresh"}).data
    path = _relative(link["url"])
    path, page = browser.follow(path, browser.request("GET", path))
    answers = ANSWERS[business_type]
    for _ in range(20):
        if "/onboarding/step/" not in path:
            journey.final_path = path
            return journey
        step = path.rsplit("/", 1)[1].split("?")[0]
        journey.steps.append(step)
        forms = parse_forms(page.text)
        if step in ROLE_STEPS:
            if 'data-testid="people"' not in page.text:  # nobody added yet: add one person first
                path, page = _post(browser, path, _form(forms, "save"), answers, "save")
                continue
            flags = {f"company.{step}_provided": "yes", "company.ownership_declaration": "yes",
                     "company.directorship_declaration": "yes"}
            path, page = _post(browser, path, _form(forms, "continue"), flags, "continue")
        elif step == "representative":
            path, page = _post(browser, path, _form(forms, "save"), answers, "save")
        else:
            path, page = _post(browser, path, forms[0], answers)
    raise JourneyError(f"the wizard did not end after 20 pages: {journey.steps}")


def _form(forms: list[Form], action: str) -> Form:
    for form in forms:
        if form.hidden("action") == action:
            return form
    raise JourneyError(f"no form with action {action!r}")


def _post(browser: Browser, path: str, form: Form, answers: Mapping[str, str],
          action: str | None = None) -> tuple[str, Reply]:
    target = _relative(form.action) if form.action else path
    reply = browser.request("POST", target, data=form.fill(answers), action=action)
    if reply.status != 303:
        raise JourneyError(f"POST {target}: {reply.status} {_excerpt(reply.text)}")
    return browser.follow(target, reply)


def account_state(browser: Browser, account_id: str) -> dict[str, Any]:
    """Return the account as the platform API shows it."""
    return browser.request("GET", f"/api/v1/accounts/{account_id}",
                           headers={"Authorization": f"Bearer {PLATFORM_KEY}"}).data


def is_enabled(state: Mapping[str, Any]) -> bool:
    """Return whether onboarding finished: nothing due and payouts enabled."""
    return not state["requirements"]["currently_due"] and bool(state["payouts_enabled"])


# -- a closed-loop load generator for one page ----------------------------------------------------------------

@dataclass
class LoadResult:
    """What `hammer` measured."""

    completed: int
    errors: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        """Return completed requests per second."""
        return self.completed / self.seconds if self.seconds else 0.0


def hammer(base_url: str, path: str, cookie: str | None, concurrency: int, duration: float) -> LoadResult:
    """GET one page from `concurrency` connections in a closed loop for `duration` seconds.

    Each request opens a connection and asks the server to close it (gunicorn's sync workers close
    anyway), so both servers of a comparison do the same work per request. asyncio on raw sockets
    keeps the client's own CPU small next to the servers'.
    """
    import asyncio

    host, port = base_url.removeprefix("http://").split(":")
    head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: bench\r\nAccept: text/html\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    raw = (head + "Connection: close\r\n\r\n").encode()
    latencies: list[float] = []
    statuses: dict[int, int] = defaultdict(int)
    errors = 0

    async def one() -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(raw)
            data = await asyncio.wait_for(reader.read(), timeout=60)
            writer.close()
            status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
        except (OSError, TimeoutError, ValueError):
            status = 0
        statuses[status] += 1
        if status == 200:
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1

    async def loop(deadline: float) -> None:
        while time.perf_counter() < deadline:
            await one()

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(loop(started + duration) for _ in range(concurrency)))
        return time.perf_counter() - started

    seconds = asyncio.run(run())
    return LoadResult(len(latencies), errors, seconds, latencies, dict(statuses))
