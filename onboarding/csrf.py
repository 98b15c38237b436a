"""CSRF protection for every form post; the platform API (bearer token), Stripe's webhooks and the in-process
sandbox's stand-in for Stripe's hosted pages are exempt."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask) -> None:
    """Protect form posts; exempt the JSON endpoints that authenticate otherwise."""
    protect = CSRFProtect(app)
    protect.exempt(app.blueprints["api"])
    protect.exempt(app.blueprints["webhooks"])
    if "sandbox_pages" in app.blueprints:  # the in-process sandbox's stand-in for Stripe's pages (sandbox_pages.py)
        protect.exempt(app.blueprints["sandbox_pages"])
    app.extensions["csrf_protect"] = protect
