"""Events and signed webhook deliveries, verified with the SDK's own signature check."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.webhooks import RETRY_SCHEDULES

from .helpers import US_BANK, Connect, complete_us_individual, create_account

SECRET = "whsec_test"


class Endpoint:
    """A webhook endpoint that keeps every delivery."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.lock = threading.Lock()

    def __call__(self, payload: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.deliveries.append((payload, headers))
        return self.status

    def events(self) -> list[stripe.Event]:
        """Verify and parse every delivery with the SDK."""
        return [stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], SECRET)
                for payload, headers in self.deliveries]

    def of_type(self, kind: str) -> list[stripe.Event]:
        """Return the verified events of one type."""
        return [e for e in self.events() if e.type == kind]


@pytest.fixture
def endpoint() -> Endpoint:
    """Return a fresh endpoint."""
    return Endpoint()


@pytest.fixture
def hooked(endpoint: Endpoint, connect: Connect, transport: str) -> Iterator[tuple[Sandbox, stripe.StripeClient]]:
    """Return a sandbox that delivers to `endpoint`, and a client over each transport."""
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET)
    yield sb, connect(sb, transport)
    sb.close()


def test_account_updates_are_signed_events_with_previous_attributes(
        hooked: tuple[Sandbox, stripe.StripeClient], endpoint: Endpoint) -> None:
    sb, client = hooked
    account = create_account(client)

    client.v1.accounts.update(account.id, params={"email": "jenny@example.com"}, options={"idempotency_key": "e-1"})
    sb.flush_webhooks()

    [event] = endpoint.of_type("account.updated")
    assert event.id.startswith("evt_") and event.object == "event"
    assert event.account == account.id
    assert event.livemode is False
    assert event.data.object.id == account.id and event.data.object.email == "jenny@example.com"
    assert event.data.previous_attributes.to_dict() == {"email": None}
    assert event.request.idempotency_key == "e-1"
    header = endpoint.deliveries[0][1]["Stripe-Signature"]
    assert header.startswith("t=") and ",v1=" in header


def test_onboarding_emits_capability_and_external_account_events(
        hooked: tuple[Sandbox, stripe.StripeClient], endpoint: Endpoint) -> None:
    sb, client = hooked
    account = create_account(client)

    complete_us_individual(client, account.id)
    sb.flush_webhooks()

    capabilities = endpoint.of_type("capability.updated")
    assert sorted(e.data.object.id for e in capabilities) == ["card_payments", "transfers"]
    assert {e.data.object.status for e in capabilities} == {"active"}
    assert {e.data.previous_attributes.status for e in capabilities} == {"inactive"}
    [bank] = endpoint.of_type("account.external_account.created")
    assert bank.data.object.object == "bank_account" and bank.data.object.last4 == "6789"
    [updated] = endpoint.of_type("account.updated")
    assert updated.data.object.charges_enabled is True
    assert updated.data.previous_attributes.charges_enabled is False
    assert "individual.first_name" in updated.data.previous_attributes.requirements.currently_due
    assert {e.account for e in endpoint.events()} == {account.id}


# stripe-python 16.1.0, `Capability.Requirements.disabled_reason`.
CAPABILITY_REASONS = {"other", "paused.inactivity", "pending.onboarding", "pending.review", "platform_disabled",
                      "platform_paused", "rejected.inactivity", "rejected.other", "rejected.unsupported_business",
                      "requirements.fields_needed"}


def test_capability_objects_carry_their_own_reasons_and_when_they_were_requested(
        endpoint: Endpoint, connect: Connect) -> None:
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, auto_settle=False)
    client = connect(sb)
    account = create_account(client)
    complete_us_individual(client, account.id, dob={"day": 1, "month": 1, "year": 1901})  # verifies later
    sb.settle()
    sb.flush_webhooks()
    sb.close()
    changes = endpoint.of_type("capability.updated")
    assert [(e.data.object.id, e.data.object.status) for e in changes] == [
        ("card_payments", "pending"), ("transfers", "pending"), ("card_payments", "active"), ("transfers", "active")]
    for event in changes:
        capability = event.data.object
        assert capability.requested is True and capability.requested_at == account.created
        assert capability.future_requirements.disabled_reason is None
        for part in (capability.requirements, capability.future_requirements):
            assert all(isinstance(part[k], list) for k in ("currently_due", "eventually_due", "past_due",
                                                            "pending_verification", "errors"))
        reason = capability.requirements.disabled_reason
        assert reason is None if capability.status == "active" else reason in CAPABILITY_REASONS
    assert changes[0].data.object.requirements.disabled_reason == "pending.review"


