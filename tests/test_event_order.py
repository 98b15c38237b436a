"""Events carry the state: the cache takes each event's own object, newest first, and reads Stripe only when stuck."""

from __future__ import annotations

import copy
import json
import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount, WebhookEvent
from onboarding.services import events as events_service
from onboarding.services.accounts import fetch_account
from stripe_sandbox.webhooks import sign
from tests.support.clock import TEST_NOW
from tests.support.wizard import Wizard
from tests.test_wizard import US
from tests.test_wizard_company import PERSON, US_COMPANY

# Event order is by the seconds events carry and the frozen TEST_NOW, never the calendar: the shifted passes
# would repeat the first pass exactly (tests/conftest.py). CI's budget keeps it to the first pass.
pytestmark = pytest.mark.first_pass_only

SECRET = "whsec_test_secret"
OWNER = {**{f"owners.{k}": v for k, v in PERSON.items()}, "owners.first_name": "Ada", "owners.last_name": "Lovelace",
         "owners.email": "ada@example.com"}


def _deliver(client: FlaskClient, event: dict[str, Any]) -> None:
    payload = json.dumps(event).encode()
    response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                           headers={"Stripe-Signature": sign(payload, SECRET, int(TEST_NOW.timestamp()))})
    assert response.status_code == 200, response.get_data(as_text=True)


def _deliver_all(client: FlaskClient, sandbox: Any, events: list[dict[str, Any]]) -> list[str]:
    """Deliver events; return the Stripe operations their handling caused."""
    before = len(sandbox.log)
    for event in events:
        _deliver(client, event)
    return [entry["operation"] for entry in sandbox.log[before:]]


def _events(sandbox: Any, stripe_id: str, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in list(sandbox.store.events.values())[since:] if e["account"] == stripe_id]


def _row(app: Flask, stripe_id: str) -> ConnectedAccount:
    with Session(get_engine(app)) as session:
        return session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == stripe_id)).one()


