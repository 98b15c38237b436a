"""After onboarding, in headless Chromium on a phone-sized screen: the account page an update link opens (issue 16).

Each account is onboarded through the test client first (the onboarding journeys have their own browser
tests); the browser then opens an `account_update` link and does what a user does there. axe-core checks
every page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_babel import force_locale, gettext

from onboarding.manage.payout_failures import REASONS
from tests.browser.driver import API_KEY, BrowserWizard
from tests.support.wizard import URLS, Wizard
from tests.test_wizard import US
from tests.test_wizard_company import GB_PERSON, complete_gb_company

pytestmark = pytest.mark.own_clock  # frozen by tests/browser/conftest.py, with Playwright on the real clock
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def _account_page(page: Any, live_app: tuple[Flask, str], axe: Any, wizard: Wizard, locale: str) -> BrowserWizard:
    """Open an update link of the wizard's account in the browser; return the browser on the account page."""
    app, base = live_app
    browser = BrowserWizard(page, app, base, axe, locale, account=wizard.account)
    link = app.test_client().post(f"/api/v1/accounts/{wizard.account['id']}/links", headers=AUTH,
                                  json={**URLS, "type": "account_update"}).get_json()
    page.goto(f"{base}/?lang={locale}")
    page.goto(base + urlsplit(link["url"]).path)
    assert browser.path == "/account", browser.path
    browser.check_accessibility()
    return browser


def _go(browser: BrowserWizard, selector: str) -> None:
    """Follow a link, and check the page it opens."""
    with browser.page.expect_navigation():
        browser.page.click(selector)
    browser.check_accessibility()


def _saved(browser: BrowserWizard, section: str) -> None:
    assert browser.path == "/account" and f"saved={section}" in browser.page.url, browser.page.url
    assert browser.page.query_selector('[data-testid="saved"]') is not None
    browser.check_accessibility()