def test_person_and_external_account_lifecycle_events(
        hooked: tuple[Sandbox, stripe.StripeClient], endpoint: Endpoint) -> None:
    sb, client = hooked
    account = create_account(client, business_type="company", company={"name": "Rosen"})
    person = client.v1.accounts.persons.create(account.id, params={"first_name": "Ann"})
    client.v1.accounts.persons.update(account.id, person.id, params={"last_name": "Lee"})
    client.v1.accounts.persons.delete(account.id, person.id)
    first = client.v1.accounts.external_accounts.create(account.id, params={"external_account": US_BANK})
    second = client.v1.accounts.external_accounts.create(account.id, params={
        "external_account": dict(US_BANK, account_number="000999999991")})
    client.v1.accounts.external_accounts.delete(account.id, second.id)
    sb.flush_webhooks()

    events = endpoint.events()
    person_events = [(e.type, e.data.object.id) for e in events if e.type.startswith("person.")]
    assert person_events == [("person.created", person.id), ("person.updated", person.id),
                             ("person.deleted", person.id)]
    assert endpoint.of_type("person.updated")[0].data.previous_attributes.to_dict() == {"last_name": None}
    assert endpoint.of_type("person.deleted")[0].data.object.deleted is True
    bank_events = [(e.type, e.data.object.id) for e in events if e.type.startswith("account.external_account.")]
    assert bank_events == [("account.external_account.created", first.id),
                           ("account.external_account.created", second.id),
                           ("account.external_account.deleted", second.id)]
    assert {e.account for e in events} == {account.id}
    assert [e.id for e in events] == list(sb.store.events)  # delivered in the order they happened


