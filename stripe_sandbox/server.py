"""Serve a Sandbox over HTTP, plus a small control API under `/_sandbox/`."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .core import Request, Sandbox
from .errors import StripeError
from .hosted import PREFIX as HOSTED_PREFIX

TIMEOUT_HOLD = 120.0  # seconds a "timeout" fault keeps a connection unanswered; the SDK gives up at 80


def platform(sandbox: Sandbox) -> dict[str, Any]:
    """Return the platform's settings the sandbox emulates."""
    return {"accounts_v1": sandbox.accounts_v1}


def set_platform(sandbox: Sandbox, settings: Any) -> str | None:
    """Change platform settings (`{"accounts_v1": false}`); return why they were refused, or None."""
    if not isinstance(settings, dict):
        return "the body must be a JSON object"
    unknown = sorted(set(settings) - {"accounts_v1"})
    if unknown:
        return f"unknown platform setting: {unknown[0]}"
    if "accounts_v1" in settings:
        if not isinstance(settings["accounts_v1"], bool):
            return "accounts_v1 must be true or false"
        sandbox.accounts_v1 = settings["accounts_v1"]
    return None


def webhooks(sandbox: Sandbox) -> dict[str, Any]:
    """Return every webhook delivery attempt so far, and how many failed ones wait for a retry."""
    dispatcher = sandbox.dispatcher
    if dispatcher is None:
        return {"deliveries": [], "pending_retries": 0}
    return {"deliveries": list(dispatcher.deliveries), "pending_retries": dispatcher.pending_retries}


def add_requirement(sandbox: Sandbox, rule: Any) -> str | None:
    """Place a hosted-only requirement (`{"account", "requirement", "past_due"}`); return why not, or None."""
    if not isinstance(rule, dict) or not isinstance(rule.get("account"), str):
        return "the body must be a JSON object naming an account"
    try:
        sandbox.add_hosted_requirement(rule["account"], rule.get("requirement"), past_due=rule.get("past_due") is True)
    except StripeError as exc:
        return exc.message
    return None


PAYOUT_OPTIONS = {"amount", "currency", "status", "failure_code", "destination", "arrival_date", "automatic",
                  "description", "statement_descriptor"}


def credit_balance(sandbox: Sandbox, body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Credit a balance (`{"account", "currency", "amount", "pending"}`); return the balance, or why not."""
    if not isinstance(body, dict) or not isinstance(body.get("account"), str) or not isinstance(body.get("currency"), str):
        return None, "the body must be a JSON object naming an account and a currency"
    try:
        return sandbox.credit_balance(body["account"], body["currency"], body.get("amount"),
                                      pending=body.get("pending") is True), None
    except StripeError as exc:
        return None, exc.message


def create_payout(sandbox: Sandbox, body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """Make a payout (`{"account", "amount", "status", "failure_code", ...}`); return it, or why not."""
    if not isinstance(body, dict) or not isinstance(body.get("account"), str):
        return None, "the body must be a JSON object naming an account"
    unknown = sorted(set(body) - PAYOUT_OPTIONS - {"account"})
    if unknown:
        return None, f"unknown payout option: {unknown[0]}"
    try:
        return sandbox.create_payout(body["account"], **{k: v for k, v in body.items() if k != "account"}), None
    except StripeError as exc:
        return None, exc.message


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the second one waits for the
    # client's delayed ACK (~40 ms per request on loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        if self.server.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path.startswith(HOSTED_PREFIX):  # a browser on an Account Link's page
            page = self.server.sandbox.hosted_page(Request(self.command, parts.path, parts.query,
                                                           dict(self.headers.items()), body, self.client_address[0]))
            return self._send(page.status, page.body, page.headers)
        if parts.path.startswith("/_sandbox/"):
            return self._control(parts.path, body)
        response = self.server.sandbox.handle(
            Request(self.command, parts.path, parts.query, dict(self.headers.items()), body, self.client_address[0])
        )
        if response.timeout:
            # Answer nothing; wait for the client to give up and hang up (bounded, to free the thread).
            self.connection.settimeout(TIMEOUT_HOLD)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
        if response.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response.status, response.body, response.headers)

    do_GET = do_POST = do_DELETE = _serve

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, path: str, body: bytes) -> None:
        sandbox = self.server.sandbox
        answer: Any
        if path == "/_sandbox/health":
            answer = {"ok": True}
        elif path == "/_sandbox/requests" and self.command == "GET":
            answer = {"data": list(sandbox.log)}
        elif path == "/_sandbox/faults" and self.command == "POST":
            rule = json.loads(body or b"{}")
            try:
                sandbox.faults.add(rule.get("operation", "*"), rule["kind"], int(rule.get("times", 1)),
                                   float(rule.get("latency_ms", 0)) / 1000,
                                   float(rule.get("latency_jitter_ms", 0)) / 1000)
            except (KeyError, ValueError) as exc:
                return self._send(400, json.dumps({"error": str(exc)}).encode(), {"Content-Type": "application/json"})
            answer = {"ok": True}
        elif path == "/_sandbox/faults" and self.command == "DELETE":
            sandbox.faults.clear()
            answer = {"ok": True}
        elif path == "/_sandbox/platform" and self.command in ("GET", "POST"):
            if self.command == "POST" and (refused := set_platform(sandbox, json.loads(body or b"{}"))):
                return self._send(400, json.dumps({"error": refused}).encode(), {"Content-Type": "application/json"})
            answer = platform(sandbox)
        elif path == "/_sandbox/webhooks" and self.command == "GET":
            answer = webhooks(sandbox)
        elif path == "/_sandbox/webhooks/retry" and self.command == "POST":
            answer = {"retried": sandbox.dispatcher.retry_now() if sandbox.dispatcher else 0}
        elif path == "/_sandbox/settle" and self.command == "POST":
            sandbox.settle()
            answer = {"ok": True}
        elif path == "/_sandbox/requirements" and self.command == "POST":
            if (refused := add_requirement(sandbox, json.loads(body or b"{}"))) is not None:
                return self._send(400, json.dumps({"error": refused}).encode(), {"Content-Type": "application/json"})
            answer = {"ok": True}
        elif path in ("/_sandbox/balance", "/_sandbox/payouts") and self.command == "POST":
            make = credit_balance if path == "/_sandbox/balance" else create_payout
            answer, refused = make(sandbox, json.loads(body or b"{}"))
            if refused is not None:
                return self._send(400, json.dumps({"error": refused}).encode(), {"Content-Type": "application/json"})
        else:
            return self._send(404, b'{"error": "unknown sandbox control path"}', {"Content-Type": "application/json"})
        self._send(200, json.dumps(answer, default=str).encode(), {"Content-Type": "application/json"})


class SandboxServer(ThreadingHTTPServer):
    """A threaded HTTP server in front of one Sandbox."""

    daemon_threads = True

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 12111, verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.sandbox = sandbox
        self.verbose = verbose

    @property
    def url(self) -> str:
        """Return the base URL the SDK should use."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_until_interrupted(self) -> None:
        """Serve in the foreground until Ctrl-C, then close the socket and the sandbox's webhook delivery."""
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.server_close()
            self.sandbox.close()

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (for tests); stop with `shutdown()`."""
        thread = threading.Thread(target=self.serve_forever, name="stripe-sandbox", daemon=True)
        thread.start()
        return thread
