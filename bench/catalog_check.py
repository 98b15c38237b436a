"""Time `flask catalog check` over 45 countries and N connected accounts, and count its Stripe calls.

Run: `.venv/bin/python bench/catalog_check.py [--accounts 1000 10000] [--repeat 3] [--latency-ms 0]`.

For each N, a sandbox server (`python -m stripe_sandbox`'s server, started by this script in
`--serve` mode) is seeded directly in memory before it listens: N accounts spread over every
country and business type the sandbox knows, half of them with people (an individual, or a
representative for companies), each rendered with its requirements on every list page as Stripe
would. Seeding is not timed. Then, against that server:

- the command as cron runs it: `flask --app wsgi catalog check --format json` in a fresh process
  (imports, catalog load, the check, the report stored in SQLite), wall time;
- the check alone: `services.freshness.check()` in this process, `--repeat` times (median, min).

Printed per N: the times, the Stripe calls by operation (the targets: at most 1 + ceil(N/100)
account list calls, and the Country Specs read page by page), the CPU time the sandbox spent
answering (part of the wall time on this machine; Stripe's own time in production, where each list
call also waits for the network: the pages are read one after another, so add about
(1 + N/100) x latency), and the growth from the smallest to the largest N.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import math
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import harness

# -- the seeded sandbox (runs in its own process) -------------------------------------------------------------

def seeded_sandbox(accounts: int) -> Any:
    """Return a sandbox holding `accounts` accounts made from templates created through its own API."""
    import stripe

    from onboarding.gateway.interface import account_create_params
    from stripe_sandbox import Sandbox
    from stripe_sandbox.http_client import SandboxHTTPClient
    from stripe_sandbox.ids import new_id
    from stripe_sandbox.state import Account, Person

    sandbox = Sandbox()
    api = stripe.StripeClient(harness.STRIPE_KEY, http_client=SandboxHTTPClient(sandbox), max_network_retries=0)
    templates: list[tuple[Account, list[Person]]] = []
    for country in sandbox.specs.ids():
        for business_type in ("individual", "company"):
            for with_people in (False, True):
                account = api.v1.accounts.create(params=account_create_params(  # type: ignore[arg-type]
                    country, business_type, "seller@example.com", "full"))
                if with_people and business_type == "individual":
                    api.v1.accounts.update(account.id, params={"individual": {"first_name": "Jenny",
                                                                              "last_name": "Rosen"}})
                elif with_people:
                    api.v1.accounts.persons.create(account.id, params={
                        "first_name": "Jenny", "last_name": "Rosen", "relationship": {"representative": True}})
                stored = sandbox.store.accounts[account.id]
                templates.append((stored, sandbox.store.persons_of(stored.id)))
    sandbox.store.accounts.clear()
    sandbox.store.persons.clear()
    sandbox.store.events.clear()
    sandbox.log.clear()
    now = int(time.time())
    for index in range(accounts):
        template, people = templates[index % len(templates)]
        clone = Account(new_id("acct", 16), now - accounts + index, template.country, copy.deepcopy(template.data))
        sandbox.store.accounts[clone.id] = clone
        for person in people:
            twin = Person(new_id("person"), clone.id, clone.created, copy.deepcopy(person.data))
            sandbox.store.persons[twin.id] = twin
            if template.individual == person.id:
                clone.individual = twin.id
    return sandbox


def serve(accounts: int, port: int, latency_ms: float) -> int:
    """Seed a sandbox and serve it until interrupted (the `--serve` mode)."""
    from stripe_sandbox.__main__ import add_latency
    from stripe_sandbox.server import SandboxServer

    sandbox = seeded_sandbox(accounts)
    add_latency(sandbox, latency_ms)
    server = SandboxServer(sandbox, "127.0.0.1", port)
    print(f"seeded {len(sandbox.store.accounts)} accounts, {len(sandbox.store.persons)} persons", flush=True)
    server.serve_until_interrupted()
    return 0


# -- the measurements -------------------------------------------------------------------------------------------

def sandbox_log(stripe_url: str) -> list[dict[str, Any]]:
    """Return the sandbox's request log."""
    return list(harness.HTTPTransport(stripe_url).send("GET", "/_sandbox/requests").data["data"])