def test_a_wrong_secret_or_a_tampered_payload_fails_verification(
        hooked: tuple[Sandbox, stripe.StripeClient], endpoint: Endpoint) -> None:
    sb, client = hooked
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "jenny@example.com"})
    sb.flush_webhooks()
    payload, headers = endpoint.deliveries[0]

    assert client.construct_event(payload, headers["Stripe-Signature"], SECRET).type == "account.updated"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        client.construct_event(payload.replace(b"jenny@", b"jonny@"), headers["Stripe-Signature"], SECRET)
    assert stripe.WebhookSignature.verify_header(payload.decode(), headers["Stripe-Signature"], SECRET,
                                                 tolerance=300)
    timestamp = int(headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
    old = headers["Stripe-Signature"].replace(f"t={timestamp}", f"t={timestamp - 301}")
    with pytest.raises(stripe.SignatureVerificationError):  # the signature covers the timestamp
        stripe.Webhook.construct_event(payload, old, SECRET)


def test_events_api(hooked: tuple[Sandbox, stripe.StripeClient], endpoint: Endpoint) -> None:
    sb, client = hooked
    account = create_account(client)
    complete_us_individual(client, account.id)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sb.flush_webhooks()

    listed = client.v1.events.list(params={"limit": 100})
    assert [e.id for e in listed.data] == list(reversed(sb.store.events))  # newest first
    assert listed.has_more is False
    assert [e.id for e in listed.data] == [e.id for e in reversed(endpoint.events())]
    updates = client.v1.events.list(params={"type": "account.updated"})
    assert [e.type for e in updates.data] == ["account.updated", "account.updated"]
    assert {e.type for e in client.v1.events.list(params={"type": "capability.*"}).data} == {"capability.updated"}
    page = client.v1.events.list(params={"limit": 2})
    assert len(page.data) == 2 and page.has_more is True
    fetched = client.v1.events.retrieve(listed.data[0].id)
    assert fetched.to_dict() == listed.data[0].to_dict()
    assert fetched.pending_webhooks == 0  # delivered: the endpoint answered 200
    assert {e.pending_webhooks for e in endpoint.events()} == {1}  # not yet, while being delivered


def test_no_endpoint_no_deliveries(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sandbox.flush_webhooks()  # nothing to wait for

    [event] = client.v1.events.list().data
    assert event.type == "account.updated" and event.pending_webhooks == 0


def test_a_failing_endpoint_does_not_break_the_sandbox(connect: Connect) -> None:
    def broken(payload: bytes, headers: dict[str, str]) -> int:
        raise ConnectionRefusedError("endpoint down")

    sb = Sandbox(webhook_target=broken, webhook_secret=SECRET)
    client = connect(sb)
    account = create_account(client)
    updated = client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sb.flush_webhooks()

    assert updated.email == "x@example.com"
    assert sb.dispatcher is not None
    assert [(d["type"], d["status"]) for d in sb.dispatcher.deliveries] == [("account.updated", 0)]
    sb.close()


def test_deliveries_record_the_endpoint_status(connect: Connect) -> None:
    endpoint = Endpoint(status=500)
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET)
    client = connect(sb)
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sb.flush_webhooks()
    sb.close()

    assert sb.dispatcher is not None
    assert [d["status"] for d in sb.dispatcher.deliveries] == [500]
    payload: dict[str, Any] = json.loads(endpoint.deliveries[0][0])
    assert payload["type"] == "account.updated"


class FlakyEndpoint(Endpoint):
    """An endpoint that gives the answers listed (an exception: no answer), then 200; it notes when each came."""

    def __init__(self, *answers: int | Exception) -> None:
        super().__init__()
        self.answers = list(answers)
        self.times: list[float] = []

    def __call__(self, payload: bytes, headers: dict[str, str]) -> int:
        # Both attempts arrive on the same delivery path, so both read the same clock (see Dispatcher).
        self.times.append(time.monotonic())
        super().__call__(payload, headers)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


def attempts(sb: Sandbox) -> list[tuple[str, int, int, float | None]]:
    """Return (event type, attempt, status, retry_in) of every delivery attempt, in the order they were made."""
    assert sb.dispatcher is not None
    return [(d["type"], d["attempt"], d["status"], d["retry_in"]) for d in sb.dispatcher.deliveries]


@pytest.mark.parametrize("failure", [500, 404, ConnectionRefusedError("endpoint down"), TimeoutError("slow")],
                         ids=["500", "404", "refused", "timeout"])
@pytest.mark.timed_waits
def test_a_failed_delivery_comes_again_after_the_backoff(connect: Connect, failure: int | Exception) -> None:
    endpoint = FlakyEndpoint(failure)
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, webhook_retry_schedule=[0.1, 60])
    client = connect(sb)
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})

    sb.flush_webhooks()  # the first attempt only: its retry waits
    status = failure if isinstance(failure, int) else 0
    assert attempts(sb) == [("account.updated", 1, status, 0.1)]
    assert sb.dispatcher is not None and sb.dispatcher.pending_retries == 1
    [event] = client.v1.events.list().data
    assert event.pending_webhooks == 1

    sb.flush_webhooks(retries=True)
    assert attempts(sb) == [("account.updated", 1, status, 0.1), ("account.updated", 2, 200, None)]
    assert endpoint.times[1] - endpoint.times[0] >= 0.1
    first, again = endpoint.events()  # the same event, signed anew (Stripe: a new signature and timestamp)
    assert first.id == again.id == event.id and first.pending_webhooks == again.pending_webhooks == 1
    assert client.v1.events.retrieve(event.id).pending_webhooks == 0
    assert sb.dispatcher.pending_retries == 0
    sb.close()


@pytest.mark.timed_waits
def test_retries_stop_when_the_schedule_ends(connect: Connect) -> None:
    endpoint = Endpoint(status=500)
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, webhook_retry_schedule=[0.01, 0.03])
    client = connect(sb)
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})

    sb.flush_webhooks(retries=True)

    assert attempts(sb) == [("account.updated", 1, 500, 0.01), ("account.updated", 2, 500, 0.03),
                            ("account.updated", 3, 500, None)]
    assert sb.dispatcher is not None and sb.dispatcher.pending_retries == 0
    assert client.v1.events.list().data[0].pending_webhooks == 1  # never delivered
    sb.flush_webhooks(retries=True)
    assert len(endpoint.deliveries) == 3
    sb.close()


