"""Count the Stripe calls of one complete onboarding, per request of ours, against the writes strictly needed.

Run: `.venv/bin/python bench/stripe_calls.py [--json] [--shuffled N]`. The app runs in-process on its in-process
sandbox (SQLite in a temporary directory); a browser-like driver (`harness.onboard`, the same as
`bench/load.py`) completes a US individual and a US company with one owner. Every request the
sandbox logs (`app.extensions["stripe_sandbox"].log`) is attributed to the request of ours that
made it, so the figures are exact counts, not timings: they do not depend on the machine.

Printed per journey: each of our requests with the Stripe operations it caused; writes and reads
by operation; the minimum writes (account create, one update per step with account answers, one
call per file, per person and for the bank account, which may travel in its step's update); the
calls made by page views (GET; the target is none) and by opening the link; and the webhook
reads: the Stripe calls made while handling the onboarding's webhook events, each delivered once,
in the order Stripe created them (target 0: an event carries the state it reports; see
`onboarding/services/events.py`).

After onboarding (issue 16): the individual opens an `account_update` link and views the account
page, the payout schedule and the balance and payouts page twice. Targets: the account page and the
schedule none, the payouts page at most 3 (balance, payouts), and none again within its cache.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness

WRITE_METHODS = ("POST", "DELETE")


@dataclass
class Call:
    """One request of ours and the Stripe operations it made."""

    method: str
    label: str
    operations: list[str]
    writes: list[str]
    posted_fields: list[str] = field(default_factory=list)


@dataclass
class Count:
    """The Stripe calls of one journey."""

    business_type: str
    steps: list[str]
    calls: list[Call] = field(default_factory=list)
    webhook_events: int = 0
    webhook_operations: list[str] = field(default_factory=list)

    def operations(self, writes: bool | None = None, requests: str = "all") -> Counter[str]:
        """Count operations: all, writes only or reads only; of every request, of page views or of the link opening.

        Page views are our GET pages (the wizard's steps, its start, the status page); opening the
        link (`GET /onboard/{token}`) is counted apart: it re-reads the account on purpose.
        """
        counted: Counter[str] = Counter()
        for call in self.calls:
            opening = call.label == "/onboard/{token}"
            if requests == "page views" and (call.method != "GET" or opening or call.label.startswith("/api/")):
                continue
            if requests == "link opening" and not opening:
                continue
            for operation in call.operations:
                if writes is None or (operation in call.writes) == writes:
                    counted[operation] += 1
        return counted

    def minimum_writes(self) -> Counter[str]:
        """Return the writes strictly needed for what the user sent, by what they are for."""
        needed: Counter[str] = Counter({"account creation": 1})
        for call in self.calls:
            if call.method != "POST" or not call.label.startswith("/onboarding/step/"):
                continue
            fields = [f for f in call.posted_fields if f not in ("csrf_token", "submission", "action", "person")]
            if call.label.endswith("(save)"):
                needed["person"] += 1  # a new person each time in these journeys
                continue
            needed["file"] += sum(1 for f in fields if ".verification." in f or f.startswith("documents."))
            if any(f.startswith("external_account.") for f in fields):
                needed["bank account (its own call or in the step's update)"] += 1
                fields = [f for f in fields if not f.startswith("external_account.")]
            if fields:
                needed["account update for the step's answers"] += 1
        return +needed


def _app(workdir: Path) -> Any:
    from onboarding import create_app

    database_url = f"sqlite:///{workdir / 'calls.sqlite3'}"
    harness.migrate(database_url)
    return create_app({
        "SECRET_KEY": "bench", "DATABASE_URL": database_url, "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None,
        "STRIPE_WEBHOOK_SECRETS": [harness.WEBHOOK_SECRET], "STRIPE_MAX_NETWORK_RETRIES": 0,
        # Webhooks are delivered by hand after the journey, so each call is attributed to one cause.
        "SANDBOX_DELIVER_WEBHOOKS": False, "PLATFORM_API_KEY": harness.PLATFORM_KEY,
    })


def count(app: Any, business_type: str, shuffle: int = 0) -> Count:
    """Complete one onboarding and attribute every sandbox request to the request of ours that made it.

    With `shuffle`, the onboarding's events are delivered in a random order (that seed's), not in order.
    """
    sandbox = app.extensions["stripe_sandbox"]
    result = Count(business_type, [])
    transport = harness.FlaskTransport(app.test_client())

    class Recording:
        def send(self, method: str, path: str, **kwargs: Any) -> harness.Reply:
            before = len(sandbox.log)
            reply = transport.send(method, path, **kwargs)
            entries = sandbox.log[before:]
            action = (kwargs.get("data") or {}).get("action")
            result.calls.append(Call(method, harness.label_of(method, path, action),
                                     [e["operation"] for e in entries],
                                     [e["operation"] for e in entries if e["method"] in WRITE_METHODS],
                                     sorted(kwargs.get("data") or {})))
            return reply

    browser = harness.Browser(Recording())
    journey = harness.onboard(browser, business_type)
    result.steps = journey.steps
    state = harness.account_state(harness.Browser(transport), journey.account_id)
    if not harness.is_enabled(state):
        raise harness.JourneyError(f"{business_type}: not enabled at the end: {state['requirements']}")
    result.webhook_events, result.webhook_operations = _deliver_webhooks(app, sandbox, state["stripe_id"], shuffle)
    _check_cache(app, state["stripe_id"])
    return result


ACCOUNT_PAGES = ("/account", "/account/payout-schedule", "/account/payouts", "/account/payouts")


def account_pages(app: Any, account_id: str) -> list[Call]:
    """Open an update link of an onboarded account and view its pages; return each request's Stripe calls."""
    sandbox = app.extensions["stripe_sandbox"]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {harness.PLATFORM_KEY}"}
    link = client.post(f"/api/v1/accounts/{account_id}/links", headers=auth, json={
        "return_url": "https://platform.example/r", "refresh_url": "https://platform.example/f",
        "type": "account_update"}).get_json()["url"]
    calls = []
    for path in ["/" + link.split("/", 3)[3], *ACCOUNT_PAGES]:
        before = len(sandbox.log)
        status = client.get(path).status_code
        if status not in (200, 303):
            raise harness.JourneyError(f"GET {path}: {status}")
        entries = sandbox.log[before:]
        calls.append(Call("GET", "/onboard/{token} (update)" if path.startswith("/onboard/") else path,
                          [e["operation"] for e in entries], []))
    return calls


