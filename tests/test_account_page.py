"""The account page an update link opens (issue 16): what Stripe holds, changed through the wizard's own steps."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.wizard import AUTH, URLS, Page, Wizard
from tests.test_wizard import US
from tests.test_wizard_company import US_COMPANY, _owner

ADDRESS = {"individual.address.line1": "1 Market Street", "individual.address.city": "Oakland",
           "individual.address.state": "CA", "individual.address.postal_code": "94607"}


def _update_link(client: FlaskClient, wizard: Wizard) -> Page:
    """Open an `account_update` link of the wizard's account in the same browser; return the page it ends on."""
    made = client.post(f"/api/v1/accounts/{wizard.account['id']}/links", headers=AUTH,
                       json={**URLS, "type": "account_update"})
    assert made.status_code == 201 and made.get_json()["type"] == "account_update"
    return wizard.follow(client.get(made.get_json()["url"].removeprefix("http://localhost")))


def _complete_us_company(wizard: Wizard) -> None:
    """Onboard a US company with its representative and no owner."""
    page = wizard.start()
    for _ in range(8):
        if page.path.endswith("/owners"):
            page = wizard.follow(wizard.submit(page.form("continue"), {"company.owners_provided": "yes"}))
        elif page.path.endswith("/representative"):
            page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
        elif "/step/" in page.path:
            page = wizard.follow(wizard.submit(page, US_COMPANY))


def _rows(html: str, section: str) -> dict[str, str]:
    """Return the label → value rows of one account page section (`data-testid`)."""
    body = html.split(f'data-testid="{section}"', 1)[1].split("</section>", 1)[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", body))


def test_an_update_link_opens_the_account_page_with_what_stripe_holds(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    page = _update_link(client, wizard)
    assert page.path == "/account" and page.response.status_code == 200
    details = _rows(page.html, "details")
    assert details["First name"] == "Jenny" and details["Last 4 digits of the Social Security number"] == "Provided"
    assert "Identity document" not in details  # Stripe's empty document object is not a document
    assert details["Bank account for payouts"].endswith("6789") and "000123456789" not in page.html  # last four only
    fixed = _rows(page.html, "fixed")
    assert fixed["Country"] == "United States" and fixed["Type of business"] == "Individual or sole trader"
    assert fixed["Terms of service"].startswith("Accepted on ")
    assert 'data-testid="status" data-state="enabled"' in page.html
    for step in ("individual", "bank_account"):  # each section links to its step
        assert f'href="/onboarding/step/{step}"' in page.html
    assert 'href="/onboarding/step/terms"' not in page.html  # the terms are accepted once: shown, not changed


def test_an_individual_changes_their_address_and_comes_back_to_the_account_page(
        client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US")
    wizard.complete(US)
    _update_link(client, wizard)
    page = Page("/onboarding/step/individual", client.get("/onboarding/step/individual"))
    assert 'data-testid="verifies-again"' in page.html and 'data-testid="back-to-account"' in page.html
    assert 'class="progress"' not in page.html and "Save changes" in page.html
    assert 'value="San Francisco"' in page.html  # every question prefilled from Stripe
    response = wizard.submit(page, {**US, **ADDRESS})
    assert response.status_code == 303 and response.headers["Location"] == "/account?saved=individual"
    person = sandbox.store.persons[sandbox.store.accounts[wizard.account["stripe_id"]].individual]
    assert person.data["address"]["city"] == "Oakland"
    page = wizard.follow(response)
    assert 'data-testid="saved"' in page.html and _rows(page.html, "details")["Home address"].count("Oakland") == 1


def test_the_account_page_belongs_to_update_links(client: FlaskClient, app: Flask) -> None:
    assert client.get("/account").status_code == 401  # no visit
    wizard = Wizard(client, "US")
    wizard.start()
    assert client.get("/account").status_code == 403  # an onboarding visit stays in the onboarding forms
    refused = client.post(f"/api/v1/accounts/{wizard.account['id']}/links", headers=AUTH,
                          json={**URLS, "type": "account_management"})
    assert refused.status_code == 400 and "type must be one of" in refused.get_json()["error"]["message"]


def test_a_company_adds_an_owner_and_declares_the_list_complete_again(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "US", "company")
    _complete_us_company(wizard)
    assert wizard.state()["requirements"]["currently_due"] == []
    page = _update_link(client, wizard)
    assert "Nobody is listed." in page.html.split('data-step="owners"', 1)[1].split("<h3", 1)[0]
    page = Page("/onboarding/step/owners", client.get("/onboarding/step/owners"))
    assert 'data-testid="reconfirm"' not in page.html
    page = wizard.follow(wizard.submit(page.form("save"), _owner("Ada", "Lovelace")))
    assert page.path == "/onboarding/step/owners" and 'data-testid="reconfirm"' in page.html
    account_page = client.get("/account").get_data(as_text=True)
    assert 'data-testid="reconfirm"' in account_page and "Lovelace" in account_page
    refused = wizard.submit(page.form("continue"), {})  # the declaration is owed again: unticked is refused
    assert refused.status_code == 422
    page = Page(page.path, client.get(page.path))
    response = wizard.submit(page.form("continue"), {"company.owners_provided": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == "/account?saved=owners"
    assert 'data-testid="reconfirm"' not in client.get("/account").get_data(as_text=True)
    stripe = sandbox.store.accounts[wizard.account["stripe_id"]]
    assert stripe.data["company"]["owners_provided"] is True


def test_an_update_visit_sees_and_changes_its_own_account_only(client: FlaskClient, app: Flask,
                                                                 sandbox: Any) -> None:
    from flask import g

    other = Wizard(app.test_client(), "US", "company")
    page = other.follow(other.submit(other.start(), US_COMPANY))
    other.follow(other.submit(page.form("save"), US_COMPANY))
    foreign = sandbox.store.persons_of(other.account["stripe_id"])[0].id
    g.pop("csrf_token", None)  # pytest-flask's one app context: forget the other browser's token
    wizard = Wizard(client, "US", "company")
    _complete_us_company(wizard)
    _update_link(client, wizard)
    assert client.get(f"/onboarding/step/representative?person={foreign}").status_code == 404
    page = Page("/onboarding/step/owners", client.get("/onboarding/step/owners"))
    before = len(sandbox.log)
    response = client.post("/onboarding/step/owners", data={**page.hidden(), "action": "remove", "person": foreign})
    assert response.status_code == 404 and len(sandbox.log) == before  # nothing reached Stripe
    assert foreign in {p.id for p in sandbox.store.persons_of(other.account["stripe_id"])}
