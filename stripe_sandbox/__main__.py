"""Run the sandbox as a server: `python -m stripe_sandbox --host 127.0.0.1 --port 12111`."""

from __future__ import annotations

import argparse
import sys

from .countries import CountrySpecError, load_country_specs
from .core import Sandbox
from .requirements import NAMINGS
from .server import SandboxServer
from .webhooks import RETRY_SCHEDULES, http_target


def add_latency(sandbox: Sandbox, latency_ms: float, jitter_ms: float = 0) -> None:
    """Delay every request by `latency_ms`, or by a uniform draw from latency ± jitter."""
    if latency_ms:
        sandbox.faults.add("*", "latency", times=-1, latency=latency_ms / 1000, jitter=jitter_ms / 1000)


def retry_schedule(value: str) -> tuple[float, ...]:
    """Parse `--webhook-retries`: a named schedule (`live`, `test`, `none`) or waits in seconds, comma-separated."""
    if value in RETRY_SCHEDULES:
        return RETRY_SCHEDULES[value]
    try:
        waits = tuple(float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {', '.join(RETRY_SCHEDULES)} or seconds such as 1,5,30") from None
    if any(wait < 0 for wait in waits):
        raise argparse.ArgumentTypeError("retry waits cannot be negative")
    return waits


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m stripe_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--country-specs", metavar="FILE",
                        help="a JSON file in the shape of GET /v1/country_specs; replaces the bundled data")
    parser.add_argument("--webhook-url", metavar="URL", help="POST signed events here")
    parser.add_argument("--webhook-secret", metavar="SECRET", help="the endpoint secret events are signed with")
    parser.add_argument("--webhook-retries", type=retry_schedule, default="test", metavar="SCHEDULE",
                        help="retry a delivery answered other than 2xx, or not answered: test (default: three "
                             "retries over three hours, as Stripe in test mode), live (for up to three days), none, "
                             "or the waits in seconds after each failed attempt, comma-separated")
    parser.add_argument("--webhook-retry-scale", type=float, default=1.0, metavar="F",
                        help="multiply every retry wait by this (0.001: the live schedule's three days in 4.3 min)")
    parser.add_argument("--webhook-concurrency", type=int, default=1, metavar="N",
                        help="deliver from N threads at once: deliveries overlap and arrive out of order "
                             "(default 1: in order)")
    parser.add_argument("--webhook-shuffle", action="store_true",
                        help="deliver the events waiting for a thread in random order")
    parser.add_argument("--latency-ms", type=float, default=0, help="add this latency to every request")
    parser.add_argument("--latency-jitter-ms", type=float, default=0, metavar="MS",
                        help="draw each request's latency uniformly from latency ± this (median --latency-ms)")
    parser.add_argument("--no-accounts-v1", dest="accounts_v1", action="store_false",
                        help="refuse POST /v1/accounts as Stripe does for a new Connect platform that has not "
                             "enabled Accounts v1 support")
    parser.add_argument("--verification", choices=("async", "immediate", "manual"), default="async",
                        help="async (default, as Stripe): a write answers with checks pending and they finish "
                             "--settle-after-s later, by webhook; immediate: within the write; manual: only on "
                             "POST /_sandbox/settle")
    parser.add_argument("--settle-after-s", type=float, default=2.0, metavar="S",
                        help="seconds until pending verification finishes in async mode (default 2)")
    parser.add_argument("--requirement-naming", choices=NAMINGS, default="documented",
                        help="documented (default): relationship.* and person_xxx.* as Stripe's testing-verification "
                             "walk-through shows; country_specs: representative.*, owners.*, ... as Country Specs")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    if args.webhook_retry_scale <= 0:
        parser.error("--webhook-retry-scale must be positive")
    if args.webhook_concurrency < 1:
        parser.error("--webhook-concurrency must be 1 or more")
    if args.latency_ms < 0 or not 0 <= args.latency_jitter_ms <= args.latency_ms:
        parser.error("--latency-jitter-ms must be between 0 and --latency-ms")
    try:
        specs = load_country_specs(args.country_specs)
    except CountrySpecError as exc:
        print(f"stripe_sandbox: {exc}", file=sys.stderr)
        return 2
    target = http_target(args.webhook_url) if args.webhook_url else None
    if args.settle_after_s < 0:
        parser.error("--settle-after-s must be zero or more")
    sandbox = Sandbox(specs, webhook_target=target, webhook_secret=args.webhook_secret,
                      accounts_v1=args.accounts_v1, auto_settle=args.verification == "immediate",
                      settle_after=args.settle_after_s if args.verification == "async" else None,
                      requirement_naming=args.requirement_naming, webhook_retry_schedule=args.webhook_retries,
                      webhook_retry_scale=args.webhook_retry_scale, webhook_concurrency=args.webhook_concurrency,
                      webhook_shuffle=args.webhook_shuffle)
    add_latency(sandbox, args.latency_ms, args.latency_jitter_ms)
    server = SandboxServer(sandbox, args.host, args.port, args.verbose)
    v1 = "" if args.accounts_v1 else "; Accounts v1 not enabled: account creation is refused"
    print(f"stripe_sandbox listening on {server.url} ({len(specs.ids())} countries{v1})", flush=True)
    server.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    sys.exit(main())