def _deliver_webhooks(app: Any, sandbox: Any, stripe_id: str, shuffle: int = 0) -> tuple[int, list[str]]:
    """Deliver the account's events once each, signed as Stripe signs them; return the calls they caused.

    In the order they were created, or with `shuffle`, in that seed's random order.
    """
    from stripe_sandbox.webhooks import sign

    client = app.test_client()
    events = [e for e in sandbox.store.events.values() if e["account"] == stripe_id]
    if shuffle:
        random.Random(shuffle).shuffle(events)
    before = len(sandbox.log)
    for event in events:
        payload = json.dumps(event).encode()
        headers = {"Stripe-Signature": sign(payload, harness.WEBHOOK_SECRET, int(sandbox.clock())),
                   "Content-Type": "application/json"}
        with client.post("/webhooks/stripe", data=payload, headers=headers) as response:
            if response.status_code != 200:
                raise harness.JourneyError(f"webhook {event['type']}: {response.status_code}")
    return len(events), [e["operation"] for e in sandbox.log[before:]]


def _check_cache(app: Any, stripe_id: str) -> None:
    """Fail unless our cache, after the events, holds what a fresh read of the account and its people builds."""
    from sqlmodel import Session

    from onboarding.db import get_engine
    from onboarding.models import ConnectedAccount
    from onboarding.services.accounts import fetch_account, find_account

    def cached(row: ConnectedAccount) -> dict[str, Any]:
        profile = dict(row.stripe_profile or {})
        profile["external_accounts"] = sorted(profile["external_accounts"]["data"], key=lambda b: b["id"])
        persons = sorted(row.stripe_persons or [], key=lambda p: p["id"]) if row.business_type != "individual" else None
        return {"requirements": row.requirements, "future_requirements": row.future_requirements,
                "capabilities": row.capabilities, "charges_enabled": row.charges_enabled,
                "payouts_enabled": row.payouts_enabled, "details_submitted": row.details_submitted,
                "profile": profile, "persons": persons}

    with Session(get_engine(app)) as session:
        row = find_account(session, stripe_id)
        fresh = ConnectedAccount(country=row.country, business_type=row.business_type)
        # After the counting: these reads are the check's, attributed to nothing.
        fetch_account(app.extensions["gateway"], row, True).apply_to(fresh, row.updated_at)
        if cached(row) != cached(fresh):
            raise harness.JourneyError(f"{stripe_id}: after the events, the cache differs from Stripe's state")


