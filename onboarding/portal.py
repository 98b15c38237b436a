"""End-user pages: opening an onboarding link, and the account's status page.

Opening `/onboard/<token>` uses the link once, starts a session bound to its account and
redirects to `/onboarding`, so the token never stays in the address bar, the history or a
Referer header. A used or expired link is refused with 410 Gone, on a page that sends the user on
to the platform's `refresh_url` at once (a meta refresh, no JavaScript), where the platform makes a
new link; an unknown token gets a 404 page that says what to do. Either way nothing is written.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from . import visits
from .catalog import get_catalog
from .db import get_session
from .gateway.setup import get_gateway
from .models import ConnectedAccount, OnboardingLink
from .models.types import utcnow
from .security import csp_sending_forms_to_stripe
from .services.accounts import read_account
from .services.hosted import describe, stripe_only_due
from .services.links import UPDATE, LinkRefused, check_link, claim_link
from .services.status import account_status

bp = Blueprint("portal", __name__)


@bp.get("/onboard/<token>")
def open_link(token: str) -> ResponseReturnValue:
    """Use a link and start the user's session."""
    db = get_session()
    now = utcnow()
    try:
        link = check_link(db, token, now)
        account = db.get(ConnectedAccount, link.account_id)
        if account is None:  # deleted meanwhile: the link cannot lead anywhere
            return render_template("portal/link_invalid.html"), 404
        # The one Stripe read of a visit: it catches up on what a missed webhook would have said; the
        # pages that follow read only our cache, which writes and webhooks keep current. It comes before
        # the link is claimed, so that no write (SQLite's lock) is held while Stripe answers.
        fresh = read_account(get_gateway(current_app), account)
        claim_link(db, link, now)
    except LinkRefused as refused:
        if refused.refresh_url:
            return render_template("portal/link_refresh.html", refresh_url=refused.refresh_url), 410
        return render_template("portal/link_invalid.html"), 404
    if fresh is not None:
        fresh.apply_to(account, now)
        db.add(account)
    visits.begin(link, now)  # a new link replaces whatever session this browser had (but not its language)
    return redirect(url_for("manage.page" if link.type == UPDATE else "wizard.start"), 303)


@bp.post("/onboarding/exit")
def save_and_exit() -> ResponseReturnValue:
    """End this visit on the server (answers are saved step by step) and go back to the platform."""
    link = visits.current_link()
    visits.end(link, utcnow())
    return redirect(link.return_url, 303)


@bp.get("/onboarding")
def status() -> ResponseReturnValue:
    """Show the account's state: enabled, pending, what is still needed and by when."""
    link = visits.current_link()
    return status_page(link, visits.repaired_account(link))


def status_page(link: OnboardingLink, account: ConnectedAccount, *, stripe_unreachable: bool = False,
                code: int = 200) -> Response:
    """Render the status page; with something only Stripe answers, it offers Stripe's hosted flow for that."""
    version = get_catalog(current_app).version(account.catalog_version or None)
    # One line per distinct need: a person's and the account's liveness check read alike.
    country = version.country(account.country)
    for_stripe = list(dict.fromkeys(describe(r) for r in stripe_only_due(account, country)))
    response = make_response(render_template(
        "portal/status.html", account=account, link=link, for_stripe=for_stripe,
        stripe_unreachable=stripe_unreachable, status=account_status(account, country)),
        code)
    if for_stripe:  # its form is answered with a redirect to Stripe's page, which browsers check too
        response.headers["Content-Security-Policy"] = csp_sending_forms_to_stripe(current_app.config)
    return response


def _session_ended(_error: Exception) -> ResponseReturnValue:
    return render_template("portal/session_ended.html"), 401


def init_app(app: Flask) -> None:
    """Register the end-user pages."""
    app.register_blueprint(bp)
    app.register_error_handler(401, _session_ended)
