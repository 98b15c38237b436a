"""CSRF protection for every form post; the platform API (bearer token) and Stripe's webhooks are exempt."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask) -> None:
    """Protect form posts; exempt the JSON endpoints that authenticate otherwise."""
    protect = CSRFProtect(app)
    protect.exempt(app.blueprints["api"])
    protect.exempt(app.blueprints["webhooks"])
    app.extensions["csrf_protect"] = protect
