"""Finish with Stripe: what no form can send is collected by Stripe's hosted flow, from the status page or the API."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from freezegun.api import TickingDateTimeFactory
from sqlmodel import Session, select

from onboarding.config import stripe_mode
from onboarding.db import get_engine
from onboarding.models import HostedLink, Notification, OnboardingLink, StripeWrite
from onboarding.security import CSP, csp_sending_forms_to_stripe
from stripe_sandbox.webhooks import sign
from tests.support import staff as people
from tests.support.clock import TEST_NOW
from tests.support.wizard import AUTH, Wizard
from tests.test_wizard import US

PLATFORM = {"return_url": "https://platform.example/back", "refresh_url": "https://platform.example/again"}
LIVENESS_WORDS = "Stripe needs to confirm that you are the person on your identity document"
SANDBOX_PAGE = re.compile(r"http://localhost/_sandbox/connect/setup/c/(acct_\w+)/[\w-]+")


def _deliver(client: FlaskClient, sandbox: Any, since: int) -> None:
    """Deliver the sandbox's events from number `since` on to our webhook endpoint, signed as Stripe signs them."""
    for event in list(sandbox.store.events.values())[since:]:
        payload = json.dumps(event).encode()
        signature = sign(payload, "whsec_test_secret", int(TEST_NOW.timestamp()))  # the suite's clock stands there
        response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                               headers={"Stripe-Signature": signature})
        assert response.status_code == 200, response.get_data(as_text=True)


def _onboarded_then_stripe_asks(client: FlaskClient, sandbox: Any, requirement: str = "proof_of_liveness") -> Wizard:
    """Onboard a US individual through the forms; then Stripe asks for something only its own flow collects."""
    wizard = Wizard(client, "US")
    assert 'data-state="enabled"' in wizard.complete(US).html
    since = len(sandbox.store.events)
    sandbox.add_hosted_requirement(wizard.account["stripe_id"], requirement, past_due=True)
    _deliver(client, sandbox, since)
    return wizard


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _continue_with_stripe(client: FlaskClient) -> str:
    """Press the status page's button; return where it sends the browser."""
    html = client.get("/onboarding").get_data(as_text=True)
    assert '<form method="post" action="/onboarding/stripe">' in html
    with client.post("/onboarding/stripe", data={"csrf_token": _csrf(html)}) as response:  # closed as a server would
        assert response.status_code == 303 and response.headers["Cache-Control"] == "no-store"
        return response.headers["Location"]


def _rows(app: Flask, model: Any) -> list[Any]:
    with Session(get_engine(app)) as session:
        return list(session.exec(select(model)).all())


