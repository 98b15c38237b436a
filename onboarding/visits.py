"""A visit: the onboarding session a link starts in this browser, bound to one link and its account.

Used by the portal (the status page, save and exit), the wizard and the hosted flow. The session is
a signed cookie holding the link, the account, when it started and (once the wizard planned it) the
catalog fields the visit collects. It is revocable on the server: it ends after
`ONBOARDING_SESSION_LIFETIME`, with "Save and exit" (`onboarding_links.ended_at`), and when a newer
link of the account is opened (a copied cookie of an older visit stops working then).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app, request, session
from sqlalchemy import bindparam
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from .db import get_engine, get_session
from .i18n import restart_session
from .models import ConnectedAccount, OnboardingLink, StripeWrite
from .models.types import utcnow
from .services.answers import repair

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


def people_changed() -> list[str]:
    """Return the steps about people whose list this update visit changed, not yet declared complete again."""
    return list((session.get(SESSION_KEY) or {}).get("changed") or [])


def note_people_changed(step_id: str, changed: bool) -> None:
    """Keep that the people of a step changed (their declaration is owed again), or that it was given again."""
    visit = session[SESSION_KEY]
    steps = [s for s in visit.get("changed") or [] if s != step_id] + ([step_id] if changed else [])
    session[SESSION_KEY] = {**visit, "changed": steps}


@dataclass(frozen=True)
class Checked:
    """What one query found of this request's visit: its link, its account, and whether an answer of
    Stripe waits for the cache (`services/answers.py`: repaired before anything is shown)."""

    link: OnboardingLink
    account: ConnectedAccount | None
    answer_waiting: bool


@functools.cache
def _visit_query() -> Any:
    """Return the one statement that checks a visit (built once: building it costs as much as running it)."""
    other = aliased(OnboardingLink)
    newer = (select(other.id).where(
        other.account_id == OnboardingLink.account_id, other.id != OnboardingLink.id,
        col(other.used_at).is_not(None), col(OnboardingLink.used_at).is_not(None),
        col(other.used_at) > col(OnboardingLink.used_at)).exists())
    waiting = (select(StripeWrite.id).where(
        StripeWrite.account_id == OnboardingLink.account_id, StripeWrite.status == "succeeded",
        col(StripeWrite.answer).is_not(None), col(StripeWrite.applied_at).is_(None)).exists())
    return (select(OnboardingLink, ConnectedAccount, newer.label("replaced"), waiting.label("waiting"))
            .outerjoin(ConnectedAccount, ConnectedAccount.id == OnboardingLink.account_id)  # type: ignore[arg-type]
            .where(OnboardingLink.id == bindparam("link")))


def check() -> Checked:
    """Check this browser's visit with one query, once a request; answer 401 when there is none or it ended.

    It ends after its lifetime, with "Save and exit", and when a newer link of the account was opened
    since (a copied cookie of an older visit stops working then).
    """
    # Kept in the request's environ, not in `g`: an app context can outlive a request (tests, CLI).
    checked = request.environ.get(_CHECKED)
    if checked is not None:
        return checked
    found = data()
    row = None
    if found is not None:
        row = get_session().execute(_visit_query(), {"link": found["link"]}).first()
    if row is None or row[0].account_id != found["account"] or row[0].ended_at is not None or row.replaced:
        session.pop(SESSION_KEY, None)
        abort(401)
    checked = Checked(row[0], row[1], bool(row.waiting))
    request.environ[_CHECKED] = checked
    return checked


def current_link() -> OnboardingLink:
    """Return the link of this browser's visit, or answer 401 when there is none or it ended."""
    return check().link


def current_account(link: OnboardingLink) -> ConnectedAccount:
    """Return the account of the visit's link, or answer 401 when it no longer exists."""
    account = check().account
    if account is None or account.id != link.account_id:
        abort(401)
    return account


def repaired_account(link: OnboardingLink) -> ConnectedAccount:
    """Return the visit's account with what Stripe answered a request whose commit then failed put into the
    cache first (`services/answers.py`): the pages that show the account call this, before anything is shown."""
    account = current_account(link)
    if check().answer_waiting and repair(get_engine(current_app), account.id, utcnow()):
        get_session().refresh(account)
    return account


def end(link: OnboardingLink, now: datetime) -> None:
    """End this visit on the server: this cookie and every copy of it stop working."""
    request.environ.pop(_CHECKED, None)
    link.ended_at = now
    get_session().add(link)
    session.pop(SESSION_KEY, None)
