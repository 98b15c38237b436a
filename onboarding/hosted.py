"""`/onboarding/stripe`: send the user to Stripe's hosted flow for what no form of ours can send, and back.

- `POST /onboarding/stripe`, the status page's "Continue with Stripe" button, makes an Account Link and
  redirects (303) to it.
- `GET /onboarding/stripe/refresh` is the link's `refresh_url`. Stripe sends the user there when the link
  has expired or was already used. It makes a new link; the user's session says for which account.
- `GET /onboarding/stripe/return/<id>` is the link's `return_url`. It re-reads the account from Stripe and
  sends the user on: to the status page, or, for a link the platform asked for, to the platform's page.

What is recorded, and why there, is in `services/hosted.py`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .catalog import account_country
from .db import get_engine, get_session
from .gateway import GatewayError
from .gateway.setup import get_gateway
from .models.types import utcnow
from .portal import status_page
from .visits import current_account, current_link
from .services.hosted import NothingForStripe, came_back, send_to_stripe

bp = Blueprint("hosted", __name__, url_prefix="/onboarding/stripe")
logger = logging.getLogger(__name__)


def public_base() -> str:
    """Return this service's external address (`PUBLIC_URL`, else the request's own), without a trailing slash."""
    return str(current_app.config.get("PUBLIC_URL") or request.url_root).rstrip("/")


def return_address(hosted_id: str) -> str:
    """Return the address Stripe sends the user back to after the hosted flow of record `hosted_id`."""
    return public_base() + url_for("hosted.back", hosted_id=hosted_id)


def _send_user() -> ResponseReturnValue:
    link = current_link()
    account = current_account(link)
    base = public_base()
    try:
        _hosted, url = send_to_stripe(
            get_session(), get_engine(current_app), get_gateway(current_app), account, requested_by="user",
            return_to=base + url_for("portal.status"), refresh_url=base + url_for("hosted.refresh"),
            return_url=return_address, now=utcnow(), onboarding_link_id=link.id, ip=request.remote_addr,
            country=account_country(current_app, account))
    except NothingForStripe:  # cleared meanwhile (a webhook, another tab): the status page says what is left
        return redirect(url_for("portal.status"), 303)
    except GatewayError as exc:
        logger.warning("could not make an Account Link for account %s: %s", account.id, exc.message)
        return status_page(link, account, stripe_unreachable=True, code=502)
    response = redirect(url, 303)
    response.headers["Cache-Control"] = "no-store"  # the address opens the account's onboarding for minutes
    return response  # once this request commits, the notification (the user went to Stripe) is sent


@bp.post("")
def start() -> ResponseReturnValue:
    """Send the user to Stripe's hosted flow (the status page's button)."""
    return _send_user()


@bp.get("/refresh")
def refresh() -> ResponseReturnValue:
    """Make a new Account Link for a user whose link expired or was used (Stripe's redirect to `refresh_url`)."""
    return _send_user()


@bp.get("/return/<hosted_id>")
def back(hosted_id: str) -> ResponseReturnValue:
    """Welcome a user back from Stripe: re-read the account, then go on to where the flow started."""
    # PostgreSQL text cannot hold a NUL character: such an id names no record (and the query would fail).
    hosted = None if "\x00" in hosted_id else came_back(get_session(), get_gateway(current_app), hosted_id, utcnow())
    if hosted is None:
        abort(404)
    return redirect(hosted.return_to, 303)


def init_app(app: Flask) -> None:
    """Register the hosted-flow routes."""
    app.register_blueprint(bp)
