"""`/webhooks/stripe`: signed sandbox events reach the app and update the cached account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount, WebhookEvent
from stripe_sandbox.webhooks import sign
from tests.support.clock import TEST_NOW


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"SANDBOX_DELIVER_WEBHOOKS": True}


def _account(app: Flask, runner_args: list[str]) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["accounts", "create", *runner_args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sandbox_events_update_the_cached_account(app: Flask, sandbox: Any) -> None:
    created = _account(app, ["--country", "US", "--business-type", "individual"])
    gateway = app.extensions["gateway"]
    gateway.update_account(created["stripe_id"], {"business_profile": {"mcc": "5734"}}, idempotency_key="k1")
    sandbox.flush_webhooks()
    with Session(get_engine(app)) as session:
        account = session.get(ConnectedAccount, created["id"])
        events = session.exec(select(WebhookEvent)).all()
    assert "business_profile.mcc" not in account.requirements["currently_due"]
    assert {e.type for e in events} >= {"account.updated"}
    assert all(e.account == created["stripe_id"] for e in events)
    assert all(d["status"] == 200 for d in sandbox.dispatcher.deliveries)


def _post(client: FlaskClient, event: dict[str, Any], secret: str, timestamp: int | None = None) -> Any:
    payload = json.dumps(event).encode()
    header = sign(payload, secret, timestamp or int(TEST_NOW.timestamp()))  # the suite's clock stands there
    return client.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": header,
                                                                  "Content-Type": "application/json"})


EVENT = {"id": "evt_test_1", "object": "event", "type": "account.updated", "account": "acct_unknown",
         "created": 1, "livemode": False, "data": {"object": {"id": "acct_unknown", "object": "account"}}}


def test_bad_signature_is_400_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    assert _post(client, EVENT, "whsec_wrong").status_code == 400
    assert _post(client, EVENT, "whsec_test_secret", int(TEST_NOW.timestamp()) - 3600).status_code == 400
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 400
    with Session(get_engine(app)) as session:
        assert session.exec(select(WebhookEvent)).all() == []


def test_a_timestamp_beyond_the_tolerance_is_refused_both_ways(app: Flask, client: FlaskClient) -> None:
    """A signature dated ahead would keep a captured delivery replayable until then (issue 14)."""
    now = int(TEST_NOW.timestamp())
    assert _post(client, EVENT, "whsec_test_secret", now + 3600).status_code == 400
    assert _post(client, EVENT, "whsec_test_secret", now - 3600).status_code == 400
    assert _post(client, EVENT, "whsec_test_secret", now + 60).status_code == 200  # clocks differ a little
    with Session(get_engine(app)) as session:
        assert len(session.exec(select(WebhookEvent)).all()) == 1


def test_repeated_delivery_is_processed_once(app: Flask, client: FlaskClient) -> None:
    first = _post(client, EVENT, "whsec_test_secret")
    second = _post(client, EVENT, "whsec_test_secret")
    assert first.status_code == second.status_code == 200
    assert (first.json["duplicate"], second.json["duplicate"]) == (False, True)
    with Session(get_engine(app)) as session:
        assert len(session.exec(select(WebhookEvent)).all()) == 1


def test_unknown_event_types_are_recorded_and_acknowledged(app: Flask, client: FlaskClient) -> None:
    event = {**EVENT, "id": "evt_future_1", "type": "treasury.future_thing.created", "account": None,
             "data": {"object": {"id": "tft_1", "object": "treasury.future_thing"}}}
    response = _post(client, event, "whsec_test_secret")
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False}
    with Session(get_engine(app)) as session:
        assert session.get(WebhookEvent, "evt_future_1").type == "treasury.future_thing.created"


def test_out_of_order_deliveries_leave_the_newest_state(app: Flask, client: FlaskClient, sandbox: Any) -> None:
    created = _account(app, ["--country", "US", "--business-type", "individual"])
    gateway = app.extensions["gateway"]
    gateway.update_account(created["stripe_id"], {"business_profile": {"mcc": "5734"}}, idempotency_key="o1")
    gateway.update_account(created["stripe_id"], {"business_profile": {"url": "https://accessible.stripe.com"}},
                           idempotency_key="o2")
    sandbox.flush_webhooks()
    events = [e for e in sandbox.store.events.values() if e["type"] == "account.updated"]
    older, newer = events[0], events[-1]
    reads = len(sandbox.log)
    for event in (newer, older):  # the older event arrives last
        _post(client, {**event, "id": event["id"] + "_again"}, "whsec_test_secret")
    with Session(get_engine(app)) as session:
        due = session.get(ConnectedAccount, created["id"]).requirements["currently_due"]
    assert "business_profile.mcc" not in due and "business_profile.url" not in due  # the newest state stays
    assert sandbox.log[reads:] == []  # placed by the events' own content (tests/test_event_order.py)


@pytest.mark.parametrize("known", [False, True], ids=["unknown-account", "known-account"])
def test_copies_of_one_event_delivered_at_once_are_all_answered_2xx_and_processed_once(
        app: Flask, client: FlaskClient, known: bool) -> None:
    """Stripe may deliver an event more than once, and at once: a duplicate is not an error (issue 17)."""
    import threading

    event = dict(EVENT, id="evt_concurrent_1")
    if known:
        created = _account(app, ["--country", "US", "--business-type", "individual"])
        obj = {"id": created["stripe_id"], "object": "account"}
        event = dict(event, account=created["stripe_id"], type="ping.unhandled", data={"object": obj})
    payload = json.dumps(event).encode()
    header = sign(payload, "whsec_test_secret", int(TEST_NOW.timestamp()))
    copies = 8
    start = threading.Barrier(copies)
    answers: list[tuple[int, Any]] = []

    def deliver() -> None:
        with app.test_client() as own:
            start.wait(timeout=10)
            response = own.post("/webhooks/stripe", data=payload, headers={
                "Stripe-Signature": header, "Content-Type": "application/json"})
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [200] * copies, answers
    assert sum(1 for _, body in answers if not body["duplicate"]) == 1
    with Session(get_engine(app)) as session:
        assert [e.id for e in session.exec(select(WebhookEvent)).all()] == ["evt_concurrent_1"]


@pytest.mark.timed_waits
def test_an_event_our_endpoint_failed_is_delivered_again_and_applied_once(app: Flask, sandbox: Any) -> None:
    """Our endpoint answers 500 (Stripe could not be read for it); the sandbox retries as Stripe does."""
    created = _account(app, ["--country", "US", "--business-type", "individual"])
    with Session(get_engine(app)) as session:  # a row from before the ordering marks: its next event reads Stripe
        row = session.get(ConnectedAccount, created["id"])
        row.stripe_marks = None
        session.add(row)
        session.commit()
    sandbox.dispatcher.retry_schedule = (0.05, 0.05)  # Stripe's waits, compressed
    sandbox.faults.add("accounts.retrieve", "500", times=1)
    gateway = app.extensions["gateway"]
    gateway.update_account(created["stripe_id"], {"business_profile": {"mcc": "5734"}}, idempotency_key="k-retry")
    sandbox.flush_webhooks(retries=True)
    deliveries = [d for d in sandbox.dispatcher.deliveries if d["type"] == "account.updated"]
    assert [d["status"] for d in deliveries][:2] == [500, 200], deliveries
    with Session(get_engine(app)) as session:
        account = session.get(ConnectedAccount, created["id"])
        events = session.exec(select(WebhookEvent).where(WebhookEvent.type == "account.updated")).all()
    assert len(events) == 1 and "business_profile.mcc" not in account.requirements["currently_due"]