def test_an_individual_updates_their_address_and_replaces_their_bank_account(
        page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    app = live_app[0]
    wizard = Wizard(app.test_client(), "US", auth=AUTH)
    wizard.complete(US)
    browser = _account_page(page, live_app, axe, wizard, "en")
    _go(browser, '[data-testid="details"] a[href="/onboarding/step/individual"]')
    assert page.query_selector('[data-testid="verifies-again"]') is not None
    browser.fill({"individual.address.line1": "1 Broadway", "individual.address.city": "Oakland",
                  "individual.address.postal_code": "94607"})
    browser.submit()
    _saved(browser, "individual")
    assert "Oakland" in page.inner_text('[data-testid="details"]')
    _go(browser, '[data-testid="details"] a[href="/onboarding/step/bank_account"]')
    assert page.query_selector('[data-testid="payout-window"]') is not None  # 15 minutes from opening the link
    browser.fill({"external_account.routing_number": "110000000", "external_account.account_number": "000999999999"})
    browser.submit()
    _saved(browser, "bank_account")
    assert "•••• 9999" in page.inner_text('[data-testid="details"]')
    sandbox = app.extensions["stripe_sandbox"]
    stripe = sandbox.store.accounts[wizard.account["stripe_id"]]
    banks = [sandbox.store.bank_accounts[b] for b in stripe.external_accounts]
    assert [(b.last4, b.currency, b.default_for_currency) for b in banks] == [("9999", "usd", True)]


def test_a_company_adds_an_owner_and_removes_a_director_keeping_its_declarations(
        page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    app = live_app[0]
    wizard = Wizard(app.test_client(), "GB", "company", auth=AUTH)
    complete_gb_company(wizard, more={"directors": ["Bea"]})
    browser = _account_page(page, live_app, axe, wizard, "de")
    _go(browser, '[data-testid="details"] a[href="/onboarding/step/owners"]')
    save = 'form:has(input[name="action"][value="save"])'
    carry_on = 'form:has(input[name="action"][value="continue"])'
    browser.fill({**{f"owners.{k}": v for k, v in GB_PERSON.items()}, "owners.first_name": "Grace",
                  "owners.last_name": "Hopper"}, save)
    browser.submit(save)
    assert browser.path == "/onboarding/step/owners" and page.query_selector('[data-testid="reconfirm"]')
    browser.check_accessibility()
    browser.fill({"company.owners_provided": True, "company.ownership_declaration": True}, carry_on)
    browser.submit(carry_on)
    _saved(browser, "owners")
    _go(browser, '[data-testid="details"] a[href="/onboarding/step/directors"]')
    sandbox = app.extensions["stripe_sandbox"]
    stripe_id = wizard.account["stripe_id"]
    bea = next(p for p in sandbox.store.persons_of(stripe_id) if p.data.get("first_name") == "Bea")
    remove = f'form:has(input[name="action"][value="remove"]):has(input[name="person"][value="{bea.id}"])'
    browser.submit(remove)
    assert browser.path == "/onboarding/step/directors" and page.query_selector('[data-testid="reconfirm"]')
    browser.check_accessibility()
    browser.fill({"company.directors_provided": True, "company.directorship_declaration": True}, carry_on)
    browser.submit(carry_on)
    _saved(browser, "directors")
    people = sandbox.store.persons_of(stripe_id)
    owners = sorted(p.data["last_name"] for p in people if p.data.get("relationship", {}).get("owner"))
    directors = sorted(p.data["first_name"] for p in people if p.data.get("relationship", {}).get("director"))
    assert owners == ["Hopper", "Owners"] and directors == ["Ada"]
    company = sandbox.store.accounts[stripe_id].data["company"]
    assert company["owners_provided"] is True and company["directors_provided"] is True
    assert company["ownership_declaration"]["date"] and company["directorship_declaration"]["date"]


@pytest.fixture
def schedule_choices(live_app: tuple[Flask, str]) -> Any:
    """Let users choose weekly or monthly payouts for the test (the platform's setting), then take it back."""
    config = live_app[0].config
    before = config["PAYOUT_SCHEDULE_INTERVALS"]
    yield config
    config["PAYOUT_SCHEDULE_INTERVALS"] = before


def test_a_user_changes_the_payout_schedule_where_allowed_and_not_elsewhere(
        page: Any, live_app: tuple[Flask, str], axe: Any, schedule_choices: Any) -> None:
    app = live_app[0]
    wizard = Wizard(app.test_client(), "US", auth=AUTH)
    wizard.complete(US)
    browser = _account_page(page, live_app, axe, wizard, "fr")
    _go(browser, '[data-testid="schedule-link"]')  # not allowed: shown, no form
    assert page.query_selector('[data-testid="schedule-fixed"]') and not page.query_selector("select")
    schedule_choices["PAYOUT_SCHEDULE_INTERVALS"] = ["daily", "weekly", "monthly"]
    page.reload()
    browser.check_accessibility()
    form = '[data-testid="schedule-form"]'
    browser.fill({"settings.payouts.schedule.interval": "monthly", "settings.payouts.schedule.monthly_anchor": "15"},
                 form)
    browser.submit(form)
    _saved(browser, "payout_schedule")
    schedule = app.extensions["stripe_sandbox"].render(
        app.extensions["stripe_sandbox"].store.accounts[wizard.account["stripe_id"]])["settings"]["payouts"]["schedule"]
    assert schedule["interval"] == "monthly" and schedule["monthly_anchor"] == 15


def test_a_user_sees_a_failed_payout_with_its_reason_in_their_language(
        page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    app = live_app[0]
    wizard = Wizard(app.test_client(), "US", auth=AUTH)
    wizard.complete(US)
    sandbox = app.extensions["stripe_sandbox"]
    sandbox.credit_balance(wizard.account["stripe_id"], "usd", 5_000)
    failed = sandbox.create_payout(wizard.account["stripe_id"], amount=1_234, status="failed",
                                   failure_code="account_closed")
    browser = _account_page(page, live_app, axe, wizard, "de")
    _go(browser, '[data-testid="payouts-link"]')
    with app.test_request_context(), force_locale("de"):
        reason = gettext(REASONS["account_closed"])
    assert reason != REASONS["account_closed"]  # translated
    item = page.inner_text(f'[data-payout="{failed["id"]}"]')
    assert reason in item and "12,34" in item and "$" in item  # German number format
