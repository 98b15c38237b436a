"""The account page (`/account`) and its payout pages: thin, over `page`, `schedule` and `services.payouts`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import visits
from ..db import get_engine, get_session
from ..gateway import GatewayError
from ..gateway.setup import get_gateway
from ..i18n import locale_code
from ..models.types import utcnow
from ..services.accounts import cached_state
from ..services.links import UPDATE
from ..services.payouts import OverviewCache, overview
from ..services.status import account_status
from ..wizard.submit import update_settings
from ..models import OnboardingLink
from ..wizard.views import submission_value, visit_of, visiting
from . import schedule
from .page import account_page
from .payout_failures import failure_text, status_text

bp = Blueprint("manage", __name__, url_prefix="/account")


def _update_link() -> OnboardingLink:
    """Return this request's link, which must be an update link (401 without a visit, 403 for onboarding)."""
    link = visits.current_link()
    if link.type != UPDATE:  # an onboarding link's visit stays in the onboarding forms
        abort(403)
    return link


@bp.get("")
def page() -> ResponseReturnValue:
    """Show what Stripe holds for the account, what it needs now, and where to change each answer."""
    _update_link()
    current = visiting()  # the steps: the account page lists each with its link
    account, version = current.account, current.version
    state = cached_state(get_session(), get_gateway(current_app), account, utcnow())
    content = account_page(account, current.steps, state, current.persons, version, locale_code(), gettext,
                           saved=request.args.get("saved"), changed=visits.people_changed())
    status = account_status(account, version.country(account.country))
    return render_template("manage/account.html", account=account, link=visits.current_link(), page=content,
                           status=status, schedule=schedule.current(state, locale_code(), gettext),
                           may_change_schedule=bool(current_app.config["PAYOUT_SCHEDULE_INTERVALS"]))


@bp.route("/payout-schedule", methods=["GET", "POST"])
def payout_schedule() -> ResponseReturnValue:
    """Show the payout schedule; where the platform allows it, change it within the platform's choices."""
    account = visits.repaired_account(_update_link())
    config = current_app.config
    intervals, delays = config["PAYOUT_SCHEDULE_INTERVALS"], config["PAYOUT_DELAY_DAYS"]
    state = cached_state(get_session(), get_gateway(current_app), account, utcnow())
    shown = schedule.current(state, locale_code(), gettext)
    if not intervals:
        if request.method == "POST":
            abort(403)  # the platform does not let its users change it
        return render_template("manage/schedule.html", schedule=shown, form=None, general=[])
    posting = request.method == "POST"
    form = schedule.schedule_form(intervals, delays, locale_code(), gettext, state, request.form if posting else None)
    general: list[str] = []
    if posting:
        if form.validate():
            inputs = {field.name for field in form if field.name != "csrf_token"}
            outcome = update_settings(get_session(), get_engine(current_app), get_gateway(current_app), account,
                                      schedule.schedule_params(form), inputs, visit_of())
            if outcome.ok:
                current_app.extensions["payouts_cache"].forget(account.stripe_id)
                return redirect(url_for("manage.page", saved="payout_schedule"), 303)
            for field in form:
                field.errors = [gettext(m.text, **m.params) for m in outcome.errors.get(field.name, [])]
            general = [gettext(m.text, **m.params) for m in outcome.general]
        else:  # only the choices offered are accepted: anything else is a tampered post
            for field in form:
                field.errors = [gettext("Choose one of the options.")] if field.errors else []
    page = render_template("manage/schedule.html", schedule=shown, form=form, general=general,
                           submission=submission_value())
    return page, 422 if posting else 200


@bp.get("/payouts")
def payouts() -> ResponseReturnValue:
    """Show the balance and the latest payouts, read from Stripe (kept a minute: `PAYOUTS_CACHE_SECONDS`)."""
    account = visits.current_account(_update_link())  # Stripe's balance and payouts only, nothing cached
    cache: OverviewCache = current_app.extensions["payouts_cache"]
    try:
        found = overview(get_gateway(current_app), account, utcnow(), cache)
    except GatewayError:
        return render_template("manage/payouts.html", overview=None), 503
    return render_template("manage/payouts.html", overview=found, failure_text=failure_text, status_text=status_text)
