"""Server errors: the branded, localized 500 page with a reference in the log; JSON for the API and webhooks."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, NoReturn

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlmodel import Session, select

from onboarding import create_app
from onboarding.db import get_engine, get_session
from onboarding.migrate import upgrade
from onboarding.models import WebhookEvent
from stripe_sandbox.webhooks import sign
from tests.support.clock import TEST_NOW

AUTH = {"Authorization": "Bearer platform-test-key"}
SECRET_DETAIL = "internal detail of Ada Lovelace's row"  # what an exception may carry: never on a page


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # As in production: an unexpected exception is answered, not propagated to the test client.
    return app_config | {"PLATFORM_NAME": "Acme Payouts", "PROPAGATE_EXCEPTIONS": False}


def _explode() -> NoReturn:
    """A view that writes, then fails."""
    get_session().add(WebhookEvent(id="evt_half_done", type="half.done", received_at=TEST_NOW))
    get_session().flush()
    raise RuntimeError(SECRET_DETAIL)


class ExplodingGateway:
    """A gateway whose every call fails unexpectedly (not with one of the gateway's own errors)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> NoReturn:
            raise RuntimeError(f"{name}: {SECRET_DETAIL}")

        return fail


def _reference(page: str) -> str:
    return re.search(r'data-testid="error-reference">([0-9a-f]{12})<', page).group(1)


def _logged(caplog: pytest.LogCaptureFixture, ref: str) -> logging.LogRecord:
    [record] = [r for r in caplog.records if ref in r.getMessage()]
    return record


def test_an_exception_in_a_view_is_the_branded_500_page_in_the_users_language(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    app.add_url_rule("/explode", "explode", _explode)
    response = client.get("/explode", headers={"Accept-Language": "de-DE,de;q=0.9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert '<html lang="de">' in page and "<h1>Bei uns ist ein Fehler aufgetreten</h1>" in page
    assert "Acme Payouts" in page and "/brand/theme.css" in page  # the platform's page, in its colours
    assert "Wenn das wiederholt passiert, wenden Sie sich an Acme Payouts" in page
    assert SECRET_DETAIL not in page and "RuntimeError" not in page and "Traceback" not in page
    assert response.headers["Content-Security-Policy"] and response.headers["Cache-Control"] == "no-store"
    record = _logged(caplog, _reference(page))
    assert record.levelname == "ERROR" and record.exc_info[1].args == (SECRET_DETAIL,)
    assert "/explode" not in record.getMessage()  # the endpoint's name, not the address (a link's token)
    with Session(get_engine(app)) as session:
        assert session.exec(select(WebhookEvent)).all() == []  # what the failed request wrote is rolled back


def test_the_500_page_follows_the_chosen_language(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/explode", "explode", _explode)
    page = client.get("/explode?lang=ja").get_data(as_text=True)
    assert '<html lang="ja">' in page and "こちら側で問題が発生しました" in page and "Acme Payouts" in page


def test_every_reference_is_new(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/explode", "explode", _explode)
    references = {_reference(client.get("/explode").get_data(as_text=True)) for _ in range(3)}
    assert len(references) == 3


@pytest.mark.parametrize("code", [500, 501, 502, 504, 505])
def test_every_5xx_is_the_branded_page(app: Flask, client: FlaskClient, code: int) -> None:
    app.add_url_rule("/fail", "fail", lambda: abort(code))
    response = client.get("/fail")
    page = response.get_data(as_text=True)
    assert response.status_code == code and "<h1>Something went wrong on our side</h1>" in page
    assert "Acme Payouts" in page and '<html lang="en">' in page


def test_an_explicit_503_is_the_try_again_page(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/busy", "busy", lambda: abort(503))
    response = client.get("/busy", headers={"Accept-Language": "fr"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "<h1>Veuillez réessayer dans un instant</h1>" in response.get_data(as_text=True)


def test_the_api_answers_a_json_500(app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    app.extensions["gateway"] = ExplodingGateway()
    response = client.post("/api/v1/accounts", json={"country": "US", "business_type": "individual"},
                           headers={**AUTH, "Accept-Language": "de"})
    error = response.get_json()["error"]
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert (error["type"], error["code"], error["param"]) == ("api_error", None, None)
    documented = _documented(client, "Error")
    assert set(error) == set(documented) and error["type"] in documented["type"]["enum"]
    ref = re.search(r"reference ([0-9a-f]{12})", error["message"]).group(1)
    assert SECRET_DETAIL not in response.get_data(as_text=True)
    assert _logged(caplog, ref).exc_info[0] is RuntimeError


def test_the_webhook_answers_a_json_500_so_stripe_delivers_again(app: Flask, client: FlaskClient) -> None:
    app.extensions["gateway"] = ExplodingGateway()
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "account.updated"}).encode()
    response = client.post("/webhooks/stripe", data=payload, headers={
        "Stripe-Signature": sign(payload, "whsec_test_secret", int(TEST_NOW.timestamp())),
        "Content-Type": "application/json"})
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert response.get_json()["error"] == "server error" and SECRET_DETAIL not in response.get_data(as_text=True)


def test_4xx_answers_are_left_as_they_were(client: FlaskClient) -> None:
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/v1/accounts/nope", headers=AUTH).get_json()["error"]["type"] == "not_found"


def test_with_propagation_on_a_test_sees_the_exception_itself(app_config: dict[str, Any]) -> None:
    app = create_app(app_config | {"PROPAGATE_EXCEPTIONS": None})  # TESTING decides: propagate
    upgrade(get_engine(app))
    app.add_url_rule("/explode", "explode", _explode)
    try:
        with pytest.raises(RuntimeError, match="Ada Lovelace"):
            app.test_client().get("/explode")
    finally:
        app.extensions["stripe_sandbox"].close()
        get_engine(app).dispose()


def _documented(client: FlaskClient, schema: str) -> dict[str, Any]:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    return schemas[schema]["properties"]["error"]["properties"]
