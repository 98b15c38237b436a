"""The onboarding wizard end to end through the test client, against the in-process sandbox."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from onboarding.db import get_engine
from tests.support.clock import TEST_NOW
from tests.support.wizard import Page, Wizard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00" + b"\x00" * 64
BASE = {
    "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com",
    "individual.first_name": "Jenny", "individual.last_name": "Rosen", "individual.email": "jenny@example.com",
    "individual.phone": "0000000000", "individual.dob.day": "1", "individual.dob.month": "1",
    "individual.dob.year": "1901", "individual.address.line1": "address_full_match",
    "individual.political_exposure": "none",
    "tos_acceptance": "yes",
}
US = {**BASE, "individual.address.city": "San Francisco", "individual.address.state": "CA",
      "individual.address.postal_code": "94103", "individual.ssn_last_4": "0000",
      "external_account.routing_number": "110000000", "external_account.account_number": "000123456789"}
DE = {**BASE, "individual.address.city": "Berlin", "individual.address.postal_code": "10117",
      "external_account.iban": "DE89 3704 0044 0532 0130 00", "external_account.currency": "eur"}


def _enabled(wizard: Wizard) -> None:
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True
    assert state["onboarding"]["state"] == "enabled"


def test_us_individual_from_link_to_payouts(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete(US)
    assert wizard.steps == ["business", "individual", "bank_account", "terms"]
    assert 'data-state="enabled"' in page.html
    _enabled(wizard)
    stripe = sandbox.store.accounts[wizard.account["stripe_id"]]
    assert sandbox.store.persons[stripe.individual].data["address"]["state"] == "CA"
    assert stripe.data["tos_acceptance"]["ip"]


def test_a_stale_catalog_does_not_stop_onboarding(client: FlaskClient, app: Flask, clock: Any) -> None:
    """A catalog past its six months is for compliance to review (`catalog check` says so); users still onboard."""
    clock.move_to(TEST_NOW + timedelta(days=400))
    check = app.test_cli_runner().invoke(args=["catalog", "check", "--format", "json"])
    assert check.exit_code == 1 and json.loads(check.stdout)["stale"] is True
    wizard = Wizard(client, "US")
    assert 'data-state="enabled"' in wizard.complete(US).html
    _enabled(wizard)


def test_de_individual_with_an_iban_and_no_number_kept_here(client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = Wizard(client, "DE")
    wizard.complete(DE)
    _enabled(wizard)
    banks = sandbox.store.accounts[wizard.account["stripe_id"]].external_accounts
    assert [sandbox.store.bank_accounts[b].last4 for b in banks] == ["3000"]
    with get_engine(app).connect() as connection:
        for table in ("connected_accounts", "stripe_writes", "onboarding_links"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert "0532013000" not in repr(rows)


def test_errors_come_back_on_their_inputs_and_keep_what_was_typed(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    page = wizard.follow(wizard.submit(page, US))  # business
    answers = {**US, "individual.address.postal_code": "9410", "individual.first_name": "Jenny"}
    response = wizard.submit(page, answers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="error-summary"' in html
    assert 'id="individual.address.postal_code-error"' in html and "Enter a valid postal code, for example" in html
    assert 'aria-describedby="individual.address.postal_code-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Jenny"' in html and 'value="0000"' not in html  # the SSN digits are never echoed


def test_a_tampered_post_is_refused_and_writes_nothing(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    before = len(sandbox.log)
    response = wizard.submit(page, US, extra={"individual.first_name": "Mallory"})  # not a field of this step
    assert response.status_code == 400 and len(sandbox.log) == before


def test_a_double_submit_is_replayed_not_repeated(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    for _ in range(2):
        page = wizard.follow(wizard.submit(page, US))  # business, then individual
    first = wizard.submit(page, US)
    again = wizard.submit(page, US, submission=page.hidden()["submission"])
    assert first.status_code == again.status_code == 303
    # The bank account goes with the account update: one write, replayed the second time.
    updates = [e for e in sandbox.log if e["operation"] == "accounts.update" and "external_account" in e["params"]]
    assert len(updates) == 2 and updates[1]["replayed"] is True
    assert len(sandbox.store.accounts[wizard.account["stripe_id"]].external_accounts) == 1


def test_going_back_shows_what_was_entered(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    wizard.follow(wizard.submit(page, US))
    back = client.get("/onboarding/step/business").get_data(as_text=True)
    assert '<option value="5734" selected>' in back and 'value="https://accessible.stripe.com"' in back
    assert "/onboarding/step/business" in client.get("/onboarding/step/individual").get_data(as_text=True)


def test_a_failed_verification_brings_the_user_back_to_the_step_that_fixes_it(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    asks_document = lambda page: "individual.verification.document.front" in page.inputs()  # noqa: E731
    # Not one of Stripe's test dates of birth: the keyed identity check fails as soon as it runs.
    page = wizard.complete({**US, "individual.dob.year": "1990"}, until=asks_document)
    assert wizard.steps == ["business", "individual"] and page.path == "/onboarding/step/individual"
    answered = {n: v for n, v in US.items() if n in page.inputs() and n != "individual.ssn_last_4"}
    response = client.post(page.path, data={**page.hidden(), **answered, "individual.verification.document.front":
                                             (io.BytesIO(PNG), "passport.png")}, content_type="multipart/form-data")
    assert response.status_code == 303
    page = wizard.follow(response)
    for _ in range(2):  # bank account, terms
        page = wizard.follow(wizard.submit(page, US))
    _enabled(wizard)


@pytest.mark.parametrize("content, message", [
    (b"GIF89a" + b"\x00" * 32, "Upload a JPEG or PNG image."),
    (b"", "Upload a file."),
])
def test_documents_are_checked_by_content(client: FlaskClient, content: bytes, message: str) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete({**US, "individual.dob.year": "1990"},
                           until=lambda page: "individual.verification.document.front" in page.inputs())
    response = client.post(page.path, data={**page.hidden(), "individual.verification.document.front":
                                             (io.BytesIO(content), "passport.png")}, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


JP = {
    "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com",
    "business_profile.product_description": "オンラインでソフトウェアのライセンスを販売しています。",
    "individual.first_name_kana": "タロウ", "individual.last_name_kana": "ヤマダ",
    "individual.first_name_kanji": "太郎", "individual.last_name_kanji": "山田",
    "individual.email": "taro@example.com", "individual.phone": "0000000000",
    "individual.dob.day": "1", "individual.dob.month": "1", "individual.dob.year": "1901",
    "individual.address_kana.line1": "address_full_match", "individual.address_kana.town": "チヨダ",
    "individual.address_kana.city": "チヨダク", "individual.address_kana.state": "トウキョウト",
    "individual.address_kana.postal_code": "100-0001",
    "individual.address_kanji.line1": "address_full_match", "individual.address_kanji.town": "千代田",
    "individual.address_kanji.city": "千代田区", "individual.address_kanji.state": "東京都",
    "individual.address_kanji.postal_code": "1000001",
    "external_account.bank_code": "1100", "external_account.branch_code": "000",
    "external_account.account_number": "0001234", "external_account.account_holder_name": "ヤマダ タロウ",
    "tos_acceptance": "yes",
}


def test_jp_individual_with_kana_and_kanji_in_japanese(client: FlaskClient, sandbox: Any) -> None:
    client.get("/?lang=ja")
    wizard = Wizard(client, "JP")
    page = wizard.complete(JP)
    assert '<html lang="ja">' in page.html
    _enabled(wizard)
    person = sandbox.store.persons[sandbox.store.accounts[wizard.account["stripe_id"]].individual]
    assert person.data["first_name_kana"] == "タロウ" and person.data["address_kanji"]["state"] == "東京都"


def test_kana_names_must_be_kana(client: FlaskClient) -> None:
    wizard = Wizard(client, "JP")
    page = wizard.start()
    page = wizard.follow(wizard.submit(page, JP))
    response = wizard.submit(page, {**JP, "individual.first_name_kana": "太郎"})
    assert response.status_code == 422 and "Use kana characters only." in response.get_data(as_text=True)


def test_a_new_link_asks_only_what_is_needed_and_says_why(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    wizard.complete({**US, "individual.dob.year": "1990"},
                    until=lambda page: "individual.verification.document.front" in page.inputs())
    url = client.post(f"/api/v1/accounts/{wizard.account['id']}/links", headers={"Authorization":
                      "Bearer platform-test-key"}, json={"return_url": "https://p.example/r",
                                                        "refresh_url": "https://p.example/f"}).get_json()["url"]
    page = wizard.follow(client.get(url.removeprefix("http://localhost")))
    assert page.path == "/onboarding/step/individual"
    assert page.inputs()[:1] == ["individual.verification.document.front"]
    assert "We could not verify these identity details" in page.html
    assert "individual.first_name" not in page.inputs()  # answered and accepted: not asked again


def test_the_business_type_is_asked_first_when_the_platform_did_not_give_it(client: FlaskClient) -> None:
    wizard = Wizard(client, "US", business_type=None)
    page = wizard.start()
    assert page.path == "/onboarding/step/business_type" and page.inputs() == ["business_type"]
    assert '<option value="government_entity">' in page.html  # US only
    page = wizard.follow(wizard.submit(page, {"business_type": "company"}))
    assert page.path == "/onboarding/step/business" and "company.name" in page.inputs()
    assert wizard.state()["business_type"] == "company"


def test_future_requirements_are_asked_before_their_deadline(app: Flask) -> None:
    from datetime import datetime, timedelta, timezone

    from onboarding.models import ConnectedAccount
    from onboarding.wizard.plan import due_requirements

    now = datetime(2026, 11, 28, tzinfo=timezone.utc)
    account = ConnectedAccount(country="DE", business_type="company", requirements={"currently_due": ["company.name"]},
                               future_requirements={"currently_due": ["company.ownership_declaration.date"],
                                                    "current_deadline": int((now + timedelta(days=60)).timestamp())})
    assert due_requirements(account, "currently_due", now) == ["company.name"]
    assert due_requirements(account, "currently_due", now + timedelta(days=31)) == [
        "company.name", "company.ownership_declaration.date"]
    assert "company.ownership_declaration.date" in due_requirements(account, "eventually_due", now)


def test_the_terms_step_reviews_the_answers_without_numbers(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete(US, until=lambda page: page.path.endswith("/terms"))
    html = page.html
    assert 'data-testid="review"' in html and "Jenny" in html and "January 1, 1901" in html
    assert "Computer Software Stores" in html and "•••• 6789" in html
    assert "000123456789" not in html
    assert "<dt>Last 4 digits of the Social Security number</dt><dd>Provided</dd>" in html
    assert 'href="/onboarding/step/individual">Change' in html


def test_a_refusal_from_stripe_lands_on_the_input_its_param_names(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    response = wizard.submit(page, {**US, "business_profile.url": "https://shop.example/spring sale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422  # our check let it through; Stripe (the sandbox) refused it
    assert [e["status"] for e in sandbox.log if e["operation"] == "accounts.update"] == [400]
    assert 'id="business_profile.url-error"' in html and "Enter a website address starting with https://." in html


def test_stripe_being_unreachable_keeps_the_answers(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    sandbox.faults.add("accounts.update", "500", times=1)
    response = wizard.submit(page, US)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "We could not reach Stripe" in html
    assert 'value="https://accessible.stripe.com"' in html
    assert wizard.submit(Page(page.path, client.get(page.path)), US).status_code == 303


def test_a_mismatching_id_number_sends_the_user_back_to_it(client: FlaskClient) -> None:
    """Stripe's test ID number 111111111 fails the match; the individual step asks for it again."""
    hong_kong = {**BASE, "individual.address.city": "Central", "individual.id_number": "111111111",
                 "external_account.clearing_code": "110", "external_account.branch_code": "000",
                 "external_account.account_number": "000123456", "external_account.currency": "hkd"}
    wizard = Wizard(client, "HK")
    page = wizard.start()
    page = wizard.follow(wizard.submit(page, hong_kong))  # business
    response = wizard.submit(page, hong_kong)  # accepted as typed; Stripe's check then fails
    assert response.status_code == 303
    page = wizard.follow(response)
    assert page.path == "/onboarding/step/individual" and "individual.id_number" in page.inputs()
    assert "The ID number does not match the name and date of birth" in page.html
    assert wizard.submit(page, {**hong_kong, "individual.id_number": "000000000"}).status_code == 303


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.4\n" + b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "Upload a JPEG or PNG image."),  # a PDF/PNG polyglot
])
def test_hostile_uploads_are_refused_with_a_message(client: FlaskClient, content: bytes, message: str) -> None:
    wizard = Wizard(client, "US")
    page = wizard.complete({**US, "individual.dob.year": "1990"},
                           until=lambda page: "individual.verification.document.front" in page.inputs())
    response = client.post(page.path, data={**page.hidden(), "individual.verification.document.front":
                                             (io.BytesIO(content), "id.png")}, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_pixel_flood_is_refused_by_stripe_on_its_input(client: FlaskClient) -> None:
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (100_000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    wizard = Wizard(client, "US")
    page = wizard.complete({**US, "individual.dob.year": "1990"},
                           until=lambda page: "individual.verification.document.front" in page.inputs())
    response = client.post(page.path, data={**page.hidden(), "individual.verification.document.front":
                                             (io.BytesIO(header + b"\x00" * 64), "id.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422  # never a 5xx


def test_a_body_over_the_limit_is_refused_before_it_is_read(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    page = wizard.start()
    response = client.post(page.path, data={**page.hidden(), "business_profile.url": "x" * (22 * 1024 * 1024)})
    assert response.status_code == 413


def test_files_over_10_mb_are_refused() -> None:
    from onboarding.wizard.forms import Input, Question
    from onboarding.wizard.submit import Outcome, _check_files
    from requirements_catalog import Catalog

    field = Catalog().version().country("US").field_for("individual", "individual.verification.document")

    class Big:
        filename = "id.png"

        def read(self) -> bytes:
            return b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024)

    question = Question(field, [Input("individual.verification.document.front", "file", "Front")])
    outcome = Outcome()
    assert _check_files([question], {"individual.verification.document.front": Big()}, {field.path}, outcome) == {}
    assert [m.text for m in outcome.errors["individual.verification.document.front"]] == [
        "The file is larger than 10 MB."]


def test_the_same_bank_account_entered_again_is_kept(client: FlaskClient, sandbox: Any) -> None:
    """Stripe refuses a bank account the account has (bank_account_exists): the step keeps it and goes on."""
    wizard = Wizard(client, "US")
    wizard.complete(US)
    page = Page("/onboarding/step/bank_account", client.get("/onboarding/step/bank_account"))
    assert wizard.submit(page, US).status_code == 303  # a new form: a new key, the same numbers
    stripe = sandbox.store.accounts[wizard.account["stripe_id"]]
    assert len(stripe.external_accounts) == 1
    refused = [e for e in sandbox.log if e["operation"] == "accounts.update" and e["status"] == 400]
    assert len(refused) == 1  # Stripe's answer, taken as "already there"
