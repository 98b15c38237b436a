"""Fault injection, as the SDK lives through it: 500s, 429s, dropped connections and latency.

The SDK sleeps at least 0.5 s before each retry, so only three tests here let it retry.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.server import SandboxServer

from .helpers import Connect, create_account, loopback_open

CREATE = {"country": "US", "type": "custom", "capabilities": {"transfers": {"requested": True}}}


def control(server: SandboxServer, method: str, path: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call the server's `/_sandbox/` control API."""
    data = json.dumps(rule).encode() if rule is not None else None
    request = urllib.request.Request(f"{server.url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with loopback_open(request) as response:
        return json.loads(response.read())


def test_500_is_not_applied_and_its_key_replays_it(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = create_account(api)
    sandbox.faults.add("accounts.update", "500")
    update = {"email": "new@example.com"}

    with pytest.raises(stripe.APIError) as excinfo:
        api.v1.accounts.update(account.id, params=update, options={"idempotency_key": "upd-1"})
    assert excinfo.value.http_status == 500
    assert api.v1.accounts.retrieve(account.id).email is None  # not applied
    updates = [e for e in sandbox.log if e["operation"] == "accounts.update"]
    assert [(e["status"], e["fault"]) for e in updates] == [(500, "500")]  # Stripe-Should-Retry: false

    with pytest.raises(stripe.APIError):  # Stripe saved the 500: the same key gets it again
        api.v1.accounts.update(account.id, params=update, options={"idempotency_key": "upd-1"})
    assert [e["replayed"] for e in sandbox.log if e["operation"] == "accounts.update"] == [False, True]
    assert api.v1.accounts.retrieve(account.id).email is None

    assert api.v1.accounts.update(account.id, params=update).email == "new@example.com"  # a new key


def test_429_is_a_rate_limit_error(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("accounts.list", "429", times=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as excinfo:
            client.v1.accounts.list()
        assert excinfo.value.json_body["error"]["code"] == "rate_limit"
    assert client.v1.accounts.list().data == []


def test_faults_match_their_operation_and_run_out(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("persons.create", "429")
    account = create_account(client)  # another operation: untouched
    with pytest.raises(stripe.RateLimitError):
        client.v1.accounts.persons.create(account.id, params={"first_name": "A"})
    assert client.v1.accounts.persons.create(account.id, params={"first_name": "A"}).first_name == "A"

    sandbox.faults.add("*", "429", times=-1)
    with pytest.raises(stripe.RateLimitError):
        client.v1.country_specs.retrieve("US")
    sandbox.faults.clear()
    assert client.v1.country_specs.retrieve("US").id == "US"


def test_unknown_fault_kind_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.faults.add("accounts.create", "teapot")


def test_drop_before_is_retried_with_the_same_key(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("accounts.create", "drop_before")

    account = client.v1.accounts.create(params=CREATE)

    creates = [e for e in sandbox.log if e["operation"] == "accounts.create"]
    assert [(e["fault"], e["status"], e["replayed"]) for e in creates] == [
        ("drop_before", None, False), (None, 200, False)]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert list(sandbox.store.accounts) == [account.id]


def test_drop_after_is_applied_once_and_the_retry_replays(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("accounts.create", "drop_after")

    account = client.v1.accounts.create(params=CREATE)

    creates = [e for e in sandbox.log if e["operation"] == "accounts.create"]
    assert [(e["fault"], e["status"], e["replayed"]) for e in creates] == [
        ("drop_after", 200, False), (None, 200, True)]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert list(sandbox.store.accounts) == [account.id]  # one account, not two


def test_drop_without_retries_is_a_connection_error(connect: Connect, sandbox: Sandbox) -> None:
    client = connect(sandbox, max_network_retries=0)
    sandbox.faults.add("accounts.create", "drop_after")

    with pytest.raises(stripe.APIConnectionError):
        client.v1.accounts.create(params=CREATE)
    assert len(sandbox.store.accounts) == 1  # applied, though the caller cannot know


def test_a_timeout_applies_the_write_and_never_answers(connect: Connect, sandbox: Sandbox) -> None:
    client = connect(sandbox, max_network_retries=0)
    sandbox.faults.add("accounts.create", "timeout")

    with pytest.raises(stripe.APIConnectionError, match="timed out"):
        client.v1.accounts.create(params=CREATE, options={"idempotency_key": "k1"})
    assert len(sandbox.store.accounts) == 1
    again = client.v1.accounts.create(params=CREATE, options={"idempotency_key": "k1"})
    assert list(sandbox.store.accounts) == [again.id]  # the retry with the key replays


def test_a_timeout_over_http_holds_the_connection_until_the_client_gives_up(
        connect: Connect, sandbox: Sandbox, sandbox_server: SandboxServer) -> None:
    client = connect(sandbox, "http", max_network_retries=0)
    control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.create", "kind": "timeout"})
    address = urllib.parse.urlsplit(sandbox_server.url)
    sock = socket.create_connection((address.hostname, address.port))
    sock.settimeout(0.5)
    body = b"country=US&type=custom&capabilities[transfers][requested]=true"
    sock.sendall(b"POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_x\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)
    with pytest.raises(TimeoutError):
        sock.recv(1)  # no answer: the client's own timeout is what ends the request
    sock.close()
    assert len(sandbox.store.accounts) == 1
    assert client.v1.accounts.list().data[0].id in sandbox.store.accounts


def test_latency(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("country_specs.retrieve", "latency", latency=0.05)

    started = time.monotonic()
    assert api.v1.country_specs.retrieve("US").id == "US"
    assert time.monotonic() - started >= 0.05
    assert sandbox.log[-1]["fault"] is None  # latency is not a failure


def test_faults_over_http(connect: Connect, sandbox: Sandbox, sandbox_server: SandboxServer) -> None:
    client = connect(sandbox, "http", max_network_retries=0)

    assert control(sandbox_server, "GET", "/_sandbox/health") == {"ok": True}
    assert control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.create", "kind": "500"}) == {
        "ok": True}
    with pytest.raises(stripe.APIError):
        client.v1.accounts.create(params=CREATE)
    assert sandbox.store.accounts == {}

    control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.list", "kind": "429", "times": -1})
    with pytest.raises(stripe.RateLimitError):
        client.v1.accounts.list()
    assert control(sandbox_server, "DELETE", "/_sandbox/faults") == {"ok": True}
    assert client.v1.accounts.list().data == []

    control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.list", "kind": "latency",
                                                         "latency_ms": 50})
    started = time.monotonic()
    client.v1.accounts.list()
    assert time.monotonic() - started >= 0.05

    with pytest.raises(urllib.error.HTTPError) as excinfo:
        control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.list", "kind": "teapot"})
    excinfo.value.close()
    assert excinfo.value.code == 400


def test_drop_after_over_http(connect: Connect, sandbox: Sandbox, sandbox_server: SandboxServer) -> None:
    client = connect(sandbox, "http")
    control(sandbox_server, "POST", "/_sandbox/faults", {"operation": "accounts.create", "kind": "drop_after"})

    account = client.v1.accounts.create(params=CREATE)

    assert list(sandbox.store.accounts) == [account.id]
    requests = control(sandbox_server, "GET", "/_sandbox/requests")["data"]
    assert [(e["fault"], e["replayed"]) for e in requests] == [("drop_after", False), (None, True)]


def test_settle_over_http(connect: Connect, sandbox_server: SandboxServer) -> None:
    sb = Sandbox(auto_settle=False)
    client = connect(sb, "http")
    account = create_account(client, business_type="company", company={"name": "Rosen", "tax_id": "000000000"})
    assert account.requirements.pending_verification == ["company.tax_id"]

    assert control(sandbox_server, "POST", "/_sandbox/settle") == {"ok": True}

    assert client.v1.accounts.retrieve(account.id).requirements.pending_verification == []
    sb.close()
