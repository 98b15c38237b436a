"""End-user pages: opening an onboarding link, and the account's status page.

Opening `/onboard/<token>` uses the link once, starts a session bound to its account and
redirects to `/onboarding`, so the token never stays in the address bar, the history or a
Referer header. A used or expired link is refused with 410 Gone, on a page that sends the user on
to the platform's `refresh_url` at once (a meta refresh, no JavaScript), where the platform makes a
new link; an unknown token gets a 404 page that says what to do. Either way nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import (Blueprint, Flask, Response, abort, current_app, make_response, redirect, render_template, session,
                   url_for)
from flask.typing import ResponseReturnValue
from sqlmodel import select

from .catalog import get_catalog
from .db import get_engine, get_session
from .gateway.setup import get_gateway
from .i18n import restart_session
from .models import ConnectedAccount, OnboardingLink
from .models.types import utcnow
from .security import csp_sending_forms_to_stripe
from .services.accounts import read_account
from .services.answers import repair
from .services.hosted import describe, stripe_only_due
from .services.links import LinkRefused, check_link, claim_link
from .services.status import account_status
from .wizard.persons import person_roles
from .wizard.plan import due_requirements, needed_fields, platform_fields

bp = Blueprint("portal", __name__)
SESSION_KEY = "onboarding"


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
    restart_session()  # a new link replaces whatever session this browser had (but not its language)
    session[SESSION_KEY] = {"account": link.account_id, "link": link.id, "started": now.isoformat(),
                            "fields": visit_fields(account, link)}
    return redirect(url_for("wizard.start"), 303)


def visit_fields(account: ConnectedAccount, link: OnboardingLink) -> list[str]:
    """Return the catalog fields this visit collects: what Stripe needs now (or eventually, on request)."""
    version = get_catalog(current_app).version(account.catalog_version or None)
    country = version.country(account.country)
    if country is None:
        return []
    needed = needed_fields(country, account, due_requirements(account, link.collect, utcnow()),
                           person_roles(account.stripe_persons or []))
    return needed + [path for path in platform_fields(country, account)[0] if path not in needed]


def visit_data() -> dict[str, Any] | None:
    """Return this browser's onboarding session (account, link, fields), or None when there is none or it ended."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    started = datetime.fromisoformat(data["started"])
    if utcnow() - started > timedelta(seconds=current_app.config["ONBOARDING_SESSION_LIFETIME"]):
        return None
    return data


def current_link() -> OnboardingLink:
    """Return the link of this browser's onboarding session, or answer 401 when there is none or it ended."""
    data = visit_data()
    if data is None:
        session.pop(SESSION_KEY, None)
        abort(401)
    db = get_session()
    link = db.get(OnboardingLink, data["link"])
    if link is None or link.account_id != data["account"] or link.ended_at is not None or _replaced(db, link):
        session.pop(SESSION_KEY, None)
        abort(401)
    return link


def _replaced(db: Any, link: OnboardingLink) -> bool:
    """Tell whether a newer link of the same account was opened since: it ends this link's sessions.

    Sessions are cookies; this makes them revocable on the server. A copied cookie of an older
    visit stops working as soon as the user opens the platform's next link.
    """
    newer = select(OnboardingLink.id).where(
        OnboardingLink.account_id == link.account_id, OnboardingLink.id != link.id,
        OnboardingLink.used_at.is_not(None), OnboardingLink.used_at > link.used_at)  # type: ignore[union-attr,operator]
    return link.used_at is not None and db.exec(newer.limit(1)).first() is not None


@bp.post("/onboarding/exit")
def save_and_exit() -> ResponseReturnValue:
    """End this visit on the server (answers are saved step by step) and go back to the platform."""
    link = current_link()
    link.ended_at = utcnow()
    get_session().add(link)
    session.pop(SESSION_KEY, None)
    return redirect(link.return_url, 303)


def current_account(link: OnboardingLink) -> ConnectedAccount:
    """Return the account of the session's link, or answer 401 when it no longer exists."""
    account = get_session().get(ConnectedAccount, link.account_id)
    if account is None:
        abort(401)
    return account


@bp.get("/onboarding")
def status() -> ResponseReturnValue:
    """Show the account's state: enabled, pending, what is still needed and by when."""
    link = current_link()
    account = current_account(link)
    if repair(get_engine(current_app), account.id, utcnow()):  # a lost answer, first
        get_session().refresh(account)
    return status_page(link, account)


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
