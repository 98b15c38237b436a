"""Build the gateway from configuration and keep it in `app.extensions`."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask

from ..config import SANDBOX_KEY
from ..models.types import utcnow
from . import sandbox_pages
from .interface import Gateway
from .stripe_gateway import StripeGateway


def _in_process_sandbox(app: Flask) -> Any:
    # Imported here: the sandbox is a development and test stand-in, not needed against real Stripe.
    from stripe_sandbox import Sandbox
    from stripe_sandbox.http_client import SandboxHTTPClient

    if not app.config["STRIPE_WEBHOOK_SECRETS"]:
        app.config["STRIPE_WEBHOOK_SECRETS"] = ["whsec_" + secrets.token_hex(16)]
    target = _deliver_to(app) if app.config["SANDBOX_DELIVER_WEBHOOKS"] else None
    # The app's clock: the sandbox applies future requirements and stamps events by the same time as the app.
    # Its hosted pages (Account Links) are served by this app (`sandbox_pages.py`), at this app's address.
    sandbox = Sandbox(webhook_target=target, webhook_secret=app.config["STRIPE_WEBHOOK_SECRETS"][0],
                      clock=lambda: utcnow().timestamp(), hosted_base=lambda: sandbox_pages.hosted_base(app),
                      requirement_naming=app.config.get("SANDBOX_REQUIREMENT_NAMING", "documented"))
    app.extensions["stripe_sandbox"] = sandbox
    sandbox_pages.init_app(app)
    return SandboxHTTPClient(sandbox)


def _deliver_to(app: Flask) -> Any:
    """Deliver the in-process sandbox's events to this app's own webhook endpoint."""

    def deliver(payload: bytes, headers: dict[str, str]) -> int:
        with app.test_client() as client:
            # Closed like a real server closes it: that runs the work queued for after the response.
            with client.post("/webhooks/stripe", data=payload, headers=headers) as response:
                return response.status_code

    return deliver


def init_app(app: Flask) -> None:
    """Create the gateway for this app's configuration."""
    mode = app.config["STRIPE_MODE"]
    http_client = _in_process_sandbox(app) if mode == "sandbox" else None
    gateway: Gateway = StripeGateway.build(
        app.config.get("STRIPE_SECRET_KEY") or SANDBOX_KEY,
        api_base=app.config.get("STRIPE_API_BASE"),
        webhook_secrets=app.config["STRIPE_WEBHOOK_SECRETS"],
        max_network_retries=app.config["STRIPE_MAX_NETWORK_RETRIES"],
        http_client=http_client,
        mode=mode,
    )
    app.extensions["gateway"] = gateway


def get_gateway(app: Flask) -> Gateway:
    """Return the app's gateway."""
    return app.extensions["gateway"]
