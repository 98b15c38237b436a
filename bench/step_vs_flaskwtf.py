"""Throughput of a wizard step page against a minimal Flask-WTF app that renders the same questions.

Run: `.venv/bin/python bench/step_vs_flaskwtf.py [--duration 10] [--rounds 3] [--concurrency 8] [--floor]`.

Both apps run under gunicorn with two sync workers on loopback:
- ours: `wsgi:app` on SQLite (WAL), against `python -m stripe_sandbox` (no added latency unless
  `--latency-ms`); the page is `GET /onboarding/step/individual` of a new US individual, with the
  session cookie of an opened onboarding link (the personal details step: names, e-mail, phone,
  date of birth, home address with the US state select, SSN last 4);
- the baseline: `bench/minimal_app.py`, a FlaskForm with the same fields, labels and select
  options built from the same catalog, and a simple Jinja template;
- with `--floor`, a third app, `bench/floor_app.py`: the least any step page must do (the session
  cookie, one query, a CSRF token) answering our page's own bytes. Its ratio to the minimal app is
  the ceiling of ours on this machine, whatever the design of our page.

The same closed-loop client (`harness.hammer`: N connections, one request each at a time, a new
connection per request) measures each app for `--duration` seconds, alternately, `--rounds` times,
after a warm-up. Printed: requests/s, p50/p99 latency, the ratio ours / minimal (the issue's target
is >= 2: read as "report it"), and how many Stripe calls each of our page views made (the sandbox's
request log before and after; a page view that reads a local cache makes none). When ours is the
slower one (or with `--profile`), the step page GET is profiled in-process with cProfile and the top
costs are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
from pathlib import Path

import harness

PAGE = "/onboarding/step/individual"


def open_session(base: str) -> tuple[str, str]:
    """Create a US individual, open its link, view the step once; return the session cookie and the page."""
    transport = harness.HTTPTransport(base)
    browser = harness.Browser(transport)
    auth = {"Authorization": f"Bearer {harness.PLATFORM_KEY}"}
    account = browser.request("POST", "/api/v1/accounts", headers=auth,
                              json={"country": "US", "business_type": "individual", "email": "u@example.com"}).data
    link = browser.request("POST", f"/api/v1/accounts/{account['id']}/links", headers=auth,
                           json={"return_url": "https://p.example/r", "refresh_url": "https://p.example/f"}).data
    path = re.sub(r"^https?://[^/]+", "", link["url"])
    browser.follow(path, browser.request("GET", path))
    # The first view puts the CSRF secret in the session; from then on the cookie no longer changes.
    browser.request("GET", PAGE)
    page = browser.request("GET", PAGE).text
    return f"session={transport.session.cookies['session']}", page


def page_shape(html: str) -> tuple[list[str], dict[str, int]]:
    """Return a form's visible input names and the number of options of each select."""
    forms = harness.parse_forms(html)
    controls = [c for f in forms for c in f.controls if c.type not in ("hidden", "submit")]
    return [c.name for c in controls], {c.name: len(c.options) for c in controls if c.tag == "select"}


def stripe_calls(stripe_url: str) -> int:
    """Return how many requests the sandbox has logged."""
    return len(harness.HTTPTransport(stripe_url).send("GET", "/_sandbox/requests").data["data"])


def profile(env: dict[str, str], cookie: str, requests: int, top: int) -> str:
    """Profile our step page GET in-process (the same database and sandbox); return the top costs."""
    os.environ.update(env)
    from onboarding import create_app

    app = create_app()
    client = app.test_client()
    client.set_cookie("session", cookie.split("=", 1)[1])
    for _ in range(20):  # warm: catalog loaded, templates compiled, connections pooled
        assert client.get(PAGE).status_code == 200
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(PAGE)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = sum(t for (_, _, t, _, _) in stats.stats.values()) / requests  # type: ignore[attr-defined]
    out.write(f"cProfile of {requests} GET {PAGE} in-process: {total * 1000:.1f} ms of own time per request "
              f"(profiler overhead included)\n")
    out.write(f"-- the app's own functions and templates, by cumulative time (of {requests} requests):\n")
    stats.sort_stats("cumulative").print_stats(r"/onboarding/|/requirements_catalog/|\.html", top)
    out.write(f"-- everything, by own time (of {requests} requests):\n")
    stats.sort_stats("tottime").print_stats(top)
    return _trim(out.getvalue())


def _trim(text: str) -> str:
    # Keep the rows and the column lines of pstats' tables, with short file names.
    site = str(Path(sys.modules["flask"].__file__ or "").parents[1]) + "/"
    text = text.replace(str(harness.ROOT) + "/", "").replace(site, "")
    return "\n".join(line for line in text.splitlines() if line.strip() and "Ordered by" not in line
                     and "function calls" not in line and "List reduced" not in line)


