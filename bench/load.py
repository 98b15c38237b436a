"""Load: N simulated users complete an onboarding at once, over real HTTP, against gunicorn and a slow Stripe.

Run: `.venv/bin/python bench/load.py [--users 50] [--latency-ms 300] [--jitter-ms 100] [--company-share 0.2]`.

What runs, all on loopback ports that were free:
- `python -m stripe_sandbox` with `--latency-ms L --latency-jitter-ms J`: every Stripe call waits a
  uniform draw from L ± J (median L) before it is answered;
- the real app (`wsgi:app`) under gunicorn, 4 gthread workers of 12 threads by default (the
  wizard's requests mostly wait for Stripe; more than 14 threads can exhaust SQLAlchemy's default
  pool of 5 + 10 connections, see README), with `STRIPE_API_BASE` pointing at that sandbox and a
  `sk_test_` key, on a throwaway PostgreSQL server (the test suite's harness, Debian's binaries,
  fsync off) when its binaries are installed, else on SQLite in WAL mode (a file in a temporary
  directory); `--database` chooses;
- N users, one thread each: the platform's backend creates the account and a link through
  `/api/v1`, then the user opens the link and answers every step like a browser without JavaScript:
  cookies kept, each form parsed, its CSRF token, `submission` and other hidden inputs posted back,
  redirects followed. A share of the users onboard a US company (representative, one owner) instead
  of a US individual. A user counts as an error when any request fails, a step is refused, or the
  account is not enabled with nothing due at the end.

Printed: errors (must be 0), the total time, p50/p99/max latency per request (GET and POST apart),
requests and Stripe calls made, and the CPU time used by the client, the app server and the sandbox
(they share the machine's cores). Warm-up journeys (not counted) run first so each worker has loaded
the catalog and imported what it needs.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty database of this kind."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'load.sqlite3'}"  # the engine turns WAL on (onboarding/db.py)
        return
    from tests.support.postgres import running_postgres

    with running_postgres(workdir) as url:
        yield url


def run_users(base_url: str, users: int, company_share: float, timings: harness.Timings | None, ramp: float
              ) -> tuple[list[str], Counter[str], float]:
    """Run the users at once (spread over `ramp` seconds); return errors, journeys by type and the wall time."""
    errors: list[str] = []
    done: Counter[str] = Counter()
    lock = threading.Lock()
    # Every k-th user onboards a company, so the share holds for any number of users.
    companies = {round(i / company_share) for i in range(int(users * company_share + 1e-9))} if company_share else set()
    start = threading.Barrier(users + 1)

    def user(index: int) -> None:
        business_type = "company" if index in companies else "individual"
        observe = (lambda m, label, s, r: timings.add(harness.Sample(label, m, s, r.status))) if timings else None
        browser = harness.Browser(harness.HTTPTransport(base_url), observe)
        start.wait()
        time.sleep(ramp * index / max(users, 1))
        try:
            journey = harness.onboard(browser, business_type, email=f"user{index}@example.com")
            # The platform's backend reads the account, as it would after the return_url.
            state = harness.account_state(browser, journey.account_id)
            if not harness.is_enabled(state):
                raise harness.JourneyError(f"not enabled: {state['requirements']['currently_due']}")
            with lock:
                done[business_type] += 1
        except Exception as exc:  # noqa: BLE001 (every failure is an error to count and show)
            detail = str(exc) if isinstance(exc, harness.JourneyError) else traceback.format_exc(limit=3)
            with lock:
                errors.append(f"user {index} ({business_type}): {detail.strip()}")

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return errors, done, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox and gunicorn, run the users, print the figures; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="simulated users, all at once (default 50)")
    parser.add_argument("--latency-ms", type=float, default=300, help="median Stripe latency (default 300)")
    parser.add_argument("--jitter-ms", type=float, default=100,
                        help="each Stripe call waits latency ± this, uniformly (default 100)")
    parser.add_argument("--company-share", type=float, default=0.2,
                        help="share of users who onboard a US company instead of a US individual (default 0.2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=12,
                        help="threads per gthread worker (default 12; keep it under 15, see README)")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--database", default="auto", choices=("auto", "sqlite", "postgresql"),
                        help="auto (default): PostgreSQL when its server binaries are installed, else SQLite")
    parser.add_argument("--webhooks", action="store_true",
                        help="the sandbox delivers its events to the app's /webhooks/stripe meanwhile")
    parser.add_argument("--ramp-s", type=float, default=0.0, help="spread the users' starts over this many seconds")
    parser.add_argument("--warmup", type=int, default=4, help="journeys run first and not counted (default 4)")
    args = parser.parse_args(argv)
    if not 0 <= args.company_share <= 1:
        parser.error("--company-share is between 0 and 1")
    if args.database == "auto":
        from tests.support.postgres import ENV_URL, find_pg_bin

        args.database = "postgresql" if find_pg_bin() or os.environ.get(ENV_URL) else "sqlite"

    print(f"machine: {harness.machine()}")
    with harness.workdir("load") as workdir, harness.Processes(workdir) as processes, \
            database(args.database, workdir) as database_url:
        harness.migrate(database_url)
        port = harness.free_port()
        public = f"http://127.0.0.1:{port}"
        stripe_url = harness.start_sandbox(processes, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms,
                                           webhook_url=f"{public}/webhooks/stripe" if args.webhooks else None)
        base = harness.start_gunicorn(processes, "gunicorn", "wsgi:app",
                                      harness.app_env(database_url, stripe_url, public), workers=args.workers,
                                      threads=args.threads, worker_class=args.worker_class, port=port)
        print(f"setup: gunicorn {args.worker_class} --workers {args.workers}"
              f"{f' --threads {args.threads}' if args.worker_class == 'gthread' else ''} wsgi:app on "
              f"{args.database}{' (WAL)' if args.database == 'sqlite' else ''}; stripe_sandbox --latency-ms "
              f"{args.latency_ms:g} --latency-jitter-ms {args.jitter_ms:g}; webhooks "
              f"{'delivered' if args.webhooks else 'off'}")
        if args.warmup:
            warm_errors, _, _ = run_users(base, args.warmup, 0.5, None, 0)
            if warm_errors:
                print("warm-up failed:\n" + "\n".join(warm_errors), file=sys.stderr)
                print(processes.log_tail("gunicorn"), file=sys.stderr)
                return 1
        calls_before = _stripe_calls(stripe_url)
        cpu_before = {name: processes.cpu_seconds(name) for name in ("gunicorn", "sandbox")}
        client_before = _own_cpu()

        timings = harness.Timings()
        errors, done, wall = run_users(base, args.users, args.company_share, timings, args.ramp_s)

        client_cpu = _own_cpu() - client_before
        cpu = {name: processes.cpu_seconds(name) - before for name, before in cpu_before.items()}
        calls = _stripe_calls(stripe_url) - calls_before
        server_errors = _server_errors(processes.log_tail("gunicorn", 100_000)) if errors else []

    requests_made = len(timings.samples)
    print(f"users: {args.users} at once{f' over {args.ramp_s:g} s' if args.ramp_s else ''}; completed: "
          f"{done['individual']} US individual and {done['company']} US company onboardings")
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error[:300]}")
    for line in server_errors[:10]:
        print(f"  server: {line}")
    print(f"total time: {wall:.1f} s for {requests_made} requests ({requests_made / wall:.1f} requests/s); "
          f"{calls} Stripe calls ({calls / max(args.users, 1):.1f} per user)")
    print(f"CPU seconds during the run: client {client_cpu:.1f}, gunicorn {cpu['gunicorn']:.1f}, "
          f"sandbox {cpu['sandbox']:.1f} (of {wall * (os.cpu_count() or 1):.1f} available)")
    print()
    print(timings.table())
    return 1 if errors else 0


def _server_errors(log: str) -> list[str]:
    """Return the distinct exceptions in gunicorn's log, most frequent first, with their counts."""
    found = Counter(line.strip() for line in log.splitlines()
                    if line and not line[0].isspace() and ("Error" in line or "Exception" in line)
                    and ":" in line and not line.startswith("Traceback"))
    return [f"{n} x {line[:400]}" for line, n in found.most_common()]


def _stripe_calls(stripe_url: str) -> int:
    """Return how many requests the sandbox has logged."""
    session = harness.HTTPTransport(stripe_url)
    return len(session.send("GET", "/_sandbox/requests").data["data"])


def _own_cpu() -> float:
    usage: Any = resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


if __name__ == "__main__":
    harness.run(main)
