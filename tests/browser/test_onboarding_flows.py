"""End to end in headless Chromium: five onboarding journeys in three languages, accessible on every page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser.driver import BrowserWizard
from tests.test_wizard import DE, JP, US
from tests.test_wizard_company import GB_COMPANY, GB_PERSON, US_COMPANY, _owner

# Frozen by tests/browser/conftest.py for the whole session, with Playwright left on the real clock.
pytestmark = pytest.mark.own_clock


def _wizard(page: Any, live_app: tuple[Flask, str], axe: Any, locale: str) -> BrowserWizard:
    app, base = live_app
    return BrowserWizard(page, app, base, axe, locale)


def _done(wizard: BrowserWizard) -> None:
    assert wizard.path == "/onboarding" and wizard.state() == "enabled", wizard.steps
    sandbox = wizard.app.extensions["stripe_sandbox"]
    account = wizard.app.test_client().get(f"/api/v1/accounts/{wizard.account['id']}", headers={
        "Authorization": "Bearer platform-browser-key"}).get_json()
    assert account["requirements"]["currently_due"] == [] and account["payouts_enabled"] is True
    assert account["stripe_id"] in sandbox.store.accounts


def test_us_individual_in_english(page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    wizard = _wizard(page, live_app, axe, "en")
    wizard.open("US", "individual")
    wizard.run(US)
    _done(wizard)
    assert page.get_attribute("html", "lang") == "en"


def test_de_individual_with_an_iban_in_german(page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    wizard = _wizard(page, live_app, axe, "de")
    wizard.open("DE", "individual")
    wizard.run(DE)
    _done(wizard)
    assert page.get_attribute("html", "lang") == "de" and "Kontostatus" in page.content()


def test_jp_individual_with_kana_and_kanji_in_japanese(page: Any, live_app: tuple[Flask, str], axe: Any) -> None:
    wizard = _wizard(page, live_app, axe, "ja")
    wizard.open("JP", "individual")
    wizard.run(JP)
    _done(wizard)
    assert page.get_attribute("html", "lang") == "ja"


@pytest.fixture(params=["documented", "country_specs"])
def naming(request: pytest.FixtureRequest, live_app: tuple[Flask, str]) -> Iterator[str]:
    """Name requirements as Stripe's walk-through shows, then as the Country Specs do (the app takes both).

    Only companies' journeys differ between the two (people and their roles); an individual's are alike.
    """
    sandbox = live_app[0].extensions["stripe_sandbox"]
    before, sandbox.requirement_naming = sandbox.requirement_naming, request.param
    yield request.param
    sandbox.requirement_naming = before


def test_us_company_with_two_owners_in_french(page: Any, live_app: tuple[Flask, str], axe: Any, naming: str) -> None:
    wizard = _wizard(page, live_app, axe, "fr")
    wizard.open("US", "company")
    wizard.run({**US_COMPANY, "company.owners_provided": True, "tos_acceptance": True,
                "representative.relationship.executive": True},
               people={"owners": [_owner("Ada", "Lovelace"), _owner("Alan", "Turing")]})
    _done(wizard)
    assert wizard.steps.count("owners") == 3  # two people added, then "everyone is added"


def test_gb_company_in_german(page: Any, live_app: tuple[Flask, str], axe: Any, naming: str) -> None:
    wizard = _wizard(page, live_app, axe, "de")
    wizard.open("GB", "company")
    people = {role: [{**{f"{role}.{k}": v for k, v in GB_PERSON.items()}, f"{role}.first_name": "Ada",
                      f"{role}.last_name": role.title()}] for role in ("owners", "directors", "executives")}
    flags = {f"company.{role}_provided": True for role in ("owners", "directors", "executives")}
    wizard.run({**GB_COMPANY, **flags, "company.ownership_declaration": True,
                "company.directorship_declaration": True, "tos_acceptance": True,
                "representative.relationship.executive": True}, people=people)
    _done(wizard)


def test_a_failing_check_brings_the_user_back_to_exactly_that_step(page: Any, live_app: tuple[Flask, str],
                                                                     axe: Any) -> None:
    wizard = _wizard(page, live_app, axe, "en")
    wizard.open("US", "individual")
    wizard.fill(US)
    wizard.submit()
    assert wizard.path == "/onboarding/step/individual"
    wizard.fill({**US, "individual.dob.year": "1990"})  # not a test date of birth: the identity check fails
    wizard.submit()
    assert wizard.path == "/onboarding/step/individual"
    assert page.query_selector('[name="individual.verification.document.front"]') is not None
    assert "We could not verify these identity details" in page.content()
    wizard.check_accessibility()


def test_it_works_with_javascript_disabled_on_a_desk_sized_screen(chromium: Any, live_app: tuple[Flask, str]) -> None:
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    try:
        wizard = _wizard(tab, live_app, None, "es")
        wizard.check_accessibility = lambda: None  # axe needs JavaScript; the other tests run it
        wizard.open("DE", "individual")
        wizard.run(DE)
        assert wizard.path == "/onboarding" and 'data-state="enabled"' in tab.content()
        assert tab.get_attribute("html", "lang") == "es"
    finally:
        context.close()


def test_the_error_summary_takes_focus_and_links_to_the_inputs(page: Any, live_app: tuple[Flask, str],
                                                                axe: Any) -> None:
    wizard = _wizard(page, live_app, axe, "en")
    wizard.open("US", "individual")
    wizard.fill({**US, "business_profile.url": "not a website"})
    wizard.submit()
    # `autofocus` is applied when the browser next renders, after the load event: wait for it, not for luck.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=5000)
    wizard.check_accessibility()
    page.keyboard.press("Tab")  # the first link of the summary goes to the input in error
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#business_profile.url"