def main(argv: list[str] | None = None) -> int:
    """Run both apps, measure both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each app, alternated (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per app (default 2)")
    parser.add_argument("--latency-ms", type=float, default=0, help="Stripe latency of the sandbox (default 0)")
    parser.add_argument("--profile", action="store_true", help="profile our page even if it is the faster")
    parser.add_argument("--floor", action="store_true",
                        help="also measure floor_app.py: the least a step page must do, answering our page's bytes")
    parser.add_argument("--profile-requests", type=int, default=200)
    args = parser.parse_args(argv)

    print(f"machine: {harness.machine()}")
    with harness.workdir("step") as workdir, harness.Processes(workdir) as processes:
        database_url = f"sqlite:///{workdir / 'step.sqlite3'}"
        harness.migrate(database_url)
        stripe_url = harness.start_sandbox(processes, latency_ms=args.latency_ms)
        port = harness.free_port()
        env = harness.app_env(database_url, stripe_url, f"http://127.0.0.1:{port}")
        ours = harness.start_gunicorn(processes, "ours", "wsgi:app", env, workers=args.workers, port=port)
        cookie, page = open_session(ours)
        names, options = page_shape(page)
        fields = list(dict.fromkeys(re.findall(r'data-path="([^"]+)"', page)))
        minimal = harness.start_gunicorn(
            processes, "minimal", "minimal_app:app",
            {"PYTHONPATH": str(harness.ROOT), "MINIMAL_COUNTRY": "US", "MINIMAL_BUSINESS_TYPE": "individual",
             "MINIMAL_STEP": "individual", "MINIMAL_FIELDS": ",".join(fields)},
            workers=args.workers, pythonpath=harness.ROOT / "bench")
        minimal_transport = harness.HTTPTransport(minimal)
        minimal_page = minimal_transport.send("GET", "/step").text
        minimal_cookie = f"session={minimal_transport.session.cookies['session']}"
        minimal_names, minimal_options = page_shape(minimal_page)
        print(f"page: ours GET {PAGE} ({len(page.encode()) / 1024:.1f} KiB), minimal GET /step "
              f"({len(minimal_page.encode()) / 1024:.1f} KiB); questions: {', '.join(fields)}")
        same = names == minimal_names and options == minimal_options
        print(f"same inputs and select options: {'yes' if same else 'NO'} ({len(names)} inputs; options per select: "
              f"{', '.join(f'{k} {v}' for k, v in options.items())})")
        if not same:
            print(f"  ours:    {names} {options}\n  minimal: {minimal_names} {minimal_options}")

        targets = {"ours": (ours, PAGE, cookie), "minimal": (minimal, "/step", minimal_cookie)}
        if args.floor:
            (workdir / "page.html").write_text(page, encoding="utf-8")
            floor = harness.start_gunicorn(
                processes, "floor", "floor_app:app",
                {"FLOOR_DB": str(workdir / "floor.sqlite3"), "FLOOR_PAGE": str(workdir / "page.html")},
                workers=args.workers, pythonpath=harness.ROOT / "bench")
            floor_transport = harness.HTTPTransport(floor)
            floor_transport.send("GET", "/session")
            targets["floor"] = (floor, "/step", f"session={floor_transport.session.cookies['session']}")
        for base, path, jar in targets.values():
            harness.hammer(base, path, jar, args.concurrency, 2)  # warm-up
        calls_before = stripe_calls(stripe_url)
        cpu_before = {name: processes.cpu_seconds(name) for name in targets}
        results: dict[str, list[harness.LoadResult]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (base, path, jar) in targets.items():
                results[name].append(harness.hammer(base, path, jar, args.concurrency, args.duration))
        calls = stripe_calls(stripe_url) - calls_before
        cpu = {name: processes.cpu_seconds(name) - cpu_before[name] for name in targets}

        print(f"setup: gunicorn --workers {args.workers} (sync) for each; {args.concurrency} connections, "
              f"{args.rounds} x {args.duration:g} s per app, alternated; sandbox latency {args.latency_ms:g} ms")
        rates = {}
        for name, runs in results.items():
            latencies = [x for r in runs for x in r.latencies]
            completed, seconds = sum(r.completed for r in runs), sum(r.seconds for r in runs)
            errors = sum(r.errors for r in runs)
            rates[name] = completed / seconds
            print(f"{name:>8}: {rates[name]:7.1f} requests/s (rounds: {', '.join(f'{r.rate:.1f}' for r in runs)}); "
                  f"p50 {harness.percentile(latencies, 0.5) * 1000:.1f} ms, "
                  f"p99 {harness.percentile(latencies, 0.99) * 1000:.1f} ms; {completed} requests, {errors} errors; "
                  f"server CPU {cpu[name]:.1f} s")
        ours_requests = sum(r.completed + r.errors for r in results["ours"])
        ratio = rates["ours"] / rates["minimal"]
        print(f"ratio ours / minimal: {ratio:.2f} (median of rounds "
              f"{statistics.median(o.rate / m.rate for o, m in zip(results['ours'], results['minimal'], strict=True)):.2f})")
        if args.floor:
            print(f"ratio floor / minimal: {rates['floor'] / rates['minimal']:.2f} (the most any step page reaches "
                  f"here); server CPU per request: " + ", ".join(
                      f"{name} {cpu[name] / max(sum(r.completed for r in results[name]), 1) * 1000:.2f} ms"
                      for name in targets))
        print(f"Stripe calls during our measurements: {calls} for {ours_requests} page views "
              f"({calls / max(ours_requests, 1):.2f} per view; target 0)")
        if ratio < 1 or args.profile:
            print()
            print(profile(env, cookie, args.profile_requests, 25))
    return 0


if __name__ == "__main__":
    harness.run(main)
