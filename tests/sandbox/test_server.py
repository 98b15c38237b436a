"""`python -m stripe_sandbox` as a real process: SDK traffic in, signed webhooks out, all on 127.0.0.1."""

from __future__ import annotations

import io
import itertools
import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import stripe

from stripe_sandbox import load_country_specs
from stripe_sandbox.__main__ import main
from stripe_sandbox.webhooks import http_target

from .helpers import create_account, loopback_http_client, loopback_open, png

# The sandbox runs in another process, on the real clock: its webhooks' signatures carry that time.
pytestmark = pytest.mark.own_clock

SECRET = "whsec_subprocess"


def free_port() -> int:
    """Return a port that is free on the loopback interface right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Receiver(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.put((body, self.headers["Stripe-Signature"]))
        with self.server.lock:
            status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


class WebhookReceiver(ThreadingHTTPServer):
    """A tiny webhook endpoint on a loopback port."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.received: queue.Queue[tuple[bytes, str]] = queue.Queue()
        self.answers: list[int] = []  # the statuses to answer first (then 200)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """Return the endpoint's URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """Serve a webhook endpoint from a thread."""
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 15.0) -> str:
    """Read the process's stdout until a line contains `needle`."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stdout.readline()
        if needle in line:
            return line
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"no {needle!r} line from the sandbox (exit code {process.poll()})")


@pytest.fixture
def specs_file(tmp_path: Path) -> Path:
    """Write a two-country specs file in the list endpoint's shape."""
    specs = load_country_specs()
    data = [specs.get("US"), specs.get("GB")]
    path = tmp_path / "country_specs.json"
    path.write_text(json.dumps({"object": "list", "url": "/v1/country_specs", "has_more": False, "data": data}))
    return path


@dataclass
class Running:
    """A `python -m stripe_sandbox` process: its address, its "listening" line and an SDK client on it."""

    url: str
    line: str
    client: stripe.StripeClient


@contextmanager
def sandbox_process(*args: str) -> Iterator[Running]:
    """Start the sandbox as a process with these arguments; stop it with SIGINT after, and expect exit 0."""
    port = free_port()
    env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_sandbox", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    http_client = loopback_http_client()
    try:
        line = wait_for_line(process, "listening")
        url = f"http://127.0.0.1:{port}"
        yield Running(url, line, stripe.StripeClient("sk_test_process", http_client=http_client,
                                                     max_network_retries=0,
                                                     base_addresses={"api": url, "files": url, "connect": url}))
    finally:
        http_client.close()
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=10)
        finally:
            process.kill()
            _, stderr = process.communicate()
    assert code == 0, stderr


def test_the_sandbox_as_a_process(receiver: WebhookReceiver, specs_file: Path) -> None:
    with sandbox_process("--country-specs", str(specs_file), "--webhook-url", receiver.url,
                         "--webhook-secret", SECRET) as running:
        client = running.client
        assert running.url in running.line and "(2 countries)" in running.line

        assert [s.id for s in client.v1.country_specs.list(params={"limit": 100}).data] == ["GB", "US"]
        account = create_account(client)
        client.v1.accounts.update(account.id, params={"email": "jenny@example.com"})
        file = client.v1.files.create(params={"purpose": "identity_document", "file": io.BytesIO(png())})
        assert file.type == "png"

        payload, signature = receiver.received.get(timeout=10)
        event = client.construct_event(payload, signature, SECRET)
        assert event.type == "account.updated" and event.account == account.id
        assert event.data.previous_attributes.email is None
        assert stripe.Webhook.construct_event(payload, signature, SECRET).id == event.id
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(payload, signature, "whsec_wrong")
        assert client.v1.events.retrieve(event.id).type == "account.updated"


def _events(receiver: WebhookReceiver, client: stripe.StripeClient, until: float) -> Iterator[Any]:
    """Yield the verified events the receiver gets until the deadline (monotonic seconds)."""
    while (left := until - time.monotonic()) > 0:
        try:
            payload, signature = receiver.received.get(timeout=left)
        except queue.Empty:
            return
        yield client.construct_event(payload, signature, SECRET)


@pytest.mark.timed_waits
def test_verification_is_asynchronous_over_http(receiver: WebhookReceiver) -> None:
    """A write answers pending; dob 1902-01-01 verifies at once, 1901-01-01 shortly after and by webhook."""
    with sandbox_process("--webhook-url", receiver.url, "--webhook-secret", SECRET, "--settle-after-s", "0.5") as running:
        client = running.client
        person = {"first_name": "Jenny", "last_name": "Rosen", "ssn_last_4": "0000", "phone": "0000000000",
                  "email": "jenny@example.com",
                  "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA",
                              "postal_code": "94103"}}
        later = create_account(client)
        written = client.v1.accounts.update(later.id, params={
            "individual": {**person, "dob": {"day": 1, "month": 1, "year": 1901}}})
        assert written.individual.verification.status == "pending"
        assert "individual.dob.day" in written.requirements.pending_verification

        at_once = create_account(client)
        written = client.v1.accounts.update(at_once.id, params={
            "individual": {**person, "dob": {"day": 1, "month": 1, "year": 1902}}})
        assert written.individual.verification.status == "verified"
        assert written.requirements.pending_verification == []

        verified = None
        for event in _events(receiver, client, time.monotonic() + 10):
            obj = event.data.object
            if event.type == "account.updated" and obj.id == later.id and obj.individual.verification.status == "verified":
                verified = event
                break
        assert verified is not None, "no account.updated with the finished verification arrived"
        assert verified.data.object.requirements.pending_verification == []
        assert client.v1.accounts.retrieve(later.id).individual.verification.status == "verified"


