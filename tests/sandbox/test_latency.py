"""Injected latency with jitter: `--latency-ms 300 --latency-jitter-ms 100` sleeps 200–400 ms, median 300 ms."""

from __future__ import annotations

import json
import random
import statistics
import time
import urllib.error
import urllib.request

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.__main__ import add_latency, main
from stripe_sandbox.faults import Fault, Faults, Match
from stripe_sandbox.server import SandboxServer

from .helpers import Connect, loopback_open

CREATE = {"country": "US", "type": "custom", "capabilities": {"transfers": {"requested": True}}}


def test_jittered_delays_are_uniform_around_the_median() -> None:
    fault = Fault("*", "latency", times=-1, latency=0.3, jitter=0.1)
    rng = random.Random(20261128)

    delays = [fault.delay(rng) for _ in range(4001)]

    assert 0.2 <= min(delays) < 0.21 and 0.39 < max(delays) <= 0.4
    assert statistics.median(delays) == pytest.approx(0.3, abs=0.01)
    assert statistics.mean(delays) == pytest.approx(0.3, abs=0.01)


def test_without_jitter_the_delay_is_fixed() -> None:
    assert Fault("*", "latency", latency=0.25).delay() == 0.25


@pytest.mark.parametrize("latency, jitter", [(0.1, 0.2), (-0.1, 0.0), (0.1, -0.05)])
def test_jitter_cannot_exceed_the_latency_nor_go_negative(latency: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        Fault("*", "latency", latency=latency, jitter=jitter)


def test_the_command_line_adds_a_jittered_rule_for_every_request(sandbox: Sandbox) -> None:
    add_latency(sandbox, 300, 100)

    [rule] = sandbox.faults.rules()
    assert (rule.operation, rule.kind, rule.times, rule.latency, rule.jitter) == ("*", "latency", -1, 0.3, 0.1)
    for operation in ("accounts.retrieve", "country_specs.list"):  # every operation, for ever
        match = sandbox.faults.take(operation)
        assert 0.2 <= match.delay <= 0.4 and match.fault is None
    assert sandbox.faults.rules() == [rule] and rule.times == -1


def test_the_command_line_refuses_more_jitter_than_latency(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--port", "0", "--latency-ms", "100", "--latency-jitter-ms", "150"])
    assert excinfo.value.code == 2
    assert "--latency-jitter-ms" in capsys.readouterr().err


def test_requests_wait_within_the_jitter_range(connect: Connect, sandbox: Sandbox) -> None:
    client = connect(sandbox)
    add_latency(sandbox, 40, 30)

    for _ in range(3):
        started = time.monotonic()
        client.v1.country_specs.retrieve("US")
        assert time.monotonic() - started >= 0.01


def test_jitter_over_http(connect: Connect, sandbox: Sandbox, sandbox_server: SandboxServer) -> None:
    client = connect(sandbox, "http", max_network_retries=0)

    def post(rule: dict[str, object]) -> int:
        request = urllib.request.Request(f"{sandbox_server.url}/_sandbox/faults", data=json.dumps(rule).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with loopback_open(request) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)

    assert post({"operation": "accounts.list", "kind": "latency", "latency_ms": 30, "latency_jitter_ms": 60}) == 400
    assert post({"operation": "accounts.list", "kind": "latency", "latency_ms": 40, "latency_jitter_ms": 20}) == 200
    started = time.monotonic()
    assert isinstance(client.v1.accounts.list(), stripe.ListObject)
    assert time.monotonic() - started >= 0.02


def test_latency_composes_with_a_failure_rule_added_after_it() -> None:
    faults = Faults()
    faults.add("*", "latency", times=-1, latency=0.3)  # what `--latency-ms 300` adds at start-up
    faults.add("accounts.update", "500")
    faults.add("accounts.update", "429", latency=0.1)

    first, second, third = (faults.take("accounts.update") for _ in range(3))

    assert (first.delay, first.fault.kind if first.fault else None) == (0.3, "500")
    assert (second.delay, second.fault.kind if second.fault else None) == (pytest.approx(0.4), "429")
    assert (third.delay, third.fault) == (0.3, None)  # both failures spent, the latency stays
    assert faults.take("accounts.retrieve") == Match(0.3, None)


def test_latency_rules_add_up(sandbox: Sandbox) -> None:
    add_latency(sandbox, 300)
    sandbox.faults.add("accounts.list", "latency", latency=0.05)

    assert sandbox.faults.take("accounts.list").delay == pytest.approx(0.35)
    assert sandbox.faults.take("accounts.list").delay == 0.3  # the posted rule was for one request


def test_a_fault_fires_while_every_request_is_delayed(connect: Connect, sandbox: Sandbox) -> None:
    client = connect(sandbox, max_network_retries=0)
    add_latency(sandbox, 30)
    sandbox.faults.add("accounts.create", "500")

    started = time.monotonic()
    with pytest.raises(stripe.APIError) as excinfo:
        client.v1.accounts.create(params=CREATE)
    assert time.monotonic() - started >= 0.03  # delayed and failed
    assert excinfo.value.http_status == 500
    assert sandbox.store.accounts == {}

    account = client.v1.accounts.create(params=CREATE)  # the fault is spent
    assert list(sandbox.store.accounts) == [account.id]
    assert [(e["operation"], e["fault"], e["status"]) for e in sandbox.log] == [
        ("accounts.create", "500", 500), ("accounts.create", None, 200)]
