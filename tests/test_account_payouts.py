"""The account page's payouts (issue 16): the schedule within the platform's choices, and payouts at a glance."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.wizard import Page, Wizard
from tests.test_account_page import _update_link
from tests.test_wizard import US

SCHEDULE = "/account/payout-schedule"
ALLOWED = {"PAYOUT_SCHEDULE_INTERVALS": ["daily", "weekly", "monthly"], "PAYOUT_DELAY_DAYS": ["minimum", "1", "7"]}


@pytest.fixture
def app_config(app_config: dict[str, Any], request: pytest.FixtureRequest) -> dict[str, Any]:
    """Return the suite's configuration with this test's payout settings (`indirect` parameters)."""
    return {**app_config, **getattr(request, "param", {})}


def _onboarded(client: FlaskClient) -> Wizard:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    _update_link(client, wizard)
    return wizard


def _schedule(sandbox: Any, wizard: Wizard) -> dict[str, Any]:
    return sandbox.render(sandbox.store.accounts[wizard.account["stripe_id"]])["settings"]["payouts"]["schedule"]


@pytest.mark.parametrize("app_config", [ALLOWED], indirect=True)
def test_a_user_changes_the_payout_schedule_within_the_platforms_choices(client: FlaskClient, sandbox: Any) -> None:
    wizard = _onboarded(client)
    account_page = client.get("/account").get_data(as_text=True)
    assert "Every business day" in account_page and 'data-testid="schedule-link"' in account_page
    page = Page(SCHEDULE, client.get(SCHEDULE))
    assert page.response.status_code == 200 and 'data-testid="schedule-form"' in page.html
    assert 'value="manual"' not in page.html  # not one of the platform's choices
    response = wizard.submit(page, {"settings.payouts.schedule.interval": "weekly",
                                    "settings.payouts.schedule.weekly_anchor": "friday",
                                    "settings.payouts.schedule.monthly_anchor": "1",
                                    "settings.payouts.schedule.delay_days": "7"})
    assert response.status_code == 303 and response.headers["Location"] == "/account?saved=payout_schedule"
    schedule = _schedule(sandbox, wizard)
    assert schedule["interval"] == "weekly" and schedule["weekly_anchor"] == "friday" and schedule["delay_days"] == 7
    account_page = client.get("/account?saved=payout_schedule").get_data(as_text=True)
    assert "Every week (Friday)" in account_page and 'data-testid="saved"' in account_page


@pytest.mark.parametrize("app_config", [ALLOWED], indirect=True)
def test_a_schedule_outside_the_choices_or_refused_by_stripe_is_shown_on_its_input(client: FlaskClient,
                                                                                     sandbox: Any) -> None:
    wizard = _onboarded(client)
    page = Page(SCHEDULE, client.get(SCHEDULE))
    writes = len(sandbox.log)
    tampered = wizard.submit(page, {"settings.payouts.schedule.interval": "manual"}, extra={
        "settings.payouts.schedule.interval": "manual"})
    assert tampered.status_code == 422 and "Choose one of the options." in tampered.get_data(as_text=True)
    assert len(sandbox.log) == writes  # nothing was sent
    refused = wizard.submit(page, {"settings.payouts.schedule.interval": "daily",
                                   "settings.payouts.schedule.weekly_anchor": "monday",
                                   "settings.payouts.schedule.monthly_anchor": "1",
                                   "settings.payouts.schedule.delay_days": "1"})  # below the US minimum of 2
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="settings.payouts.schedule.delay_days-error"' in html
    assert _schedule(sandbox, wizard)["delay_days"] == 2


def test_without_the_platforms_leave_the_schedule_is_shown_but_not_changed(client: FlaskClient, sandbox: Any) -> None:
    wizard = _onboarded(client)
    page = Page(SCHEDULE, client.get(SCHEDULE))
    assert 'data-testid="schedule-fixed"' in page.html and "<select" not in page.html
    assert "Every business day" in page.html
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.html).group(1)  # the exit form's
    refused = client.post(SCHEDULE, data={"settings.payouts.schedule.interval": "weekly", "csrf_token": csrf})
    assert refused.status_code == 403 and _schedule(sandbox, wizard)["interval"] == "daily"


def test_payouts_at_a_glance_read_stripe_twice_a_minute_at_most(client: FlaskClient, sandbox: Any,
                                                                clock: Any) -> None:
    wizard = _onboarded(client)
    stripe_id = wizard.account["stripe_id"]
    sandbox.credit_balance(stripe_id, "usd", 10_000)
    sandbox.credit_balance(stripe_id, "usd", 2_500, pending=True)
    paid = sandbox.create_payout(stripe_id, amount=2_000)
    upcoming = sandbox.create_payout(stripe_id, amount=1_000, status="in_transit")
    failed = sandbox.create_payout(stripe_id, amount=500, status="failed", failure_code="account_closed")
    before = len(sandbox.log)
    html = client.get("/account/payouts").get_data(as_text=True)
    assert len(sandbox.log) - before == 2  # the balance and the payouts (issue 16: at most 3)
    balance = html.split('data-testid="balance"', 1)[1].split("</section>", 1)[0]
    assert "$70.00" in balance and "$25.00" in balance  # 100 - 20 - 10 available (the failed 5 came back)
    assert f'data-payout="{paid["id"]}" data-status="paid"' in html.split('data-testid="recent"', 1)[1]
    assert f'data-payout="{upcoming["id"]}"' in html.split('data-testid="upcoming"', 1)[1].split("</section>")[0]
    failed_part = html.split('data-testid="failed"', 1)[1].split("</section>", 1)[0]
    assert f'data-payout="{failed["id"]}" data-code="account_closed"' in failed_part
    assert "The bank account has been closed. Add another bank account for payouts." in failed_part
    assert "•••• 6789" in html and "000123456789" not in html
    client.get("/account/payouts")
    assert len(sandbox.log) - before == 2  # within the minute: kept
    clock.tick(61)
    client.get("/account/payouts")
    assert len(sandbox.log) - before == 4


@pytest.mark.parametrize("app_config", [{"NOTIFY_USER_PAYOUT_CHANGES": True, "SMTP_HOST": "smtp.invalid",
                                         "SMTP_FROM": "payouts@platform.example"}], indirect=True)
def test_the_user_is_emailed_in_their_language_when_the_payout_account_changes(
        client: FlaskClient, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import flask_babel
    from flask_babel import force_locale, gettext
    from sqlmodel import Session, select

    from onboarding.db import get_engine
    from onboarding.models import Notification
    from tests.test_themes import FakeSMTP, send_from_a_thread

    monkeypatch.setattr("onboarding.notify.smtplib.SMTP", FakeSMTP)
    wizard = Wizard(client, "US")
    wizard.complete(US)
    flask_babel.refresh()  # pytest-flask's one app context keeps the first request's locale otherwise
    client.get("/?lang=de")
    _update_link(client, wizard)
    bank = "/onboarding/step/bank_account"
    response = wizard.submit(Page(bank, client.get(bank)), {**US, "external_account.account_number": "000999999999"})
    assert response.status_code == 303, response.get_data(as_text=True)
    with Session(get_engine(app)) as session:
        kinds = {n.kind: n.payload for n in session.exec(select(Notification))}
    assert set(kinds) >= {"account.payout_account_changed", "user.payout_account_changed"}
    told = kinds["user.payout_account_changed"]
    assert told["to"] == "user@example.com" and told["locale"] == "de"
    assert told["current"] == [{"last4": "9999", "currency": "usd"}]  # never a number
    message = send_from_a_thread(app, "user.payout_account_changed", told)
    with app.test_request_context(), force_locale("de"):
        subject = gettext("Your payout bank account was changed")
    assert message["To"] == "user@example.com" and message["Subject"] == subject
    assert "9999 (USD)" in message.get_content() and "000999999999" not in message.get_content()



def test_the_payouts_page_says_when_stripe_cannot_be_reached(client: FlaskClient, sandbox: Any) -> None:
    _onboarded(client)
    sandbox.faults.add("balance.retrieve", "500")
    response = client.get("/account/payouts")
    assert response.status_code == 503 and 'data-testid="stripe-unreachable"' in response.get_data(as_text=True)
    assert client.get("/account/payouts").status_code == 200  # the next view reads Stripe again: nothing kept
