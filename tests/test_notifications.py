"""Accounts that need action again are flagged and the platform is told, after the commit, by its notifier."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount, Notification
from onboarding.notify import LogNotifier, WebhookNotifier, signature
from tests.support.wizard import Wizard
from tests.test_wizard import US


class _Platform(BaseHTTPRequestHandler):
    server: Platform

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.endswith("/moved"):  # answers with a redirect to an address the platform never gave
            self.server.received.put((b"redirect answered", self.headers["Onboarding-Signature"]))
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/internal")
            self.end_headers()
            return
        if self.path.endswith("/hang"):  # holds the request until the test lets it go
            self.server.hanging.set()
            self.server.release.wait(timeout=60)
        self.server.received.put((body, self.headers["Onboarding-Signature"]))
        self.send_response(204)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 (what a followed 302 becomes)
        self.server.received.put((b"followed to " + self.path.encode(), self.headers["Onboarding-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


class Platform(ThreadingHTTPServer):
    """The platform's notification endpoint, on a loopback port."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Platform)
        self.received: queue.Queue[tuple[bytes, str]] = queue.Queue()
        self.hanging, self.release = threading.Event(), threading.Event()
        self.url = f"http://127.0.0.1:{self.server_port}/onboarding-events"


@pytest.fixture
def receiver() -> Iterator[Platform]:
    server = Platform()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def app_config(app_config: dict[str, Any], receiver: Platform) -> dict[str, Any]:
    return app_config | {"SANDBOX_DELIVER_WEBHOOKS": True, "NOTIFY_URL": receiver.url,
                         "NOTIFY_SECRET": "notify-secret"}


def test_a_submitted_account_that_needs_action_again_is_flagged_and_notified(
        app: Flask, client: FlaskClient, sandbox: Any, receiver: Platform) -> None:
    assert isinstance(app.extensions["notifier"], WebhookNotifier)
    wizard = Wizard(client, "US")
    wizard.complete(US)
    sandbox.flush_webhooks()
    with Session(get_engine(app)) as session:
        assert session.exec(select(Notification)).all() == []  # onboarding itself notifies nobody
    # Later Stripe's check of the person fails (here: a date of birth that is not a test value).
    app.extensions["gateway"].update_account(wizard.account["stripe_id"], {"individual": {"dob": {
        "day": 1, "month": 1, "year": 1990}}}, idempotency_key="later-1")
    sandbox.flush_webhooks()
    body, header = receiver.received.get(timeout=10)
    message = json.loads(body)
    assert message["type"] == "account.action_required" and message["data"]["account"] == wizard.account["id"]
    assert "individual.verification.document" in message["data"]["currently_due"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert header == signature(body, "notify-secret", timestamp)
    assert app.extensions["notifications"].drain()
    with Session(get_engine(app)) as session:
        account = session.get(ConnectedAccount, wizard.account["id"])
        notification = session.exec(select(Notification)).one()
        assert account.needs_action_since is not None and notification.sent_at is not None
    assert receiver.received.empty()  # once, though several events followed


def test_failed_deliveries_are_kept_and_retried_from_cron(app: Flask, receiver: Platform) -> None:
    with Session(get_engine(app)) as session:
        session.add(Notification(account_id="a1", kind="account.action_required", payload={"account": "a1"}))
        session.commit()
    app.extensions["notifier"] = WebhookNotifier("http://127.0.0.1:9/unreachable", None, timeout=1)
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 1 and result.output == "sent 0, failed 1\n"
    with Session(get_engine(app)) as session:
        notification = session.exec(select(Notification)).one()
        assert notification.attempts == 1 and notification.sent_at is None and notification.last_error
    app.extensions["notifier"] = LogNotifier()
    assert app.test_cli_runner().invoke(args=["notifications", "send"]).output == "sent 1, failed 0\n"


def test_a_redirect_is_a_failure_and_never_followed() -> None:
    """A 302 to an internal address was followed with the signature header (issue 14): nothing reaches it now."""
    from onboarding.notify import WebhookNotifier

    server = Platform()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        notifier = WebhookNotifier(server.url.replace("/onboarding-events", "/moved"), "notify-secret")
        with pytest.raises(OSError, match="302"):
            notifier.send("account.action_required", {"account": "acc_1"})
        assert server.received.get(timeout=5)[0] == b"redirect answered"
        assert server.received.empty()  # nothing was posted to /internal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_hanging_platform_endpoint_holds_no_request(app: Flask, client: FlaskClient, sandbox: Any,
                                                      receiver: Platform) -> None:
    """A hanging endpoint made `/healthz` take 28 s: delivery ran in the request's worker (issue 14)."""
    app.extensions["notifier"] = WebhookNotifier(receiver.url.replace("/onboarding-events", "/hang"), "s",
                                                 timeout=60)
    wizard = Wizard(client, "US")
    wizard.complete(US)
    sandbox.flush_webhooks()
    app.extensions["gateway"].update_account(wizard.account["stripe_id"], {"individual": {"dob": {
        "day": 1, "month": 1, "year": 1990}}}, idempotency_key="later-1")
    sandbox.flush_webhooks()  # the webhook requests were answered, and queued a notification
    assert receiver.hanging.wait(timeout=10)  # the dispatcher's thread is inside the platform's endpoint...
    assert client.get("/healthz").status_code == 200  # ...while requests are answered
    with Session(get_engine(app)) as session:
        assert session.exec(select(Notification)).one().sent_at is None  # still on its way
    receiver.release.set()
    assert app.extensions["notifications"].drain()
    with Session(get_engine(app)) as session:
        assert session.exec(select(Notification)).one().sent_at is not None
