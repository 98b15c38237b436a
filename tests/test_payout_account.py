"""Replacing the payout bank account: only from a link opened moments ago, and the platform is told (issue 14).

A copied session cookie kept working for two hours and replaced the payout account. The session is
not something only the user has; the link the platform just gave them is. So an account that exists
is replaced only within `PAYOUT_CHANGE_MINUTES` of opening a link (later, the page offers the
platform's refresh URL, which makes a new link), and every replacement is notified.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import Notification
from tests.support.wizard import URLS, Page, Wizard
from tests.test_wizard import US

NEW = {**US, "external_account.account_number": "000999999999"}
BANK = "/onboarding/step/bank_account"


def _last4(sandbox: Any, wizard: Wizard) -> list[str]:
    banks = sandbox.store.accounts[wizard.account["stripe_id"]].external_accounts
    return [sandbox.store.bank_accounts[b].last4 for b in banks]


def _notifications(app: Flask) -> list[Notification]:
    with Session(get_engine(app)) as session:
        return list(session.exec(select(Notification).where(Notification.kind == "account.payout_account_changed")))


def test_an_old_visit_cannot_replace_the_payout_account(client: FlaskClient, app: Flask, sandbox: Any,
                                                        clock: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    assert _last4(sandbox, wizard) == ["6789"]
    clock.tick(16 * 60)  # the session lasts two hours; the right to change the payout account, fifteen minutes
    page = Page(BANK, client.get(BANK))
    assert 'data-testid="payout-window"' in page.html and "within 15 minutes" in page.html
    writes = len(sandbox.log)
    refused = wizard.submit(page, NEW)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Open a new link, then enter the new account." in html
    assert f'data-testid="new-link"><a href="{URLS["refresh_url"]}"' in html  # the platform makes a new link
    assert _last4(sandbox, wizard) == ["6789"] and len(sandbox.log) == writes  # Stripe was not asked
    assert _notifications(app) == []


def test_a_copied_cookie_cannot_replace_the_payout_account(client: FlaskClient, app: Flask, sandbox: Any,
                                                           clock: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    clock.tick(16 * 60)
    page = Page(BANK, thief.get(BANK))
    assert Wizard(thief, "US").submit(page, NEW).status_code == 422
    assert _last4(sandbox, wizard) == ["6789"]


def test_a_fresh_link_replaces_it_and_the_platform_is_told(client: FlaskClient, app: Flask, sandbox: Any,
                                                           clock: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    clock.tick(10 * 60)  # within fifteen minutes of opening the link
    page = Page(BANK, client.get(BANK))
    assert wizard.submit(page, NEW).status_code == 303
    assert _last4(sandbox, wizard) == ["9999"]  # replaced: the new one is the default for the currency
    [notification] = _notifications(app)
    payload = notification.payload
    assert [b["last4"] for b in payload["previous"]] == ["6789"] and [b["last4"] for b in payload["current"]] == ["9999"]
    assert payload["account"] == wizard.account["id"] and payload["ip"] == "127.0.0.1" and payload["onboarding_link"]
    assert "000999999999" not in json.dumps(payload) and "000123456789" not in json.dumps(payload)
    assert app.extensions["notifications"].drain()
    assert _notifications(app)[0].sent_at is not None  # sent after the commit, by the dispatcher's thread


def test_the_first_payout_account_needs_no_fresh_link(client: FlaskClient, app: Flask, sandbox: Any,
                                                      clock: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete(US, until=lambda p: p.path == BANK)
    clock.tick(60 * 60)  # long after the link was opened: nothing is being replaced
    assert 'data-testid="payout-window"' not in page.html
    assert wizard.submit(Page(BANK, client.get(BANK)), US).status_code == 303
    assert _last4(sandbox, wizard) == ["6789"] and _notifications(app) == []


def test_the_same_account_entered_again_is_no_change_to_tell(client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    assert wizard.submit(Page(BANK, client.get(BANK)), US).status_code == 303  # Stripe: bank_account_exists
    assert _last4(sandbox, wizard) == ["6789"] and _notifications(app) == []
