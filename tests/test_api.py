"""The platform API: bearer authentication, accounts, onboarding links, and the OpenAPI contract."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from requirements_catalog.store import Catalog
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import ConnectedAccount, OnboardingLink, StripeWrite
from onboarding.services.links import token_hash
from tests.support.clock import TEST_NOW

AUTH = {"Authorization": "Bearer platform-test-key"}
URLS = {"return_url": "https://platform.example/return", "refresh_url": "https://platform.example/refresh"}


def _create(client: FlaskClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/accounts", json={"country": "US", "business_type": "individual", **body},
                           headers=AUTH)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_account_returns_its_state_and_what_onboarding_needs(client: FlaskClient, sandbox: Any) -> None:
    data = _create(client, email="seller@example.com")
    assert data["object"] == "account" and data["stripe_id"] in sandbox.store.accounts
    assert data["catalog_version"] == Catalog().current_id()
    assert data["onboarding"]["state"] == "action_required"
    assert "individual.ssn_last_4" in data["onboarding"]["currently_due"]
    assert "individual.dob" in data["onboarding"]["currently_due"]  # catalog paths, one per question
    assert client.get(f"/api/v1/accounts/{data['id']}", headers=AUTH).get_json() == data
    assert client.get(f"/api/v1/accounts/{data['stripe_id']}", headers=AUTH).get_json()["id"] == data["id"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"},
                                     {"Authorization": "platform-test-key"}])
def test_every_call_needs_the_bearer_key(client: FlaskClient, app: Flask, headers: dict[str, str]) -> None:
    for method, path in (("post", "/api/v1/accounts"), ("get", "/api/v1/accounts/x"),
                         ("post", "/api/v1/accounts/x/links")):
        response = getattr(client, method)(path, json={"country": "US"}, headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["type"] == "authentication_error"
    with Session(get_engine(app)) as session:
        assert session.exec(select(ConnectedAccount)).all() == [] and session.exec(select(StripeWrite)).all() == []


def test_without_a_key_the_api_is_closed(app_config: dict[str, Any]) -> None:
    from onboarding import create_app

    closed = create_app({**app_config, "PLATFORM_API_KEY": None})
    response = closed.test_client().post("/api/v1/accounts", json={"country": "US"}, headers=AUTH)
    assert response.status_code == 403 and response.get_json()["error"]["type"] == "api_closed"
    closed.extensions["stripe_sandbox"].close()


@pytest.mark.parametrize("body, status, code, param", [
    ({}, 400, "parameter_missing", "country"),
    ({"country": "US", "colour": "red"}, 400, "parameter_unknown", "colour"),
    ({"country": "ZZ"}, 400, "country_unsupported", "country"),
    ({"country": "US", "business_type": "cooperative"}, 400, None, None),
])
def test_bad_account_requests_are_refused_before_stripe(client: FlaskClient, sandbox: Any, body: dict[str, Any],
                                                         status: int, code: str | None, param: str | None) -> None:
    response = client.post("/api/v1/accounts", json=body, headers=AUTH)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"], error["param"]) == (status, code, param)
    assert not [r for r in sandbox.log if r["operation"] == "accounts.create"]


def test_a_body_that_is_not_an_object_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/accounts", data="[1]", content_type="application/json", headers=AUTH)
    assert response.status_code == 400 and response.get_json()["error"]["type"] == "invalid_request"


def test_unknown_accounts_are_404(client: FlaskClient) -> None:
    assert client.get("/api/v1/accounts/nope", headers=AUTH).status_code == 404
    assert client.post("/api/v1/accounts/nope/links", json=URLS, headers=AUTH).status_code == 404


def test_links_are_single_use_tokens_stored_hashed(client: FlaskClient, app: Flask) -> None:
    account = _create(client)
    before = TEST_NOW
    response = client.post(f"/api/v1/accounts/{account['id']}/links", json=URLS, headers=AUTH)
    assert response.status_code == 201
    link = response.get_json()
    token = re.fullmatch(r"http://localhost/onboard/([A-Za-z0-9_-]{43})", link["url"]).group(1)  # 256 bits
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=59) < expires - before <= timedelta(hours=1, seconds=5)
    with Session(get_engine(app)) as session:
        stored = session.exec(select(OnboardingLink)).one()
        assert stored.token_hash == token_hash(token) and token not in json.dumps(stored.model_dump(), default=str)


@pytest.mark.parametrize("body, message", [
    ({"return_url": "https://a.example"}, "refresh_url is required."),
    ({**URLS, "return_url": "http://platform.example/return"}, "return_url must be an absolute https URL"),
    ({**URLS, "refresh_url": "/relative"}, "refresh_url must be an absolute https URL"),
    # A browser reads the backslash as a slash: this is evil.example, though urlsplit says 127.0.0.1 (issue 14).
    ({**URLS, "return_url": "http://evil.example\\@127.0.0.1/"}, "return_url must be an absolute https URL"),
    ({**URLS, "return_url": "http://user@localhost/"}, "return_url must be an absolute https URL"),
    ({**URLS, "return_url": "https://platform.example/\tx"}, "return_url must be an absolute https URL"),
    ({**URLS, "collect": "everything"}, "collect must be one of currently_due, eventually_due"),
])
def test_bad_link_requests_are_refused(client: FlaskClient, app: Flask, body: dict[str, Any], message: str) -> None:
    account = _create(client)
    response = client.post(f"/api/v1/accounts/{account['id']}/links", json=body, headers=AUTH)
    assert response.status_code == 400 and response.get_json()["error"]["message"] == message
    with Session(get_engine(app)) as session:
        assert session.exec(select(OnboardingLink)).all() == []


def test_public_url_is_used_for_links(app_config: dict[str, Any]) -> None:
    from onboarding import create_app
    from onboarding.migrate import upgrade

    app = create_app({**app_config, "PUBLIC_URL": "https://onboarding.platform.example/"})
    upgrade(get_engine(app))
    client = app.test_client()
    account = _create(client)
    url = client.post(f"/api/v1/accounts/{account['id']}/links", json=URLS, headers=AUTH).get_json()["url"]
    assert url.startswith("https://onboarding.platform.example/onboard/")
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()


def test_openapi_documents_every_route(client: FlaskClient, app: Flask) -> None:
    document = client.get("/api/v1/openapi.json").get_json()  # public: no key needed
    assert document["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = {(re.sub(r"<(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routes
    assert document == json.loads((Path(app.root_path) / "openapi.json").read_text())


def test_responses_have_the_documented_fields(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    account = _create(client)
    assert set(account) == set(schemas["Account"]["properties"]) == set(schemas["Account"]["required"])
    assert set(account["onboarding"]) == set(schemas["Account"]["properties"]["onboarding"]["properties"])
    link = client.post(f"/api/v1/accounts/{account['id']}/links", json=URLS, headers=AUTH).get_json()
    assert set(link) == set(schemas["OnboardingLink"]["properties"])
    error = client.get("/api/v1/accounts/nope", headers=AUTH).get_json()
    assert set(error["error"]) == set(schemas["Error"]["properties"]["error"]["properties"])


def test_a_platform_without_accounts_v1_gets_a_configuration_error(client: FlaskClient, app: Flask, sandbox: Any,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    sandbox.accounts_v1 = False
    caplog.set_level("WARNING")
    response = client.post("/api/v1/accounts", json={"country": "US", "business_type": "individual"}, headers=AUTH)
    error = response.get_json()["error"]
    assert response.status_code == 503
    assert (error["type"], error["code"], error["param"]) == ("platform_configuration_error",
                                                              "accounts_v1_not_enabled", None)
    assert error["dashboard_url"] == "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support"
    assert error["doc_url"] == "https://docs.stripe.com/connect/accounts-v2/account-creation"
    assert error["dashboard_url"] in error["message"] and "Accounts v1 support" in error["message"]
    documented = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ConfigurationError"]
    assert set(error) == set(documented["properties"]["error"]["properties"])
    assert set(error) == set(documented["properties"]["error"]["required"])
    warned = [r for r in caplog.records if r.levelname == "WARNING" and "Accounts v1" in r.getMessage()]
    assert len(warned) == 1 and "Stripe no longer recommends Accounts v1" in warned[0].getMessage()
    assert sandbox.store.accounts == {}
    with Session(get_engine(app)) as session:
        assert session.exec(select(ConnectedAccount)).all() == []
        assert [w.status for w in session.exec(select(StripeWrite)).all()] == ["failed"]


def test_the_same_idempotency_key_creates_once_accounts_v1_is_enabled(client: FlaskClient, app: Flask,
                                                                      sandbox: Any) -> None:
    body, headers = {"country": "US", "business_type": "individual"}, {**AUTH, "Idempotency-Key": "seller-42"}
    sandbox.accounts_v1 = False
    assert client.post("/api/v1/accounts", json=body, headers=headers).status_code == 503
    sandbox.accounts_v1 = True  # the platform enabled Accounts v1 support in the Dashboard

    created = client.post("/api/v1/accounts", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    again = client.post("/api/v1/accounts", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["id"] == created.get_json()["id"]
    assert list(sandbox.store.accounts) == [created.get_json()["stripe_id"]]
    with Session(get_engine(app)) as session:
        assert len(session.exec(select(ConnectedAccount)).all()) == 1
        writes = sorted(session.exec(select(StripeWrite)).all(), key=lambda w: w.idempotency_key)
    # The refused key is spent (Stripe would replay its refusal); the retry took the next one of its series.
    assert [w.status for w in writes] == ["failed", "succeeded"]
    assert writes[1].idempotency_key == f"{writes[0].idempotency_key}.1"


def test_the_api_is_throttled_per_client_address(app_config: dict[str, Any]) -> None:
    """Without a limit a client could call (or guess keys) without end (issue 14).
    """
    from onboarding import create_app
    from onboarding.migrate import upgrade

    app = create_app({**app_config, "API_RATE_LIMIT": "3 per minute"})
    upgrade(get_engine(app))
    client = app.test_client()
    answers = [client.get("/api/v1/accounts/acc_none", headers=AUTH) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 404]
    refused = client.get("/api/v1/accounts/acc_none", headers={"Authorization": "Bearer guess"})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    other = client.get("/api/v1/accounts/acc_none", headers=AUTH, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 404  # counted per client address
    # Its counts expire without a thread: nothing keeps a process (a cron command) from ending.
    assert not app.extensions["rate_limiter"].storage.timer.is_alive()
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()