def run_cli(env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Run `flask --app wsgi catalog check --format json`; return its wall time and report."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "catalog", "check", "--format", "json"],
                          cwd=harness.ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1 is stale or drift: a finding, not a failure
        raise RuntimeError(f"catalog check exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout)


class Timed:
    """The app's gateway, with the time spent in the two list calls the check makes (the last run's)."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self.spent: dict[str, float] = {}

    def list_accounts(self, **kwargs: Any) -> Any:
        """List one page of accounts, timed."""
        started = time.perf_counter()
        try:
            return self.gateway.list_accounts(**kwargs)
        finally:
            self._add("accounts.list", started)

    def list_country_specs(self, **kwargs: Any) -> Iterator[Any]:
        """Yield every Country Spec, timing only the reading (not the caller's work between items)."""
        specs = self.gateway.list_country_specs(**kwargs)
        while True:
            started = time.perf_counter()
            try:
                spec = next(specs)
            except StopIteration:
                return
            finally:
                self._add("country_specs.list", started)
            yield spec

    def _add(self, name: str, started: float) -> None:
        self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gateway, name)


def run_in_process(env: dict[str, str], repeat: int, profile: bool = False
                   ) -> tuple[list[float], dict[str, Any], dict[str, float]]:
    """Call `freshness.check()` directly through the app's gateway; return the times and the last report."""
    os.environ.update(env)
    from onboarding import create_app
    from onboarding.catalog import get_catalog
    from onboarding.gateway.sdk_params import is_param_path
    from onboarding.gateway.setup import get_gateway
    from onboarding.services import freshness

    app = create_app()
    version = get_catalog(app).version()
    gateway = Timed(get_gateway(app))
    today = datetime.now(timezone.utc).date()
    times, report = [], None
    for _ in range(repeat):
        gateway.spent.clear()
        started = time.perf_counter()
        report = freshness.check(version, gateway, today, is_param_path)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    assert report is not None
    breakdown = dict(gateway.spent)
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(freshness.check, version, gateway, today, is_param_path)
        out = io.StringIO()
        out.write("-- cProfile of one freshness.check(), by cumulative time:\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"/onboarding/|/requirements_catalog/", 20)
        out.write("-- by own time:\n")
        stats.sort_stats("tottime").print_stats(15)
        site = str(Path(sys.modules["flask"].__file__ or "").parents[1]) + "/"
        print("\n".join(line.replace(str(harness.ROOT) + "/", "").replace(site, "")
                        for line in out.getvalue().splitlines()
                        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))
                        and "function calls" not in line))
    return times, report.to_json(), breakdown


def measure(accounts: int, repeat: int, latency_ms: float, workdir: Any, profile: bool = False) -> dict[str, Any]:
    """Seed a sandbox with `accounts` accounts and measure the check against it."""
    with harness.Processes(workdir) as processes:
        port = harness.free_port()
        started = time.perf_counter()
        name = f"sandbox-{accounts}"
        processes.start(name, [sys.executable, str(harness.ROOT / "bench" / "catalog_check.py"), "--serve",
                               str(accounts), "--port", str(port), "--latency-ms", str(latency_ms)])
        stripe_url = f"http://127.0.0.1:{port}"
        processes.wait_http(name, f"{stripe_url}/_sandbox/health", timeout=900)
        seeding = time.perf_counter() - started
        database_url = f"sqlite:///{workdir / f'check-{accounts}.sqlite3'}"
        harness.migrate(database_url)
        env = harness.app_env(database_url, stripe_url, "http://127.0.0.1:5000")

        cpu_before = processes.cpu_seconds(name)
        cli_time, cli_report = run_cli(env)
        sandbox_cpu = processes.cpu_seconds(name) - cpu_before
        calls = Counter(e["operation"] for e in sandbox_log(stripe_url))
        before = sum(calls.values())
        times, report, breakdown = run_in_process(env, repeat, profile)
        per_run = Counter(e["operation"] for e in sandbox_log(stripe_url)[before:])
    assert cli_report["checked"]["accounts"] == accounts == report["checked"]["accounts"], cli_report["checked"]
    return {"accounts": accounts, "countries": report["checked"]["countries"], "seeding": seeding,
            "cli": cli_time, "check": times, "sandbox_cpu": sandbox_cpu, "calls": calls,
            "calls_in_process": Counter({k: v / repeat for k, v in per_run.items()}),
            "drift": len(report["drift"]), "breakdown": breakdown}


def main(argv: list[str] | None = None) -> int:
    """Measure each N and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000], help="the Ns (default 1000 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="in-process runs of the check per N (default 3)")
    parser.add_argument("--latency-ms", type=float, default=0, help="Stripe latency added by the sandbox")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one check per N")
    parser.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        return serve(args.serve, args.port, args.latency_ms)

    print(f"machine: {harness.machine()}")
    results = []
    with harness.workdir("check") as workdir:
        for accounts in args.accounts:
            result = measure(accounts, args.repeat, args.latency_ms, workdir, args.profile)
            results.append(result)
            calls = result["calls"]
            lists = calls["accounts.list"]
            limit = 1 + math.ceil(accounts / 100)
            print(f"N = {accounts} accounts, {result['countries']} countries (seeded in {result['seeding']:.1f} s, "
                  f"not counted; sandbox latency {args.latency_ms:g} ms):")
            print(f"  flask --app wsgi catalog check --format json: {result['cli']:.2f} s wall time "
                  f"(the sandbox used {result['sandbox_cpu']:.2f} s CPU of it)")
            print(f"  freshness.check() alone: median {statistics.median(result['check']):.2f} s, "
                  f"min {min(result['check']):.2f} s ({len(result['check'])} runs)")
            spent, total = result["breakdown"], result["check"][-1]
            reading = spent.get("accounts.list", 0) + spent.get("country_specs.list", 0)
            print(f"  of the last check() ({total:.2f} s): reading accounts from the sandbox (HTTP, JSON, the SDK's "
                  f"objects) {spent.get('accounts.list', 0):.2f} s, Country Specs {spent.get('country_specs.list', 0):.2f}"
                  f" s, the rest (comparing with the catalog) {total - reading:.2f} s")
            print(f"  Stripe calls: accounts.list {lists} (target <= {limit}: {'met' if lists <= limit else 'MISSED'}), "
                  + ", ".join(f"{op} {n}" for op, n in sorted(calls.items()) if op != "accounts.list")
                  + f"; {result['drift']} drift findings")
    if len(results) > 1:
        first, last = results[0], results[-1]
        factor = last["accounts"] / first["accounts"]
        print(f"growth from {first['accounts']} to {last['accounts']} accounts (x{factor:g}): "
              f"CLI time x{last['cli'] / first['cli']:.1f}, check() time "
              f"x{statistics.median(last['check']) / statistics.median(first['check']):.1f}, "
              f"account list calls x{last['calls']['accounts.list'] / first['calls']['accounts.list']:.1f}")
    return 0


if __name__ == "__main__":
    harness.run(main)