def _first_account_id(app: Any) -> str:
    from sqlmodel import Session, select

    from onboarding.db import get_engine
    from onboarding.models import ConnectedAccount

    with Session(get_engine(app)) as session:
        return session.exec(select(ConnectedAccount).order_by(ConnectedAccount.created_at)).first().id


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counter.items())) or "none"


def report(result: Count) -> str:
    """Render one journey's figures."""
    lines = [f"US {result.business_type}: steps {' > '.join(result.steps)}", ""]
    width = max(len(f"{c.method} {c.label}") for c in result.calls)
    for call in result.calls:
        ops = ", ".join(f"{op}{' (write)' if op in call.writes else ''}" for op in call.operations) or "-"
        lines.append(f"  {f'{call.method} {call.label}':<{width}}  {ops}")
    writes, reads = result.operations(writes=True), result.operations(writes=False)
    minimum = result.minimum_writes()
    page_views = result.operations(requests="page views")
    opening = result.operations(requests="link opening")
    gets = [c for c in result.calls if c.method == "GET" and c.label != "/onboard/{token}"
            and not c.label.startswith("/api/")]
    lines += [
        "",
        (f"  Stripe calls: {sum(writes.values()) + sum(reads.values())} "
         f"({sum(writes.values())} writes, {sum(reads.values())} reads)"),
        f"  writes: {_fmt(writes)}",
        (f"  minimum writes: {sum(minimum.values())} ({_fmt(minimum)}); "
         f"extra writes: {sum(writes.values()) - sum(minimum.values())}"),
        f"  reads: {_fmt(reads)}",
        (f"  page views (GET of the wizard's pages and the status page): {len(gets)} requests, "
         f"{sum(page_views.values())} Stripe calls ({_fmt(page_views)}); target 0"),
        f"  opening the link (GET /onboard/{{token}}, a deliberate refresh): {_fmt(opening)}",
        (f"  webhook reads: {len(result.webhook_operations)} Stripe calls for the {result.webhook_events} events "
         f"of this onboarding, each delivered once, in order ({_fmt(Counter(result.webhook_operations))}); target 0"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Count the calls of a US individual and a US company; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON instead")
    parser.add_argument("--shuffled", type=int, default=0, metavar="N",
                        help="also run N more journeys of each kind, their events delivered in a random order")
    args = parser.parse_args(argv)
    if not args.json:
        print(f"machine: {harness.machine()}\n")
    with harness.workdir("calls") as workdir:
        app = _app(workdir)
        try:
            results = [count(app, business_type) for business_type in ("individual", "company")]
            after = account_pages(app, _first_account_id(app))  # the individual's: the first account made
            shuffled = {business_type: [count(app, business_type, seed) for seed in range(1, args.shuffled + 1)]
                        for business_type in ("individual", "company")} if args.shuffled else {}
        finally:
            app.extensions["stripe_sandbox"].close()
    if args.json:
        print(json.dumps([{
            "business_type": r.business_type, "steps": r.steps,
            "writes": r.operations(writes=True), "reads": r.operations(writes=False),
            "minimum_writes": r.minimum_writes(), "page_view_calls": r.operations(requests="page views"),
            "link_opening_calls": r.operations(requests="link opening"),
            "webhook_events": r.webhook_events, "webhook_reads": Counter(r.webhook_operations),
            "requests": [c.__dict__ for c in r.calls]} for r in results]
            + [{"account_pages": [{"path": c.label, "calls": c.operations} for c in after]}]
            + [{"business_type": business_type, "shuffled_webhook_reads": [Counter(r.webhook_operations) for r in runs]}
               for business_type, runs in shuffled.items()], indent=2))
        return 0
    print("\n\n".join(report(r) for r in results))
    print("\nAfter onboarding, the US individual's account pages (an account_update link):")
    for call in after:
        print(f"  GET {call.label:<40} {len(call.operations)} Stripe calls ({', '.join(call.operations) or 'none'})")
    for business_type, runs in shuffled.items():
        reads = sorted(len(r.webhook_operations) for r in runs)
        total: Counter[str] = sum((Counter(r.webhook_operations) for r in runs), Counter())
        print(f"\nUS {business_type}, events delivered shuffled ({len(runs)} journeys, seeds 1-{len(runs)}): "
              f"webhook reads per journey min {reads[0]}, median {reads[len(reads) // 2]}, max {reads[-1]} "
              f"({_fmt(total)} in all); cache equal to Stripe's after each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
