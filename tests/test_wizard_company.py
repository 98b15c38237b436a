"""Companies through the wizard: business details, the representative, owners (add, edit, remove)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlmodel import Session

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount
from tests.support.wizard import Page, Wizard

PERSON = {"dob.day": "1", "dob.month": "1", "dob.year": "1901", "address.line1": "address_full_match",
          "address.city": "San Francisco", "address.state": "CA", "address.postal_code": "94103",
          "phone": "0000000000", "ssn_last_4": "0000", "political_exposure": "none"}
US_COMPANY = {
    "company.name": "Rosen Software Inc.", "company.tax_id": "000000000", "company.phone": "0000000000",
    "company.address.line1": "address_full_match", "company.address.city": "San Francisco",
    "company.address.state": "CA", "company.address.postal_code": "94103",
    "business_profile.mcc": "5734", "business_profile.url": "https://accessible.stripe.com",
    **{f"representative.{k}": v for k, v in PERSON.items()},
    "representative.first_name": "Jenny", "representative.last_name": "Rosen", "representative.email": "j@example.com",
    "representative.relationship.title": "CEO", "representative.relationship.executive": "yes",
    "external_account.routing_number": "110000000", "external_account.account_number": "000123456789",
    "tos_acceptance": "yes",
}


def _owner(first: str, last: str) -> dict[str, Any]:
    return {**{f"owners.{k}": v for k, v in PERSON.items()}, "owners.first_name": first, "owners.last_name": last,
            "owners.email": f"{first.lower()}@example.com"}


@pytest.mark.parametrize("naming", ["documented", "country_specs"])
def test_us_company_with_two_owners_from_link_to_payouts(client: FlaskClient, sandbox: Any, naming: str) -> None:
    sandbox.requirement_naming = naming  # the app takes Stripe's documented strings and the Country Specs naming
    wizard = Wizard(client, "US", "company")
    page = wizard.start()
    assert page.path == "/onboarding/step/business"
    page = wizard.follow(wizard.submit(page, US_COMPANY))
    assert page.path == "/onboarding/step/representative"
    page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
    assert page.path == "/onboarding/step/owners"
    for first, last in (("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")):
        response = wizard.submit(page.form("save"), _owner(first, last))
        assert response.status_code == 303, response.get_data(as_text=True)
        page = wizard.follow(response)
    stripe_id = wizard.account["stripe_id"]
    hopper = next(p for p in sandbox.store.persons_of(stripe_id) if p.data.get("last_name") == "Hopper")
    assert f'data-person="{hopper.id}"' in page.html
    page = wizard.follow(wizard.submit(page.form("remove", hopper.id), {}))
    owners = [p for p in sandbox.store.persons_of(stripe_id) if p.data.get("relationship", {}).get("owner")]
    assert sorted(p.data["last_name"] for p in owners) == ["Lovelace", "Turing"]
    page = wizard.follow(wizard.submit(page.form("continue"), {"company.owners_provided": "yes"}))
    for _ in range(2):  # bank account, terms
        page = wizard.follow(wizard.submit(page, US_COMPANY))
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True, state["requirements"]



GB_PERSON = {"dob.day": "1", "dob.month": "1", "dob.year": "1901", "address.line1": "address_full_match",
             "address.city": "London", "address.postal_code": "SW1A 2AA", "email": "p@example.com",
             "phone": "0000000000", "political_exposure": "none", "relationship.title": "Director"}
GB_COMPANY = {
    "company.name": "Rosen Ltd", "company.tax_id": "00000000", "company.phone": "0000000000",
    "company.address.line1": "address_full_match", "company.address.city": "London",
    "company.address.postal_code": "SW1A 2AA", "business_profile.mcc": "5734",
    "business_profile.url": "https://accessible.stripe.com",
    **{f"representative.{k}": v for k, v in GB_PERSON.items()},
    "representative.first_name": "Jenny", "representative.last_name": "Rosen",
    "representative.relationship.executive": "yes",
    "external_account.sort_code": "108800", "external_account.account_number": "00012345",
    "external_account.currency": "gbp", "tos_acceptance": "yes",
}


def test_gb_company_with_directors_and_the_2026_declarations(client: FlaskClient, sandbox: Any) -> None:
    wizard = Wizard(client, "GB", "company")
    seen = complete_gb_company(wizard)
    assert seen[:2] == ["business", "representative"] and "directors" in seen and "terms" in seen
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True, state["requirements"]


def complete_gb_company(wizard: Wizard, more: dict[str, list[str]] | None = None) -> list[str]:
    """Onboard a GB company with one owner, director and executive each (Ada Owners, Ada Directors, ...),
    and `more` people by role (first names: Bea Directors, ...)."""
    client = wizard.client
    page = wizard.start()
    seen = []
    for _ in range(20):
        if "/step/" not in page.path:
            break
        step = page.path.rsplit("/", 1)[1]
        seen.append(step)
        if step in ("owners", "directors", "executives"):
            role = step
            person = {f"{role}.{k}": v for k, v in GB_PERSON.items()}
            person.update({f"{role}.first_name": "Ada", f"{role}.last_name": role.title()})
            if 'data-testid="people"' not in page.html:
                page = wizard.follow(wizard.submit(page.form("save"), person))
                for first in (more or {}).get(role, []):
                    page = wizard.follow(wizard.submit(page.form("save"), {**person, f"{role}.first_name": first}))
            if 'data-attention="true"' in page.html:  # Stripe asks a person for more than the catalog asked
                needy = page.html.split('data-attention="true"')[0].rsplit('data-person="', 1)[1].split('"')[0]
                url = f"/onboarding/step/{role}?person={needy}"
                page = Page(url, client.get(url))
                page = wizard.follow(wizard.submit(page.form("save"), person))
            flags = {f"company.{role}_provided": "yes", "company.ownership_declaration": "yes",
                     "company.directorship_declaration": "yes"}
            response = wizard.submit(page.form("continue"), flags)
        elif step == "representative":
            response = wizard.submit(page.form("save"), GB_COMPANY)
        else:
            response = wizard.submit(page, GB_COMPANY)
        assert response.status_code == 303, (step, response.get_data(as_text=True)[-3000:])
        page = wizard.follow(response)
    return seen


def test_another_accounts_person_is_refused_and_nothing_is_written(client: FlaskClient, app: Any,
                                                                    sandbox: Any) -> None:
    other = Wizard(app.test_client(), "US", "company")
    page = other.start()
    page = other.follow(other.submit(page, US_COMPANY))
    other.follow(other.submit(page.form("save"), US_COMPANY))
    foreign = sandbox.store.persons_of(other.account["stripe_id"])[0].id
    # pytest-flask keeps one app context for the whole test, and Flask-WTF caches the CSRF token in
    # `g`: forget the other browser's token before this one starts (each real request has its own `g`).
    g.pop("csrf_token", None)
    wizard = Wizard(client, "US", "company")
    page = wizard.start()
    response = wizard.submit(page, US_COMPANY)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    page = wizard.follow(response)
    page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))  # now on the owners step
    assert client.get(f"/onboarding/step/owners?person={foreign}").status_code == 404
    writes = len([e for e in sandbox.log if e["method"] == "POST" or e["method"] == "DELETE"])
    response = client.post("/onboarding/step/owners", data={**page.form("save").hidden(), "action": "save",
                                                            "person": foreign, "owners.first_name": "Mallory"})
    assert response.status_code == 404
    response = client.post("/onboarding/step/owners", data={**page.form("save").hidden(), "action": "remove",
                                                            "person": foreign})
    assert response.status_code == 404
    assert len([e for e in sandbox.log if e["method"] in ("POST", "DELETE")]) == writes
    assert sandbox.store.persons[foreign].data["first_name"] == "Jenny"


def test_two_people_removed_from_the_same_page(client: FlaskClient, sandbox: Any) -> None:
    """Every remove button of a page carries the page's one submission value: each removal is its own write."""
    wizard = Wizard(client, "US", "company")
    page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    page = wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
    for first, last in (("Ada", "Lovelace"), ("Alan", "Turing")):
        page = wizard.follow(wizard.submit(page.form("save"), _owner(first, last)))
    stripe_id = wizard.account["stripe_id"]
    owners = [p.id for p in sandbox.store.persons_of(stripe_id) if p.data.get("relationship", {}).get("owner")]
    assert len(owners) == 2
    for owner in owners:  # from the same page, as from two tabs or after going back
        assert wizard.submit(page.form("remove", owner), {}).status_code == 303
    assert [p for p in sandbox.store.persons_of(stripe_id) if p.data.get("relationship", {}).get("owner")] == []


@pytest.mark.parametrize("form", ["person_id.{rest}", "person.person_id.{rest}"])
def test_stripes_reason_about_a_person_lands_on_that_persons_question(client: FlaskClient, app: Any,
                                                                       form: str) -> None:
    wizard = Wizard(client, "US", "company")
    page = wizard.follow(wizard.submit(wizard.start(), US_COMPANY))
    wizard.follow(wizard.submit(page.form("save"), US_COMPANY))
    with Session(get_engine(app)) as session:  # as a webhook would cache a failed check of the representative
        account = session.get(ConnectedAccount, wizard.account["id"])
        (person,) = account.stripe_persons
        requirement = form.replace("person_id", person["id"]).format(rest="dob.day")
        account.requirement_errors = [{"code": "invalid_dob_age_under_minimum", "requirement": requirement,
                                       "reason": "The person must be at least 13 years old."}]
        account.updated_at = account.updated_at + timedelta(seconds=1)
        session.add(account)
        session.commit()
    html = client.get("/onboarding/step/representative").get_data(as_text=True)
    assert "The person must be at least 13 years old." in html
