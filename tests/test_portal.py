"""Opening onboarding links: single use, expiry, sessions bound to one account, and the status page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun.api import TickingDateTimeFactory
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.models import OnboardingLink
from onboarding.models.types import utcnow
from onboarding.services.links import LinkRefused, redeem_link

AUTH = {"Authorization": "Bearer platform-test-key"}
URLS = {"return_url": "https://platform.example/return", "refresh_url": "https://platform.example/refresh"}


def _account(client: FlaskClient, country: str = "US", business_type: str = "individual") -> dict[str, Any]:
    return client.post("/api/v1/accounts", json={"country": country, "business_type": business_type},
                       headers=AUTH).get_json()


def _link(client: FlaskClient, account: dict[str, Any]) -> str:
    url = client.post(f"/api/v1/accounts/{account['id']}/links", json=URLS, headers=AUTH).get_json()["url"]
    return url.removeprefix("http://localhost")


def test_a_link_starts_a_session_and_leaves_no_token_in_the_address(client: FlaskClient) -> None:
    path = _link(client, _account(client))
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == "/onboarding/start"
    assert client.get("/onboarding/start").headers["Location"] == "/onboarding/step/business"
    page = client.get("/onboarding")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="action_required"' in html
    assert 'data-path="individual.dob"' in html and "Date of birth" in html  # the catalog's wording
    assert 'href="https://platform.example/return"' in html
    assert path.rsplit("/", 1)[1] not in html


def _sends_to_refresh_url(response: Any) -> bool:
    html = response.get_data(as_text=True)
    return (response.status_code == 410 and f'content="0; url={URLS["refresh_url"]}"' in html
            and f'href="{URLS["refresh_url"]}"' in html)


def test_a_used_link_sends_the_user_to_the_refresh_url(client: FlaskClient, app: Flask) -> None:
    path = _link(client, _account(client))
    client.get(path)
    again = client.get(path)
    assert _sends_to_refresh_url(again)
    with Session(get_engine(app)) as session:
        assert session.exec(select(OnboardingLink)).one().used_at is not None


def test_an_expired_link_sends_the_user_to_the_refresh_url(client: FlaskClient, clock: TickingDateTimeFactory
                                                           ) -> None:
    path = _link(client, _account(client))
    clock.tick(timedelta(hours=1, seconds=1))
    response = client.get(path)
    assert _sends_to_refresh_url(response)
    assert client.get("/onboarding").status_code == 401  # no session was started


def test_an_unknown_token_gets_a_page_that_says_what_to_do(client: FlaskClient) -> None:
    response = client.get("/onboard/not-a-real-token")
    assert response.status_code == 404 and "Onboarding links work once" in response.get_data(as_text=True)


def test_without_a_session_the_status_page_is_refused(client: FlaskClient) -> None:
    response = client.get("/onboarding")
    assert response.status_code == 401 and "Your session has ended" in response.get_data(as_text=True)


def test_sessions_end_after_their_lifetime(client: FlaskClient, clock: TickingDateTimeFactory) -> None:
    client.get(_link(client, _account(client)))
    clock.tick(timedelta(hours=1, minutes=59))
    assert client.get("/onboarding").status_code == 200
    clock.tick(timedelta(minutes=1, seconds=1))
    assert client.get("/onboarding").status_code == 401


def test_a_new_link_replaces_the_session(client: FlaskClient) -> None:
    first, second = _account(client), _account(client, "GB", "company")
    client.get(_link(client, first))
    client.get(_link(client, second))
    html = client.get("/onboarding").get_data(as_text=True)
    assert 'data-path="company.name"' in html and 'data-path="individual.dob"' not in html


def test_a_tampered_session_cookie_is_refused(client: FlaskClient, app: Flask) -> None:
    client.get(_link(client, _account(client)))
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert client.get("/onboarding").status_code == 401


def test_two_requests_racing_for_one_link_cannot_both_win(client: FlaskClient, app: Flask) -> None:
    path = _link(client, _account(client))
    token = path.rsplit("/", 1)[1]
    engine = get_engine(app)
    with Session(engine) as first, Session(engine) as second:
        stale = second.exec(select(OnboardingLink)).one()  # `second` read the link while it was still unused
        redeem_link(first, token, utcnow())
        first.commit()
        assert stale.used_at is None  # so only the conditional UPDATE can stop `second`
        with pytest.raises(LinkRefused) as refused:
            redeem_link(second, token, utcnow())
        assert refused.value.reason == "used" and refused.value.refresh_url == URLS["refresh_url"]


def test_a_copied_session_ends_when_the_account_opens_a_new_link(client: FlaskClient, app: Flask) -> None:
    """A copied cookie kept working for two hours and could replace the payout account (issue 14)."""
    account = _account(client)
    client.get(_link(client, account))
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/onboarding").status_code == 200  # the copy works while the visit lasts...
    user = app.test_client()
    user.get(_link(client, account))  # ...until the user opens the platform's next link
    assert thief.get("/onboarding").status_code == 401
    assert client.get("/onboarding").status_code == 401  # the older visit in the first browser too
    assert user.get("/onboarding").status_code == 200


def test_save_and_exit_ends_the_session_on_the_server(client: FlaskClient, app: Flask) -> None:
    account = _account(client)
    client.get(_link(client, account))
    html = client.get("/onboarding").get_data(as_text=True)
    assert 'data-testid="save-and-exit"' in html
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    left = client.post("/onboarding/exit", data={"csrf_token": token})
    assert left.status_code == 303 and left.headers["Location"] == URLS["return_url"]
    assert client.get("/onboarding").status_code == 401
    assert copy.get("/onboarding").status_code == 401  # the cookie taken before is refused too
