"""A visit: the onboarding session a link starts in this browser, bound to one link and its account.

Used by the portal (the status page, save and exit), the wizard and the hosted flow. The session is
a signed cookie holding the link, the account, when it started and (once the wizard planned it) the
catalog fields the visit collects. It is revocable on the server: it ends after
`ONBOARDING_SESSION_LIFETIME`, with "Save and exit" (`onboarding_links.ended_at`), and when a newer
link of the account is opened (a copied cookie of an older visit stops working then).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app, request, session
from sqlmodel import Session, select

from .db import get_session
from .i18n import restart_session
from .models import ConnectedAccount, OnboardingLink
from .models.types import utcnow

SESSION_KEY = "onboarding"
_CHECKED = "onboarding.visit_link"  # the link this request checked already


def begin(link: OnboardingLink, now: datetime) -> None:
    """Start this browser's visit of a link; whatever session the browser had ends (its language stays)."""
    restart_session()
    session[SESSION_KEY] = {"account": link.account_id, "link": link.id, "started": now.isoformat()}


def data() -> dict[str, Any] | None:
    """Return this browser's visit (account, link, fields), or None when there is none or it ended."""
    found = session.get(SESSION_KEY)
    if not isinstance(found, dict):
        return None
    started = datetime.fromisoformat(found["started"])
    if utcnow() - started > timedelta(seconds=current_app.config["ONBOARDING_SESSION_LIFETIME"]):
        return None
    return found


def planned_fields() -> list[str] | None:
    """Return the catalog fields the wizard planned for this visit, or None before it planned them."""
    fields = (session.get(SESSION_KEY) or {}).get("fields")
    return list(fields) if isinstance(fields, list) else None


def plan(fields: list[str]) -> None:
    """Keep the catalog fields this visit collects (the wizard plans them on its first page, and again
    when the business type changes what is asked)."""
    session[SESSION_KEY] = {**session[SESSION_KEY], "fields": fields}


def current_link() -> OnboardingLink:
    """Return the link of this browser's visit, or answer 401 when there is none or it ended (checked once a request)."""
    # Kept in the request's environ, not in `g`: an app context can outlive a request (tests, CLI).
    checked = request.environ.get(_CHECKED)
    if checked is not None:
        return checked
    found = data()
    if found is None:
        session.pop(SESSION_KEY, None)
        abort(401)
    db = get_session()
    link = db.get(OnboardingLink, found["link"])
    if link is None or link.account_id != found["account"] or link.ended_at is not None or replaced(db, link):
        session.pop(SESSION_KEY, None)
        abort(401)
    request.environ[_CHECKED] = link
    return link


def replaced(db: Session, link: OnboardingLink) -> bool:
    """Tell whether a newer link of the same account was opened since: it ends this link's visits."""
    newer = select(OnboardingLink.id).where(
        OnboardingLink.account_id == link.account_id, OnboardingLink.id != link.id,
        OnboardingLink.used_at.is_not(None), OnboardingLink.used_at > link.used_at)  # type: ignore[union-attr,operator]
    return link.used_at is not None and db.exec(newer.limit(1)).first() is not None


def current_account(link: OnboardingLink) -> ConnectedAccount:
    """Return the account of the visit's link, or answer 401 when it no longer exists."""
    account = get_session().get(ConnectedAccount, link.account_id)
    if account is None:
        abort(401)
    return account


def end(link: OnboardingLink, now: datetime) -> None:
    """End this visit on the server: this cookie and every copy of it stop working."""
    request.environ.pop(_CHECKED, None)
    link.ended_at = now
    get_session().add(link)
    session.pop(SESSION_KEY, None)
