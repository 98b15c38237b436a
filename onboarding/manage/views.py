"""The account page (`GET /account`): thin, over `page.account_page` and the wizard's visit."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import visits
from ..db import get_session
from ..gateway.setup import get_gateway
from ..i18n import locale_code
from ..models.types import utcnow
from ..services.accounts import cached_state
from ..services.links import UPDATE
from ..services.status import account_status
from ..wizard.views import visiting
from .page import account_page

bp = Blueprint("manage", __name__, url_prefix="/account")


@bp.get("")
def page() -> ResponseReturnValue:
    """Show what Stripe holds for the account, what it needs now, and where to change each answer."""
    current = visiting()  # 401 without a visit
    link = visits.current_link()
    if link.type != UPDATE:  # an onboarding link's visit stays in the onboarding forms
        abort(403)
    account, version = current.account, current.version
    state = cached_state(get_session(), get_gateway(current_app), account, utcnow())
    content = account_page(account, current.steps, state, current.persons, version, locale_code(), gettext,
                           saved=request.args.get("saved"), changed=visits.people_changed())
    status = account_status(account, version.country(account.country))
    return render_template("manage/account.html", account=account, link=link, page=content, status=status)