def _create(client: FlaskClient, business_type: str = "individual") -> str:
    response = client.post("/api/v1/accounts", headers={"Authorization": "Bearer platform-test-key"},
                           json={"country": "US", "business_type": business_type, "email": "u@example.com"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["stripe_id"]


CACHED = ("requirements", "future_requirements", "requirement_errors", "capabilities", "charges_enabled",
          "payouts_enabled", "details_submitted", "disabled_reason", "current_deadline", "business_type", "email")


def _cached(row: ConnectedAccount, company: bool) -> dict[str, Any]:
    """What the pages read from the cache (external accounts and persons in a fixed order)."""
    found = {name: getattr(row, name) for name in CACHED}
    found["current_deadline"] = found["current_deadline"] and found["current_deadline"].timestamp()
    profile = dict(row.stripe_profile or {})
    profile["external_accounts"] = sorted(profile["external_accounts"]["data"], key=lambda b: b["id"])
    found["stripe_profile"] = profile
    if company:
        found["stripe_persons"] = sorted(row.stripe_persons or [], key=lambda p: p["id"])
    return found


def _assert_cache_is_stripes(app: Flask, stripe_id: str) -> None:
    """Our cache equals what a fresh read of the account (and a company's people) builds."""
    row = _row(app, stripe_id)
    company = row.business_type != "individual"
    expected = ConnectedAccount(country=row.country, business_type=row.business_type)
    fetch_account(app.extensions["gateway"], row, persons=True).apply_to(expected, TEST_NOW)
    assert _cached(row, company) == _cached(expected, company)


def test_events_in_order_update_the_cache_without_reading_stripe(app: Flask, client: FlaskClient, sandbox: Any,
                                                                 clock: Any) -> None:
    stripe_id = _create(client)
    gateway = app.extensions["gateway"]
    gateway.update_account(stripe_id, {"business_profile": {"mcc": "5734"}}, idempotency_key="a1")
    clock.tick(2)
    gateway.update_account(stripe_id, {"individual": {"dob": {"day": 1, "month": 1, "year": 1901},
                                                      "first_name": "Jenny", "last_name": "Rosen"}},
                           idempotency_key="a2")
    events = _events(sandbox, stripe_id)
    assert len({e["created"] for e in events}) == 2 and len(events) >= 3  # a settle event shares a second
    assert _row(app, stripe_id).requirements != sandbox.render(sandbox.store.accounts[stripe_id])["requirements"]
    assert _deliver_all(client, sandbox, events) == []
    _assert_cache_is_stripes(app, stripe_id)
    assert _row(app, stripe_id).stripe_profile["individual"]["first_name"] == "Jenny"


def test_a_newer_state_stays_when_an_older_event_arrives_after_it(app: Flask, client: FlaskClient, sandbox: Any,
                                                                  clock: Any) -> None:
    stripe_id = _create(client)
    gateway = app.extensions["gateway"]
    gateway.update_account(stripe_id, {"business_profile": {"mcc": "5734"}}, idempotency_key="o1")
    clock.tick(5)
    gateway.update_account(stripe_id, {"business_profile": {"url": "https://accessible.stripe.com"}},
                           idempotency_key="o2")
    older, newer = [e for e in _events(sandbox, stripe_id) if e["type"] == "account.updated"]
    assert newer["created"] > older["created"]
    assert _deliver_all(client, sandbox, [newer, older]) == []
    row = _row(app, stripe_id)
    assert row.stripe_profile["business_profile"]["url"] == "https://accessible.stripe.com"
    assert row.stripe_profile["business_profile"]["mcc"] == "5734"
    assert "business_profile.url" not in row.requirements["currently_due"]
    _assert_cache_is_stripes(app, stripe_id)


def test_same_second_events_out_of_order_are_placed_by_content_or_read(app: Flask, client: FlaskClient,
                                                                       sandbox: Any, clock: Any) -> None:
    """Three changes in one second, delivered newest first: the newest stays, with at most one read."""
    stripe_id = _create(client)
    clock.tick(3)  # after the creation's second: the events are newer than the cache
    gateway = app.extensions["gateway"]
    for n, params in enumerate(({"business_profile": {"mcc": "5734"}},
                                {"business_profile": {"url": "https://accessible.stripe.com"}},
                                {"business_profile": {"product_description": "Software"}})):
        gateway.update_account(stripe_id, params, idempotency_key=f"s{n}")
    events = _events(sandbox, stripe_id)
    assert len(events) == 3 and len({e["created"] for e in events}) == 1
    operations = _deliver_all(client, sandbox, list(reversed(events)))
    # The newest applies (a later second); the middle one is of that second and leads nowhere we hold: one
    # read; the oldest then arrives at a state held before: ignored.
    assert operations == ["accounts.retrieve"]
    assert _row(app, stripe_id).stripe_profile["business_profile"]["product_description"] == "Software"
    _assert_cache_is_stripes(app, stripe_id)


def test_person_and_bank_account_events_update_the_cache(app: Flask, client: FlaskClient, sandbox: Any,
                                                         clock: Any) -> None:
    stripe_id = _create(client, "company")
    gateway = app.extensions["gateway"]
    clock.tick(1)
    person = gateway.create_person(stripe_id, {"first_name": "Ada", "last_name": "Lovelace",
                                               "relationship": {"owner": True, "percent_ownership": 80}},
                                   idempotency_key="p1")
    clock.tick(1)
    gateway.add_external_account(stripe_id, "btok_us", idempotency_key="b1")
    clock.tick(1)
    gateway.update_person(stripe_id, person["id"], {"last_name": "King"}, idempotency_key="p2")
    events = _events(sandbox, stripe_id)
    assert {"person.created", "person.updated", "account.external_account.created"} <= {e["type"] for e in events}
    assert _deliver_all(client, sandbox, events) == []
    row = _row(app, stripe_id)
    assert [(p["id"], p["last_name"]) for p in row.stripe_persons] == [(person["id"], "King")]
    assert [b["last4"] for b in row.stripe_profile["external_accounts"]["data"]] == ["6789"]
    assert "metadata" not in row.stripe_persons[0]
    _assert_cache_is_stripes(app, stripe_id)

    since = len(sandbox.store.events)
    clock.tick(1)
    gateway.delete_person(stripe_id, person["id"], idempotency_key="p3")
    deleted = _events(sandbox, stripe_id, since)
    assert "person.deleted" in {e["type"] for e in deleted}
    assert _deliver_all(client, sandbox, deleted) == []
    assert _row(app, stripe_id).stripe_persons == []
    _assert_cache_is_stripes(app, stripe_id)


def test_an_event_made_while_an_answer_travelled_is_not_taken_for_older(app: Flask, client: FlaskClient,
                                                                        sandbox: Any, clock: Any) -> None:
    """The answer to a write can reach us in the second after Stripe's events about what came next.

    Here a person is created at xx:10.9, Stripe finishes verifying it (`person.updated`, also of second
    10), and its creation's answer (not yet verified) is cached at xx:11.2, as the wizard caches it.
    The event must still count as newer than that answer.
    """
    stripe_id = _create(client, "company")
    clock.move_to(TEST_NOW + timedelta(seconds=10.9))
    person = app.extensions["gateway"].create_person(stripe_id, {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
        "dob": {"day": 1, "month": 1, "year": 1901}, "relationship": {"owner": True, "percent_ownership": 80}},
        idempotency_key="t1")
    events = _events(sandbox, stripe_id)
    assert "person.updated" in {e["type"] for e in events} and {e["created"] for e in events} == {
        int(TEST_NOW.timestamp()) + 10}
    clock.move_to(TEST_NOW + timedelta(seconds=11.2))
    with Session(get_engine(app)) as session:
        row = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == stripe_id)).one()
        row.keep_person(person)  # as the wizard keeps a write's answer
        session.add(row)
        session.commit()
    assert _deliver_all(client, sandbox, events) == []
    _assert_cache_is_stripes(app, stripe_id)


