"""Security headers on every response, and the session cookie's flags.

The pages carry no JavaScript, so the Content Security Policy allows no script at all; styles
come only from this service (the brand colours are served as `/brand/theme.css`, not inline).
HSTS is sent on HTTPS requests. Session cookies are HttpOnly and SameSite=Lax always, and Secure
when `SESSION_COOKIE_SECURE` says so (the default with a real Stripe key, where HTTPS is expected).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {  # Cache-Control: see `_headers`
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# Where Stripe serves an Account Link's page (docs.stripe.com/api/account_links/create: `url` is
# https://connect.stripe.com/setup/...; read 2026-12-06).
STRIPE_HOSTED_ORIGIN = "https://connect.stripe.com"


def csp_sending_forms_to_stripe(config: Mapping[str, Any]) -> str:
    """Return the policy of a page whose form is answered with a redirect to Stripe's hosted flow.

    Browsers hold a form's redirects to `form-action` too, so such a page also allows the origin of the
    hosted pages: Stripe's, a sandbox server's (`STRIPE_API_BASE`), or ours (the in-process sandbox).
    """
    origin = {"stripe": STRIPE_HOSTED_ORIGIN, "sandbox-server": _origin(config.get("STRIPE_API_BASE") or "")
              }.get(config.get("STRIPE_MODE") or "")
    return CSP.replace("form-action 'self'", f"form-action 'self' {origin}") if origin else CSP


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Pages show personal data (names, addresses, the last four digits): no browser or proxy keeps them.
    # Static files set their own caching, which this leaves alone.
    response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response; behind `TRUSTED_PROXIES` reverse proxies, read the client from them.

    Werkzeug's ProxyFix takes the client's address, scheme and host from the `X-Forwarded-*` headers the
    last N proxies set. N must be exactly the proxies in front (0: none, the headers are ignored): trusting
    more lets a client choose its own address, trusting fewer counts every user as the proxy (one login limit
    for everybody).
    """
    app.after_request(_headers)
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
