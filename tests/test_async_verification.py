"""Verification that finishes after the write, as at Stripe: the user sees it pending, a webhook brings the outcome."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.wizard import Wizard
from tests.test_wizard import US


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return app_config | {"SANDBOX_DELIVER_WEBHOOKS": True}


@pytest.fixture
def asynchronous(sandbox: Any) -> Any:
    """Leave checks pending after each write, as Stripe and the sandbox server do, until `settle()`."""
    sandbox.auto_settle = False
    return sandbox


def test_a_pending_check_is_shown_then_its_outcome_arrives_by_webhook(client: FlaskClient, asynchronous: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete(US)  # dob 1901-01-01: verified, asynchronously
    assert 'data-state="pending"' in page.html
    state = wizard.state()
    assert "individual.dob.day" in state["requirements"]["pending_verification"]
    assert state["onboarding"]["state"] == "pending" and state["payouts_enabled"] is False

    asynchronous.settle()
    asynchronous.flush_webhooks()

    state = wizard.state()
    assert state["requirements"]["pending_verification"] == [] and state["onboarding"]["state"] == "enabled"
    assert state["payouts_enabled"] is True
    assert 'data-state="enabled"' in client.get("/onboarding").get_data(as_text=True)


def test_a_check_that_verifies_at_once_needs_no_webhook(client: FlaskClient, asynchronous: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete({**US, "individual.dob.year": "1902"})  # 1902-01-01: verified immediately
    assert 'data-state="enabled"' in page.html
    assert wizard.state()["requirements"]["pending_verification"] == []


def test_a_failed_check_arriving_later_asks_the_user_again(client: FlaskClient, asynchronous: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete({**US, "individual.dob.year": "1985"})  # any other dob fails keyed verification
    asynchronous.settle()
    asynchronous.flush_webhooks()
    state = wizard.state()
    assert "individual.verification.document" in state["requirements"]["currently_due"]
    assert state["onboarding"]["state"] == "action_required"