def test_a_late_event_of_a_deleted_person_does_not_bring_it_back(app: Flask, client: FlaskClient, sandbox: Any,
                                                                 clock: Any) -> None:
    stripe_id = _create(client, "company")
    gateway = app.extensions["gateway"]
    clock.tick(1)
    person = gateway.create_person(stripe_id, {"first_name": "Ada"}, idempotency_key="d1")
    clock.tick(1)
    gateway.delete_person(stripe_id, person["id"], idempotency_key="d2")
    events = _events(sandbox, stripe_id)
    created = [e for e in events if e["type"] == "person.created"]
    later = [e for e in events if e not in created]
    assert _deliver_all(client, sandbox, later + created) == []  # the creation arrives last
    assert _row(app, stripe_id).stripe_persons == []
    _assert_cache_is_stripes(app, stripe_id)


def test_concurrent_events_for_one_account_are_applied_one_after_the_other(
        app: Flask, sandbox: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two deliveries planned at the same moment: the second waits for the first's commit and keeps its change."""
    stripe_id = _create(app.test_client(), "company")
    gateway = app.extensions["gateway"]
    clock.tick(1)
    for n, name in enumerate(("Ada", "Alan")):
        gateway.create_person(stripe_id, {"first_name": name}, idempotency_key=f"c{n}")
    created = [e for e in _events(sandbox, stripe_id) if e["type"] == "person.created"]
    both_planned = threading.Barrier(2, timeout=10)
    planned: set[int] = set()
    plan = events_service.plan_event

    def plan_together(account: ConnectedAccount, event: dict[str, Any], api_version: str) -> Any:
        result = plan(account, event, api_version)
        if threading.get_ident() not in planned:  # each delivery's first plan, made before any write
            planned.add(threading.get_ident())
            both_planned.wait()
        return result

    monkeypatch.setattr(events_service, "plan_event", plan_together)
    threads = [threading.Thread(target=_deliver, args=(app.test_client(), event)) for event in created]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(p["first_name"] for p in _row(app, stripe_id).stripe_persons) == ["Ada", "Alan"]
    with Session(get_engine(app)) as session:
        assert len(session.exec(select(WebhookEvent)).all()) == 2


@pytest.mark.parametrize("mangle", ["no requirements", "unknown object", "another account", "no created",
                                    "another API version"])
def test_an_event_that_cannot_be_applied_reads_the_account_once(app: Flask, client: FlaskClient, sandbox: Any,
                                                                clock: Any, mangle: str) -> None:
    stripe_id = _create(client)
    clock.tick(1)
    app.extensions["gateway"].update_account(stripe_id, {"business_profile": {"mcc": "5734"}},
                                             idempotency_key="m1")
    (event,) = _events(sandbox, stripe_id)
    obj = dict(event["data"]["object"])
    if mangle == "no requirements":
        del obj["requirements"]
    elif mangle == "unknown object":
        obj["object"] = "account_v3"
    elif mangle == "another account":
        obj["id"] = "acct_someone_else"
    event = {**event, "data": {**event["data"], "object": obj}}
    if mangle == "no created":
        del event["created"]
    elif mangle == "another API version":
        event["api_version"] = "2024-06-20"
    assert _deliver_all(client, sandbox, [event]) == ["accounts.retrieve"]
    assert "business_profile.mcc" not in _row(app, stripe_id).requirements["currently_due"]
    _assert_cache_is_stripes(app, stripe_id)


MALFORMED: dict[str, Any] = {
    "data is a list": {"data": [1, 2]},
    "object is a string": {"data": {"object": "acct_x"}},
    "previous_attributes is a list": {"data": {"previous_attributes": ["requirements"]}},
    "requirements is a list": {"object": {"requirements": ["business_profile.mcc"]}},
    "a deadline in words": {"object": {"requirements": {"current_deadline": "soon"}}},
    "capabilities of numbers": {"object": {"capabilities": {"transfers": 1}}},
    "external accounts as text": {"object": {"external_accounts": "ba_1"}},
    "an external account without id": {"object": {"external_accounts": {"data": [{"object": "bank_account"}]}}},
    "a type that is not a string": {"type": ["account.updated"]},
}


@pytest.mark.parametrize("damage", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_event_is_answered_and_read_never_crashes(app: Flask, client: FlaskClient, sandbox: Any,
                                                              clock: Any, damage: dict[str, Any]) -> None:
    stripe_id = _create(client)
    clock.tick(1)
    app.extensions["gateway"].update_account(stripe_id, {"business_profile": {"mcc": "5734"}},
                                             idempotency_key="f1")
    (event,) = _events(sandbox, stripe_id)
    event = copy.deepcopy(event)
    if "data" in damage:
        event["data"] = damage["data"] if not isinstance(damage["data"], dict) else {**event["data"], **damage["data"]}
    if "object" in damage:
        obj = event["data"]["object"]
        for key, value in damage["object"].items():
            obj[key] = {**obj[key], **value} if isinstance(value, dict) and isinstance(obj.get(key), dict) else value
    event.update({k: v for k, v in damage.items() if k == "type"})
    assert set(_deliver_all(client, sandbox, [event])) <= {"accounts.retrieve"}
    if "type" not in damage:  # an event of no type we know changes nothing
        _assert_cache_is_stripes(app, stripe_id)


def test_no_lock_is_held_while_stripe_is_read(app: Flask, client: FlaskClient, sandbox: Any, clock: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """While a webhook waits on Stripe, another connection can write the same account's row at once."""
    stripe_id = _create(client)
    clock.tick(1)
    gateway = app.extensions["gateway"]
    gateway.update_account(stripe_id, {"business_profile": {"mcc": "5734"}}, idempotency_key="l1")
    (event,) = _events(sandbox, stripe_id)
    event = {**event, "api_version": "2024-06-20"}  # cannot be applied as it is: read
    url = get_engine(app).url
    sqlite = url.get_backend_name() == "sqlite"
    other = create_engine(url.render_as_string(hide_password=False), connect_args={"timeout": 0.5} if sqlite else {})
    retrieve, written = gateway.retrieve_account, []

    def retrieve_while_another_writes(account_id: str) -> dict[str, Any]:
        with other.begin() as connection:
            if not sqlite:
                connection.execute(text("SET LOCAL lock_timeout = '500ms'"))
            connection.execute(text("UPDATE connected_accounts SET catalog_version = 'elsewhere' WHERE stripe_id = :s"),
                               {"s": stripe_id})
        written.append(account_id)
        return retrieve(account_id)

    monkeypatch.setattr(gateway, "retrieve_account", retrieve_while_another_writes)
    try:
        _deliver(client, event)
    finally:
        other.dispose()
    assert written == [stripe_id]
    assert _row(app, stripe_id).catalog_version == "elsewhere"  # the webhook reloaded the row after it


def test_a_row_without_marks_is_read_once_then_events_apply(app: Flask, client: FlaskClient, sandbox: Any,
                                                            clock: Any) -> None:
    stripe_id = _create(client)
    with Session(get_engine(app)) as session:
        row = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == stripe_id)).one()
        row.stripe_marks = None  # as migration 0007 leaves the rows it finds
        session.add(row)
        session.commit()
    gateway = app.extensions["gateway"]
    clock.tick(1)
    gateway.update_account(stripe_id, {"business_profile": {"mcc": "5734"}}, idempotency_key="n1")
    clock.tick(1)
    gateway.update_account(stripe_id, {"business_profile": {"url": "https://accessible.stripe.com"}},
                           idempotency_key="n2")
    assert _deliver_all(client, sandbox, _events(sandbox, stripe_id)) == ["accounts.retrieve"]
    _assert_cache_is_stripes(app, stripe_id)


def test_an_unknown_event_type_is_recorded_logged_and_harmless(app: Flask, client: FlaskClient, sandbox: Any,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    stripe_id = _create(client)
    before = _row(app, stripe_id)
    event = {"id": "evt_future_kind", "object": "event", "type": "account.future_kind.updated", "account": stripe_id,
             "created": int(TEST_NOW.timestamp()) + 60, "livemode": False,
             "data": {"object": {"id": "fk_1", "object": "future_kind", "account": stripe_id, "anything": [1, 2]}}}
    with caplog.at_level(logging.INFO, logger="onboarding.services.events"):
        assert _deliver_all(client, sandbox, [event]) == []
    assert "account.future_kind.updated" in caplog.text and "evt_future_kind" in caplog.text
    with Session(get_engine(app)) as session:
        assert session.get(WebhookEvent, "evt_future_kind").account == stripe_id
    after = _row(app, stripe_id)
    assert (after.updated_at, after.stripe_marks, after.stripe_profile) == (before.updated_at, before.stripe_marks,
                                                                           before.stripe_profile)


def _onboard(client: FlaskClient, clock: Any, business_type: str, seed: int,
            opened: Callable[[Wizard], None] = lambda wizard: None, pause: tuple[int, ...] = (0, 0, 1, 2)) -> Wizard:
    """Complete a US onboarding through the wizard, some steps a second or two apart, some in the same second."""
    ticks = random.Random(seed)
    wizard = Wizard(client, "US", business_type)
    page = wizard.start()
    opened(wizard)
    answers = US if business_type == "individual" else {**US_COMPANY, **OWNER, "company.owners_provided": "yes"}
    for _ in range(12):
        if "/step/" not in page.path:
            break
        clock.tick(ticks.choice(pause))
        form = page
        if page.path.endswith("/representative"):
            form = page.form("save")
        elif page.path.endswith("/owners"):
            form = page.form("save") if 'data-person="' not in page.html else page.form("continue")
        response = wizard.submit(form, answers)
        assert response.status_code == 303, (page.path, response.get_data(as_text=True)[-2000:])
        page = wizard.follow(response)
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True, state
    return wizard


@pytest.mark.parametrize("business_type", ["individual", "company"])
@pytest.mark.parametrize("cache", ["kept by the answers", "as the link found it"])
@pytest.mark.parametrize("order", ["in order", "in order, all in one second", "shuffled 1", "shuffled 2"])
def test_a_whole_onboarding_delivered_in_any_order_ends_as_stripe_has_it(
        app: Flask, client: FlaskClient, sandbox: Any, clock: Any, business_type: str, cache: str, order: str) -> None:
    """Every event of an onboarding leaves the cache equal to a fresh read; in order, without reading Stripe.

    "kept by the answers": the wizard's writes already cached Stripe's answers; the events must not set
    them back. "as the link found it": the cache is put back to what it was when the link was opened,
    so the events alone must bring it up to date. Shuffled, a read is allowed where an event of the
    same second cannot be placed.
    """
    snapshot: dict[str, Any] = {}

    def opened(wizard: Wizard) -> None:
        snapshot.update(_row(app, wizard.account["stripe_id"]).model_dump(exclude={"id"}))

    first = len(sandbox.store.events)
    seed = int(order.split()[-1]) if order.startswith("shuffled") else 0
    if order.endswith("one second"):  # as in bench/stripe_calls.py: every event and answer of one second
        # Time still moves (10 µs a reading): ordering marks compare states by when they were read.
        with freeze_time(TEST_NOW + timedelta(hours=1), auto_tick_seconds=1e-5) as slow:
            stripe_id = _onboard(client, slow, business_type, seed, opened, pause=(0,)).account["stripe_id"]
    else:
        stripe_id = _onboard(client, clock, business_type, seed, opened).account["stripe_id"]
    events = _events(sandbox, stripe_id, first)
    if order.endswith("one second"):
        assert len({e["created"] for e in events}) == 1
    if cache == "as the link found it":
        with Session(get_engine(app)) as session:
            row = session.exec(select(ConnectedAccount).where(ConnectedAccount.stripe_id == stripe_id)).one()
            for name, value in snapshot.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()
        assert _row(app, stripe_id).requirements["currently_due"]
    if seed:
        random.Random(seed).shuffle(events)
    operations = _deliver_all(client, sandbox, events)
    assert set(operations) <= {"accounts.retrieve", "persons.list"}
    if not seed:
        assert operations == []
    _assert_cache_is_stripes(app, stripe_id)
