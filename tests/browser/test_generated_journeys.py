"""Generated journeys in headless Chromium: the answers come from the catalog, as in tests/test_journeys.py.

The test client runs every country and business type (tests/test_journeys.py) through the same HTML
(the service sends no JavaScript); the browser runs the journeys issue 13 found blocked (a Singapore
company, a UAE company) and one journey of each business type and region in its own language, on a
phone-sized screen, with axe-core on every page. Only required inputs are
filled; a person is added only when the wizard comes back for one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.browser.driver import BrowserWizard
from tests.support.answers import PNG, Answers, parse_form

pytestmark = pytest.mark.own_clock  # frozen by tests/browser/conftest.py, Playwright on the real clock


def _journey(wizard: BrowserWizard, country: str, business_type: str, limit: int = 30) -> list[str]:
    answers = Answers(wizard.app.extensions["catalog"].version(), country, business_type)
    page = wizard.page
    for _ in range(limit):
        wizard.check_accessibility()
        if "/step/" not in wizard.path:
            return wizard.steps
        step = wizard.path.rsplit("/", 1)[1]
        came_back = bool(wizard.steps) and wizard.steps[-1] == step
        wizard.steps.append(step)
        if page.query_selector('form:has(input[name="action"][value="continue"])'):
            needy = page.query_selector('[data-attention="true"] a')
            if needy is not None:
                with page.expect_navigation():
                    needy.click()
                form = 'form:has(input[name="action"][value="save"])'
            elif came_back or not page.query_selector('[data-testid="people"]') and \
                    f'name="company.{step}_provided"' not in page.content():
                form = 'form:has(input[name="action"][value="save"])'
            else:
                form = 'form:has(input[name="action"][value="continue"])'
        elif page.query_selector('form:has(input[name="action"][value="save"])'):
            form = 'form:has(input[name="action"][value="save"])'
        else:
            form = "form"
        html = page.eval_on_selector(form, "f => f.outerHTML")
        given = answers.form(parse_form(html))
        files = {n for n in given if isinstance(given[n], tuple)}
        wizard.fill({n: v for n, v in given.items() if n not in files}, form)
        wizard.submit(form)
        errors = page.query_selector('[data-testid="error-summary"]')
        if errors is not None:  # documents are asked only once Stripe needs them: upload what is refused
            content = page.content()
            refused = set(re.findall(r'id="([^"]+)-error"', content))
            uploads = {n: {"name": "document.png", "mimeType": "image/png", "buffer": PNG} for n in refused
                       if re.search(rf'<input type="file" id="{re.escape(n)}"', content)}
            assert uploads and set(uploads) == refused, (step, errors.inner_text())
            wizard.fill({**{n: v for n, v in given.items() if n not in files}, **uploads}, form)
            wizard.submit(form)
            assert page.query_selector('[data-testid="error-summary"]') is None, (step, page.content()[-2000:])
    raise AssertionError(f"no end after {limit} pages: {wizard.steps}")


# The two journeys issue 13 found blocked, then every business type and region in a language of its own. The
# test client runs all 134 (tests/test_journeys.py); here each takes ~4 s with axe on every page, so a chosen set.
BROWSER_JOURNEYS = [
    ("SG", "company", "en"), ("AE", "company", "en"), ("HK", "company", "zh_Hant"), ("JP", "individual", "ja"),
    ("DE", "non_profit", "de"), ("US", "government_entity", "en"), ("BR", "company", "pt"),
    ("CA", "company", "fr"), ("TH", "individual", "en"),
]


@pytest.mark.parametrize("country, business_type, locale", BROWSER_JOURNEYS)
def test_a_generated_journey_ends_enabled(page: Any, live_app: tuple[Flask, str], axe: Any, country: str,
                                          business_type: str, locale: str) -> None:
    app, base = live_app
    wizard = BrowserWizard(page, app, base, axe, locale)
    wizard.open(country, business_type)
    _journey(wizard, country, business_type)
    assert wizard.path == "/onboarding" and wizard.state() == "enabled", wizard.steps
    assert page.get_attribute("html", "lang") == locale.replace("_", "-")