def test_named_schedules_scale_and_can_be_cut_short(connect: Connect) -> None:
    assert RETRY_SCHEDULES["test"] == (300, 3300, 7200)  # three retries over three hours
    live = RETRY_SCHEDULES["live"]
    assert sum(live) == 72 * 3600 and list(live) == sorted(live)  # waits that grow, for up to three days
    endpoint = FlakyEndpoint(500)
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, webhook_retry_schedule=RETRY_SCHEDULES["live"],
                 webhook_retry_scale=0.5)
    assert sb.dispatcher is not None and sb.dispatcher.retry_schedule[:2] == (150, 750)
    client = connect(sb)
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sb.flush_webhooks()
    assert attempts(sb) == [("account.updated", 1, 500, 150)]

    assert sb.dispatcher.retry_now() == 1
    sb.flush_webhooks()
    assert attempts(sb)[1:] == [("account.updated", 2, 200, None)]
    sb.close()


def test_close_drops_waiting_retries(connect: Connect) -> None:
    sb = Sandbox(webhook_target=Endpoint(status=500), webhook_secret=SECRET, webhook_retry_schedule=[60])
    client = connect(sb)
    account = create_account(client)
    client.v1.accounts.update(account.id, params={"email": "x@example.com"})
    sb.flush_webhooks()
    assert sb.dispatcher is not None and sb.dispatcher.pending_retries == 1

    sb.close()

    assert sb.dispatcher.pending_retries == 0 and len(sb.dispatcher.deliveries) == 1


@pytest.mark.parametrize("options", [{"webhook_concurrency": 0}, {"webhook_retry_schedule": [1, -1]},
                                     {"webhook_retry_scale": 0}])
def test_delivery_options_are_checked(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Sandbox(webhook_target=Endpoint(), webhook_secret=SECRET, **options)


class OverlapEndpoint(Endpoint):
    """An endpoint whose first two deliveries wait for each other: they pass only if they overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.meet = threading.Barrier(2, timeout=5)
        self.calls = 0
        self.inflight = 0
        self.most_inflight = 0

    def __call__(self, payload: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.calls += 1
            first_two = self.calls <= 2
            self.inflight += 1
            self.most_inflight = max(self.most_inflight, self.inflight)
        try:
            if first_two:
                self.meet.wait()  # raises BrokenBarrierError (no answer) when deliveries come one by one
            return super().__call__(payload, headers)
        finally:
            with self.lock:
                self.inflight -= 1


def test_concurrent_delivery_overlaps_and_delivers_each_event_once(connect: Connect) -> None:
    endpoint = OverlapEndpoint()
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, webhook_concurrency=4)
    client = connect(sb)
    for _ in range(3):
        complete_us_individual(client, create_account(client).id)

    sb.flush_webhooks()
    sb.close()

    assert endpoint.most_inflight >= 2
    received = [e.id for e in endpoint.events()]
    assert sorted(received) == sorted(sb.store.events) and len(set(received)) == len(received) >= 12
    assert sb.dispatcher is not None and {d["status"] for d in sb.dispatcher.deliveries} == {200}
    assert all(e["pending_webhooks"] == 0 for e in sb.store.events.values())


@pytest.mark.timed_waits
def test_one_thread_delivers_one_at_a_time(connect: Connect) -> None:
    endpoint = OverlapEndpoint()
    endpoint.meet = threading.Barrier(2, timeout=0.2)
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET)  # the default: in order, one thread
    client = connect(sb)
    complete_us_individual(client, create_account(client).id)
    sb.flush_webhooks()
    sb.close()

    assert endpoint.most_inflight == 1
    assert sb.dispatcher is not None and [d["status"] for d in sb.dispatcher.deliveries][:2] == [0, 0]


def test_shuffled_delivery_takes_waiting_events_out_of_order(connect: Connect) -> None:
    gate = threading.Event()

    class Gated(Endpoint):
        def __call__(self, payload: bytes, headers: dict[str, str]) -> int:
            gate.wait(timeout=5)  # the first delivery holds the thread while the others queue up
            return super().__call__(payload, headers)

    endpoint = Gated()
    sb = Sandbox(webhook_target=endpoint, webhook_secret=SECRET, webhook_shuffle=True)
    client = connect(sb)
    for _ in range(3):
        complete_us_individual(client, create_account(client).id)
    gate.set()
    sb.flush_webhooks()
    sb.close()

    received = [e.id for e in endpoint.events()]
    assert sorted(received) == sorted(sb.store.events) and len(received) >= 12
    assert received != list(sb.store.events)  # 11 waiting events kept in order by chance: 1 in 11!