def test_verification_can_finish_within_the_write_or_only_when_asked() -> None:
    with sandbox_process("--verification", "immediate") as running:
        account = create_account(running.client)
        written = running.client.v1.accounts.update(account.id, params={"individual": {
            "first_name": "Jenny", "last_name": "Rosen", "dob": {"day": 1, "month": 1, "year": 1901}}})
        assert written.individual.verification.status == "verified"
    with sandbox_process("--verification", "manual") as running:
        account = create_account(running.client)
        running.client.v1.accounts.update(account.id, params={"individual": {
            "first_name": "Jenny", "last_name": "Rosen", "dob": {"day": 1, "month": 1, "year": 1901}}})
        time.sleep(0.3)
        assert running.client.v1.accounts.retrieve(account.id).individual.verification.status == "pending"
        settle = urllib.request.Request(f"{running.url}/_sandbox/settle", data=b"{}", method="POST")
        with loopback_open(settle) as answer:
            assert answer.status == 200
        assert running.client.v1.accounts.retrieve(account.id).individual.verification.status == "verified"


def test_a_sandbox_for_a_platform_without_accounts_v1() -> None:
    with sandbox_process("--no-accounts-v1") as running:
        assert "Accounts v1 not enabled" in running.line
        with pytest.raises(stripe.InvalidRequestError) as refused:
            create_account(running.client)
        assert refused.value.http_status == 400 and "feat_accounts_v1_support" in refused.value.user_message
        with loopback_open(f"{running.url}/_sandbox/platform") as response:
            assert json.loads(response.read()) == {"accounts_v1": False}


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or, with a body, POST) a `/_sandbox/` control path of a sandbox process."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    with loopback_open(request) as answer:
        return json.loads(answer.read())


def test_posted_faults_fire_while_every_request_is_delayed() -> None:
    with sandbox_process("--latency-ms", "50") as running:
        assert control(running.url, "/_sandbox/faults", {"operation": "accounts.create", "kind": "500"}) == {"ok": True}
        started = time.monotonic()
        with pytest.raises(stripe.APIError) as failed:
            create_account(running.client)
        assert failed.value.http_status == 500 and time.monotonic() - started >= 0.05
        create_account(running.client)
        log = control(running.url, "/_sandbox/requests")["data"]
        assert [(e["operation"], e["fault"], e["status"]) for e in log] == [
            ("accounts.create", "500", 500), ("accounts.create", None, 200)]


@pytest.mark.timed_waits
def test_a_delivery_answered_500_comes_again_after_the_backoff(receiver: WebhookReceiver) -> None:
    receiver.answers = [500]
    with sandbox_process("--webhook-url", receiver.url, "--webhook-secret", SECRET, "--webhook-retries", "0.2,60",
                         "--webhook-concurrency", "2") as running:
        client = running.client
        account = create_account(client)
        client.v1.accounts.update(account.id, params={"email": "jenny@example.com"})

        first, again = list(itertools.islice(_events(receiver, client, time.monotonic() + 10), 2))
        assert first.id == again.id and first.type == "account.updated"
        deadline = time.monotonic() + 5  # the attempt is recorded once the answer is read, just after we got it
        while len(deliveries := control(running.url, "/_sandbox/webhooks")["deliveries"]) < 2:
            assert time.monotonic() < deadline, deliveries
            time.sleep(0.01)
        assert [(d["attempt"], d["status"], d["retry_in"]) for d in deliveries] == [(1, 500, 0.2), (2, 200, None)]
        assert client.v1.events.retrieve(first.id).pending_webhooks == 0
        assert control(running.url, "/_sandbox/webhooks/retry", {}) == {"retried": 0}


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(receiver: WebhookReceiver) -> None:
    receiver.answers = [302, 308]
    post = http_target(receiver.url, timeout=5)

    assert [post(b"{}", {"Content-Type": "application/json"}) for _ in range(3)] == [302, 308, 200]
    assert receiver.received.qsize() == 3  # one request each: /elsewhere was never asked for


def test_delivery_flags_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    for flags in (["--webhook-retries", "soon"], ["--webhook-retries", "5,-1"], ["--webhook-retry-scale", "0"],
                  ["--webhook-concurrency", "0"]):
        with pytest.raises(SystemExit) as excinfo:
            main(["--port", "0", *flags])
        assert excinfo.value.code == 2
        assert flags[0] in capsys.readouterr().err


def test_webhook_url_needs_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--port", "0", "--webhook-url", "http://127.0.0.1:9/hooks"])
    assert excinfo.value.code == 2
    assert "--webhook-secret" in capsys.readouterr().err


def test_a_bad_specs_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "specs.json"
    path.write_text("{}")
    assert main(["--port", "0", "--country-specs", str(path)]) == 2
    assert "specs.json" in capsys.readouterr().err
