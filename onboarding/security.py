"""Security headers on every response, and the session cookie's flags.

The pages carry no JavaScript, so the Content Security Policy allows no script at all; styles
come only from this service (the brand colours are served as `/brand/theme.css`, not inline).
HSTS is sent on HTTPS requests. Session cookies are HttpOnly and SameSite=Lax always, and Secure
when `SESSION_COOKIE_SECURE` says so (the default with a real Stripe key, where HTTPS is expected).
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(_headers)
