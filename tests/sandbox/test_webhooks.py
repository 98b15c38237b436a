"""Events and signed webhook deliveries, verified with the SDK's own signature check."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox

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
    assert fetched.pending_webhooks == 1


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
