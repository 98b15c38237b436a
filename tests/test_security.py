"""Security headers on every route, and the session cookie's flags."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.security import CSP
from tests.support.wizard import Wizard

SAMPLE_ARGS = {"token": "x", "ident": "x", "step_id": "business", "version_id": "x", "filename": "onboarding.css",
               "hosted_id": "x", "account": "acct_x", "secret": "x", "user_id": 1}


def _urls(app: Flask) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, rule.build({k: SAMPLE_ARGS[k] for k in rule.arguments}, append_unknown=False)[1]))
    return urls


def test_every_route_sends_the_security_headers(app: Flask, client: FlaskClient) -> None:
    """Enumerates the routes, so a new one cannot skip the headers."""
    urls = _urls(app)
    assert len(urls) >= 20
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.headers.get("Content-Security-Policy") == CSP, (method, url)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (method, url)
        assert response.headers.get("Referrer-Policy") == "same-origin", (method, url)
        assert "frame-ancestors 'none'" in CSP and "script-src 'none'" in CSP
        response.close()


def test_pages_with_personal_data_are_never_stored_by_a_browser_or_proxy(app: Flask, client: FlaskClient) -> None:
    """Every route answers `Cache-Control: no-store`; static files keep their own caching (issue 14)."""
    for method, url in _urls(app):
        response = client.open(url, method=method)
        if not url.startswith(("/static/", "/brand/")):
            assert response.headers.get("Cache-Control") == "no-store", (method, url)
        response.close()
    static = client.get("/static/onboarding.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_hsts_on_https_only(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_page_has_inline_script_or_style(client: FlaskClient) -> None:
    html = Wizard(client, "US").start().html + client.get("/").get_data(as_text=True)
    assert "<script" not in html and "<style" not in html and " style=" not in html


def test_session_cookie_flags(app_config: dict[str, Any]) -> None:
    for secure in (False, True):
        app = create_app({**app_config, "SESSION_COOKIE_SECURE": secure})
        client = app.test_client()
        client.get("/?lang=de")
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and cookie.secure is secure
        app.extensions["stripe_sandbox"].close()


@pytest.mark.parametrize("hops, seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_comes_from_the_trusted_proxy_only(app_config: dict[str, Any], hops: int,
                                                               seen: str) -> None:
    """Behind a proxy every user had the proxy's address: one login limit for all (issue 14)."""
    from flask import request

    app = create_app({**app_config, "TRUSTED_PROXIES": hops})
    addresses = []
    app.before_request(lambda: addresses.append(request.remote_addr))
    forwarded = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"}
    app.test_client().get("/healthz", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert addresses == [seen]  # with one trusted proxy, the address it saw; the client's own claim is ignored
    app.extensions["stripe_sandbox"].close()
    get_engine(app).dispose()