def test_a_stripe_only_requirement_is_finished_through_stripes_hosted_flow(
        client: FlaskClient, app: Flask, sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    wizard = _onboarded_then_stripe_asks(client, sandbox)
    page = client.get("/onboarding")
    html = page.get_data(as_text=True)
    assert 'data-state="action_required"' in html and 'data-testid="stripe-only"' in html
    assert LIVENESS_WORDS in html and "Continue with Stripe" in html and "proof_of_liveness" not in html
    assert re.search(r"<dt>Payouts</dt><dd>Not enabled yet</dd>", html)
    assert page.headers["Content-Security-Policy"] == CSP  # the in-process sandbox's page is on our own origin

    caplog.set_level("WARNING", logger="onboarding.notify")
    url = _continue_with_stripe(client)
    assert SANDBOX_PAGE.fullmatch(url) and SANDBOX_PAGE.fullmatch(url).group(1) == wizard.account["stripe_id"]
    stripe_page = client.get(url)
    assert stripe_page.status_code == 200 and "<code>proof_of_liveness</code>" in stripe_page.get_data(as_text=True)
    done = client.post(url, data={"action": "complete"})
    assert done.status_code == 303 and done.headers["Location"].startswith("http://localhost/onboarding/stripe/return/")
    back = client.get(done.headers["Location"])
    assert back.status_code == 303 and back.headers["Location"] == "http://localhost/onboarding"

    html = client.get("/onboarding").get_data(as_text=True)
    assert 'data-state="enabled"' in html and 'data-testid="stripe-only"' not in html
    assert re.search(r"<dt>Payouts</dt><dd>Enabled</dd>", html) and 'data-testid="currently-due"' not in html
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["payouts_enabled"] is True
    assert state["onboarding"]["stripe_only_due"] == [] and state["onboarding"]["state"] == "enabled"

    # Who was sent where: the visit's link, the account, Stripe's page's origin, the way back, and when.
    [hosted] = _rows(app, HostedLink)
    [visit] = _rows(app, OnboardingLink)
    assert (hosted.requested_by, hosted.onboarding_link_id) == ("user", visit.id)
    assert hosted.account_id == wizard.account["id"] and hosted.requirements == ["proof_of_liveness"]
    assert hosted.destination == "http://localhost" and hosted.return_to == "http://localhost/onboarding"
    assert hosted.refresh_url == "http://localhost/onboarding/stripe/refresh"
    assert hosted.ip == "127.0.0.1" and hosted.returned_at is not None
    # Stripe counts in whole seconds.
    assert timedelta(seconds=299) < hosted.expires_at - hosted.created_at <= timedelta(seconds=300)
    assert url.rsplit("/", 1)[1] not in json.dumps([h.model_dump() for h in _rows(app, HostedLink)], default=str)
    # The key was the outbox's, and the platform was told after the commit.
    [write] = [w for w in _rows(app, StripeWrite) if w.operation == "account_links.create"]
    assert (write.idempotency_key, write.status) == (hosted.idempotency_key, "succeeded")
    [logged] = [e for e in sandbox.log if e["operation"] == "account_links.create"]
    assert logged["idempotency_key"] == write.idempotency_key
    assert logged["params"]["type"] == "account_onboarding"
    assert logged["params"]["collection_options"] == {"fields": "currently_due"}
    assert logged["params"]["return_url"] == f"http://localhost/onboarding/stripe/return/{hosted.id}"
    assert app.extensions["notifications"].drain()
    [notification] = [n for n in _rows(app, Notification) if n.kind == "account.hosted_flow_started"]
    assert notification.sent_at is not None and notification.payload["requirements"] == ["proof_of_liveness"]
    assert notification.payload["requested_by"] == "user" and notification.payload["stripe_id"] == state["stripe_id"]
    assert any("account.hosted_flow_started" in r.getMessage() for r in caplog.records)


def test_an_expired_or_used_stripe_link_leads_to_a_new_one(client: FlaskClient, app: Flask, sandbox: Any,
                                                           clock: TickingDateTimeFactory) -> None:
    wizard = _onboarded_then_stripe_asks(client, sandbox, "interv_1QaB2cD3.other.form")
    assert "Stripe is reviewing your account" in client.get("/onboarding").get_data(as_text=True)
    first = _continue_with_stripe(client)
    clock.tick(timedelta(seconds=301))
    expired = client.get(first)
    assert expired.status_code == 302 and expired.headers["Location"] == "http://localhost/onboarding/stripe/refresh"
    renewed = client.get(expired.headers["Location"])
    second = renewed.headers["Location"]
    assert renewed.status_code == 303 and SANDBOX_PAGE.fullmatch(second) and second != first
    assert client.get(second).status_code == 200
    used = client.get(second)  # reloaded: Stripe sends a visited link to refresh_url as well
    assert used.status_code == 302 and used.headers["Location"].endswith("/onboarding/stripe/refresh")
    third = client.get(used.headers["Location"]).headers["Location"]
    assert client.post(third, data={"action": "save_for_later"}).status_code == 303  # not opened: refresh again
    assert client.get(third).status_code == 200
    back = client.post(third, data={"action": "save_for_later"})
    assert client.get(back.headers["Location"]).headers["Location"] == "http://localhost/onboarding"
    # Saved for later: Stripe still asks, so the page still offers the way there.
    assert 'data-testid="stripe-only"' in client.get("/onboarding").get_data(as_text=True)
    assert [h.requested_by for h in _rows(app, HostedLink)] == ["user"] * 3
    assert len([n for n in _rows(app, Notification) if n.kind == "account.hosted_flow_started"]) == 3
    assert wizard.state()["onboarding"]["stripe_only_due"][0]["kind"] == "risk_review"


def test_without_anything_for_stripe_the_button_sends_back_to_the_status_page(client: FlaskClient, app: Flask,
                                                                              sandbox: Any) -> None:
    Wizard(client, "US").complete(US)
    html = client.get("/onboarding").get_data(as_text=True)
    assert 'data-testid="stripe-only"' not in html
    response = client.post("/onboarding/stripe", data={"csrf_token": _csrf(
        client.get("/compliance/login").get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/onboarding"
    assert client.get("/onboarding/stripe/refresh").headers["Location"] == "/onboarding"
    assert not [e for e in sandbox.log if e["operation"] == "account_links.create"] and _rows(app, HostedLink) == []


def test_the_key_is_stored_before_stripe_is_asked_and_a_failure_says_so(client: FlaskClient, app: Flask,
                                                                       sandbox: Any) -> None:
    _onboarded_then_stripe_asks(client, sandbox)
    sandbox.faults.add("account_links.create", "timeout")
    html = client.get("/onboarding").get_data(as_text=True)
    response = client.post("/onboarding/stripe", data={"csrf_token": _csrf(html)})
    assert response.status_code == 502 and "Stripe could not be reached" in response.get_data(as_text=True)
    [write] = [w for w in _rows(app, StripeWrite) if w.operation == "account_links.create"]
    [sent] = [e for e in sandbox.log if e["operation"] == "account_links.create"]
    assert write.status == "pending" and sent["idempotency_key"] == write.idempotency_key
    assert _rows(app, HostedLink) == []
    assert SANDBOX_PAGE.fullmatch(_continue_with_stripe(client))  # pressed again, it works


def test_the_platform_api_says_what_only_stripe_collects_and_gives_a_link_there(
        client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = _onboarded_then_stripe_asks(client, sandbox)
    ident = wizard.account["id"]
    account = client.get(f"/api/v1/accounts/{ident}", headers=AUTH).get_json()
    assert account["onboarding"]["stripe_only_due"] == [
        {"requirement": "proof_of_liveness", "kind": "stripe_only",
         "description": f"{LIVENESS_WORDS}, with a short check on its own pages."}]
    refresh()  # pytest-flask's app context outlives requests, and Flask-Babel keeps the first one's locale in it
    german = client.get(f"/api/v1/accounts/{ident}", headers={**AUTH, "Accept-Language": "de"}).get_json()
    assert german["onboarding"]["stripe_only_due"][0]["description"].startswith("Stripe muss mit einer kurzen Prüfung")
    refresh()

    response = client.post(f"/api/v1/accounts/{ident}/stripe_links", json=PLATFORM, headers=AUTH)
    assert response.status_code == 201, response.get_json()
    link = response.get_json()
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["StripeLink"]
    assert set(link) == set(documented["properties"]) == set(documented["required"])
    assert link["object"] == "stripe_link" and link["account"] == ident and SANDBOX_PAGE.fullmatch(link["url"])
    assert link["requirements"] == account["onboarding"]["stripe_only_due"]
    created, expires = datetime.fromisoformat(link["created_at"]), datetime.fromisoformat(link["expires_at"])
    assert timedelta(seconds=299) < expires - created <= timedelta(seconds=300)
    [logged] = [e for e in sandbox.log if e["operation"] == "account_links.create"]
    assert logged["params"]["refresh_url"] == PLATFORM["refresh_url"]  # the platform authenticates its user

    assert client.get(link["url"]).status_code == 200
    done = client.post(link["url"], data={"action": "complete"})
    back = client.get(done.headers["Location"])
    assert back.status_code == 303 and back.headers["Location"] == PLATFORM["return_url"]
    after = client.get(f"/api/v1/accounts/{ident}", headers=AUTH).get_json()  # re-read on the way back
    assert after["onboarding"]["stripe_only_due"] == [] and after["payouts_enabled"] is True
    [hosted] = _rows(app, HostedLink)
    assert (hosted.requested_by, hosted.onboarding_link_id, hosted.return_to) == ("platform", None,
                                                                                 PLATFORM["return_url"])
    assert not [n for n in _rows(app, Notification) if n.kind == "account.hosted_flow_started"]  # it asked itself
    again = client.post(f"/api/v1/accounts/{ident}/stripe_links", json=PLATFORM, headers=AUTH)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "nothing_due_at_stripe"


@pytest.mark.parametrize("body, status, code, param", [
    ({"return_url": PLATFORM["return_url"]}, 400, "parameter_missing", "refresh_url"),
    ({**PLATFORM, "return_url": "http://platform.example/back"}, 400, "parameter_invalid", "return_url"),
    ({**PLATFORM, "collect": "eventually_due"}, 400, "parameter_unknown", "collect"),
    ({**PLATFORM, "refresh_url": "https://platform.example/\x00"}, 400, "parameter_invalid", "refresh_url"),
    (PLATFORM, 409, "nothing_due_at_stripe", None),
])
def test_bad_stripe_link_requests_are_refused_before_stripe(client: FlaskClient, app: Flask, sandbox: Any,
                                                            body: dict[str, Any], status: int, code: str,
                                                            param: str | None) -> None:
    account = client.post("/api/v1/accounts", json={"country": "US", "business_type": "individual"},
                          headers=AUTH).get_json()
    response = client.post(f"/api/v1/accounts/{account['id']}/stripe_links", json=body, headers=AUTH)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"], error["param"]) == (status, code, param)
    assert client.post("/api/v1/accounts/nope/stripe_links", json=PLATFORM, headers=AUTH).status_code == 404
    assert not [e for e in sandbox.log if e["operation"] == "account_links.create"] and _rows(app, HostedLink) == []


def test_an_unknown_return_address_is_not_found(client: FlaskClient) -> None:
    assert client.get("/onboarding/stripe/return/0123456789abcdef").status_code == 404
    assert client.get("/onboarding/stripe/return/%00").status_code == 404


@pytest.mark.parametrize("config, form_action", [
    ({"STRIPE_SECRET_KEY": "sk_live_x"}, "form-action 'self' https://connect.stripe.com;"),
    ({"STRIPE_API_BASE": "http://127.0.0.1:12111/"}, "form-action 'self' http://127.0.0.1:12111;"),
    ({}, "form-action 'self';"),
])
def test_a_page_with_the_button_lets_its_form_lead_to_stripes_page(config: dict[str, Any], form_action: str) -> None:
    """Browsers hold a form's redirect to `form-action`: the status page allows where the hosted pages are."""
    policy = csp_sending_forms_to_stripe({**config, "STRIPE_MODE": stripe_mode(config)})
    assert form_action in policy and policy.replace(form_action, "form-action 'self';") == CSP


def test_compliance_staff_see_who_was_sent_to_stripe(client: FlaskClient, app: Flask, sandbox: Any) -> None:
    wizard = _onboarded_then_stripe_asks(client, sandbox)
    _continue_with_stripe(client)
    staff = app.test_client()
    assert people.login(staff, people.create(app, "sam@example.com", "reviewer")).status_code == 303
    html = staff.get("/compliance/audit").get_data(as_text=True)
    [row] = re.findall(r'<tr data-requested-by="user">.*?</tr>', html)
    [visit] = _rows(app, OnboardingLink)
    assert wizard.account["id"] in row and f"link {visit.id}" in row and "proof_of_liveness" in row
    assert "http://localhost → http://localhost/onboarding" in row


GAP_WORDS = "Stripe needs some information that these forms do not ask for yet."


def test_what_this_catalog_does_not_ask_is_finished_through_stripe_too(client: FlaskClient, sandbox: Any) -> None:
    """A field a form could send but this catalog version lacks: Stripe's flow is the user's way meanwhile."""
    requirement = "company.export_license_id"  # no US question of the shipped catalog asks it
    wizard = _onboarded_then_stripe_asks(client, sandbox, requirement)
    html = client.get("/onboarding").get_data(as_text=True)
    assert GAP_WORDS in html and 'data-testid="stripe-only"' in html
    assert wizard.state()["onboarding"]["stripe_only_due"] == [
        {"requirement": requirement, "kind": "catalog_gap", "description": GAP_WORDS}]
    url = _continue_with_stripe(client)
    assert "<code>company.export_license_id</code>" in client.get(url).get_data(as_text=True)
    done = client.post(url, data={"action": "complete"})
    assert done.status_code == 303, done.get_data(as_text=True)
    assert client.get(done.headers["Location"]).status_code == 303
    state = wizard.state()
    assert state["requirements"]["currently_due"] == [] and state["onboarding"]["stripe_only_due"] == []
    assert state["onboarding"]["state"] == "enabled"
