"""Idempotency keys: replays, conflicts, what is saved and what is not."""

from __future__ import annotations

import pytest
import stripe

from stripe_sandbox import Sandbox

from .helpers import Connect, create_account

CREATE = {"country": "US", "type": "custom", "capabilities": {"transfers": {"requested": True}}}


def live_accounts(sb: Sandbox) -> int:
    """Return how many accounts the sandbox holds."""
    return sum(not a.deleted for a in sb.store.accounts.values())


def test_same_key_same_params_replays(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    first = api.v1.accounts.create(params=CREATE, options={"idempotency_key": "onboard-1"})
    second = api.v1.accounts.create(params=CREATE, options={"idempotency_key": "onboard-1"})

    assert second.id == first.id
    assert live_accounts(sandbox) == 1
    assert first.last_response.idempotency_key == second.last_response.idempotency_key == "onboard-1"
    assert "idempotent-replayed" not in first.last_response.headers
    assert second.last_response.headers["idempotent-replayed"] == "true"
    assert second.last_response.headers["original-request"] == first.last_response.request_id
    assert second.last_response.request_id != first.last_response.request_id
    assert [e["replayed"] for e in sandbox.log] == [False, True]
    assert [e["idempotency_key"] for e in sandbox.log] == ["onboard-1", "onboard-1"]


def test_same_key_different_params_is_an_idempotency_error(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    api.v1.accounts.create(params=CREATE, options={"idempotency_key": "onboard-2"})

    with pytest.raises(stripe.IdempotencyError) as excinfo:
        api.v1.accounts.create(params=dict(CREATE, email="other@example.com"),
                               options={"idempotency_key": "onboard-2"})
    assert excinfo.value.http_status == 400
    assert excinfo.value.json_body["error"]["type"] == "idempotency_error"
    assert live_accounts(sandbox) == 1


def test_the_same_key_on_another_endpoint_conflicts(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params=CREATE, options={"idempotency_key": "k"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.accounts.update(account.id, params={"email": "a@example.com"}, options={"idempotency_key": "k"})


def test_keys_belong_to_the_api_key(sandbox: Sandbox, connect: Connect) -> None:
    one = connect(sandbox, api_key="sk_test_one")
    two = connect(sandbox, api_key="sk_test_two")

    first = one.v1.accounts.create(params=CREATE, options={"idempotency_key": "shared"})
    second = two.v1.accounts.create(params=CREATE, options={"idempotency_key": "shared"})

    assert first.id != second.id and live_accounts(sandbox) == 2


def test_every_sdk_post_carries_a_fresh_key(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    create_account(client)
    create_account(client)

    keys = [e["idempotency_key"] for e in sandbox.log]
    assert all(keys) and len(set(keys)) == 2
    assert live_accounts(sandbox) == 2


def test_gets_ignore_keys(client: stripe.StripeClient) -> None:
    account = create_account(client)
    before = client.v1.accounts.retrieve(account.id, options={"idempotency_key": "read"})
    client.v1.accounts.update(account.id, params={"email": "changed@example.com"})

    after = client.v1.accounts.retrieve(account.id, options={"idempotency_key": "read"})

    assert before.email is None and after.email == "changed@example.com"
    assert "idempotent-replayed" not in after.last_response.headers


def test_validation_errors_are_not_saved(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.create(params=dict(CREATE, business_type="person"),  # type: ignore[typeddict-item]
                                  options={"idempotency_key": "fix-me"})

    fixed = client.v1.accounts.create(params=CREATE, options={"idempotency_key": "fix-me"})
    assert fixed.id.startswith("acct_") and live_accounts(sandbox) == 1


def test_errors_of_an_executed_request_are_replayed(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as excinfo:
            client.v1.accounts.create(params=dict(CREATE, country="ZZ"), options={"idempotency_key": "zz"})
        assert excinfo.value.code == "country_unsupported"
    assert [e["replayed"] for e in sandbox.log] == [False, True]


def test_a_429_is_not_saved(api: stripe.StripeClient, sandbox: Sandbox) -> None:
    sandbox.faults.add("accounts.create", "429")
    with pytest.raises(stripe.RateLimitError) as excinfo:
        api.v1.accounts.create(params=CREATE, options={"idempotency_key": "busy"})
    assert excinfo.value.http_status == 429
    assert live_accounts(sandbox) == 0
    assert len(sandbox.log) == 1  # the SDK does not retry a 429

    created = api.v1.accounts.create(params=CREATE, options={"idempotency_key": "busy"})

    assert "idempotent-replayed" not in created.last_response.headers
    assert live_accounts(sandbox) == 1


def test_keys_expire_after_24_hours(connect: Connect) -> None:
    now = [1_800_000_000.0]
    sb = Sandbox(clock=lambda: now[0])
    client = connect(sb)
    first = client.v1.accounts.create(params=CREATE, options={"idempotency_key": "old"})
    now[0] += 23 * 3600
    assert client.v1.accounts.create(params=CREATE, options={"idempotency_key": "old"}).id == first.id

    now[0] += 2 * 3600

    later = client.v1.accounts.create(params=dict(CREATE, email="x@example.com"), options={"idempotency_key": "old"})
    assert later.id != first.id
    sb.close()
