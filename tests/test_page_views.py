"""Page views never call Stripe: the wizard reads what Stripe holds from our cache."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask_babel import refresh
from flask.testing import FlaskClient
from sqlmodel import Session

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount
from tests.support.wizard import Page, Wizard
from tests.test_wizard import US
from tests.test_wizard_company import US_COMPANY, _owner


class CountingClient:
    """Wrap the test client: count the Stripe requests each wizard page view makes."""

    def __init__(self, client: FlaskClient, sandbox: Any) -> None:
        self.client, self.sandbox = client, sandbox
        self.views: list[tuple[str, int]] = []

    def get(self, path: str, *args: Any, **kwargs: Any) -> Any:
        """Fetch a page and record how many Stripe requests it made."""
        before = len(self.sandbox.log)
        response = self.client.get(path, *args, **kwargs)
        if path.startswith("/onboarding"):
            self.views.append((path, len(self.sandbox.log) - before))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.mark.parametrize("country, business_type", [("US", "individual"), ("US", "company")])
def test_no_stripe_call_on_any_page_view(client: FlaskClient, sandbox: Any, country: str,
                                         business_type: str) -> None:
    counting = CountingClient(client, sandbox)
    wizard = Wizard(counting, country, business_type)  # type: ignore[arg-type]
    if business_type == "individual":
        wizard.complete(US)
    else:
        page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
        page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
        page = wizard.follow(wizard.submit(page.form("save"), _owner("Ada", "Lovelace")))
        page = wizard.follow(wizard.submit(page.form("continue"), {"company.owners_provided": "yes"}))
        for _ in range(2):
            page = wizard.follow(wizard.submit(page, US_COMPANY))
        assert "/step/" not in page.path
        for path in ("/onboarding/step/representative", "/onboarding/step/owners", "/onboarding/step/terms"):
            Page(path, counting.get(path))  # going back over every page: still no call
    assert len(counting.views) >= 6
    assert [view for view in counting.views if view[1]] == []


def test_a_row_from_before_the_cache_reads_stripe_once(client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = Wizard(client, "US", "company")
    wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    with Session(get_engine(app)) as session:
        account = session.get(ConnectedAccount, wizard.account["id"])
        account.stripe_profile = account.stripe_persons = None  # as migration 0006 leaves older rows
        session.add(account)
        session.commit()
    before = len(sandbox.log)
    first = client.get("/onboarding/step/business").get_data(as_text=True)
    assert {e["operation"] for e in sandbox.log[before:]} == {"accounts.retrieve", "persons.list"}
    assert 'value="https://accessible.stripe.com"' in first  # prefilled from what was read
    before = len(sandbox.log)
    client.get("/onboarding/step/business")
    assert len(sandbox.log) == before


def test_a_repeat_view_is_a_new_form_with_what_stripe_holds_now(client: FlaskClient) -> None:
    """Issue 15 removed the page cache: every view renders, with a new submission value and fresh answers."""
    wizard = Wizard(client, "US")
    first = wizard.start()
    again = Page(first.path, client.get(first.path))
    assert again.hidden()["submission"] != first.hidden()["submission"]
    strip = lambda page: re.sub(r'name="(csrf_token|submission)" value="[^"]*"', "", page.html)  # noqa: E731
    assert strip(again) == strip(first)
    assert wizard.submit(again, US).status_code == 303
    back = Page(first.path, client.get(first.path))
    assert '<option value="5734" selected>' in back.html  # the answer, as Stripe holds it now
    refresh()  # pytest-flask keeps one app context for the test: Flask-Babel would keep the first request's locale
    german = client.get(first.path + "?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in german


def test_unanswered_questions_are_rendered_once_per_language_and_nothing_personal_is_kept(
        client: FlaskClient, app: Flask) -> None:
    """What a question looks like unanswered is kept (issue 15); a question with a value is rendered each time."""
    blanks = app.extensions["wizard_blanks"]
    wizard = Wizard(client, "US")
    first = wizard.start()
    assert {key[4] for key in blanks._kept} >= {"business_profile.mcc", "business_profile.url"}
    assert wizard.submit(first, US).status_code == 303
    answered = Page(first.path, client.get(first.path)).html
    assert '<option value="5734" selected>' in answered and 'value="https://accessible.stripe.com"' in answered
    kept = " ".join(str(markup) for _field, markup in blanks._kept.values())
    assert "accessible.stripe.com" not in kept and 'value="5734" selected' not in kept  # no answer is kept
    refresh()  # pytest-flask keeps one app context for the test: Flask-Babel would keep the first request's locale
    person = client.get("/onboarding/step/individual?lang=de").get_data(as_text=True)
    assert 'name="individual.first_name"' in person and {key[5] for key in blanks._kept} >= {"en", "de"}


def test_a_person_change_alone_is_seen_on_the_next_view(client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = Wizard(client, "US", "company")
    page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
    owners = client.get("/onboarding/step/owners").get_data(as_text=True)
    assert "Lovelace" not in owners
    with Session(get_engine(app)) as session:  # as `flask outbox retry` records a person it found
        account = session.get(ConnectedAccount, wizard.account["id"])
        account.keep_person({"id": "person_found", "first_name": "Ada", "last_name": "Lovelace",
                             "relationship": {"owner": True}})
        session.add(account)
        session.commit()
    assert "Lovelace" in client.get("/onboarding/step/owners").get_data(as_text=True)


def test_a_kept_question_is_never_shown_to_another_country(client: FlaskClient, app: Flask) -> None:
    """The same catalog field may serve several countries; its regions are each country's own."""
    from onboarding.wizard.forms import Setting, bind
    from onboarding.wizard.render import render_question
    from requirements_catalog import Catalog

    version = Catalog().version()
    with app.test_request_context():
        shown = {}
        for country in ("US", "CA"):
            field = version.country(country).field_for("individual", "individual.address")
            [question] = bind([field], Setting(country, version, "en", str), None)[1]
            shown[country] = str(render_question(question))
        assert '<option value="CA">' in shown["US"] and '<option value="ON">' not in shown["US"]
        assert '<option value="ON">' in shown["CA"]
