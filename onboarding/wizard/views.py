"""The wizard's pages: `/onboarding/start` and `/onboarding/step/<id>` (thin views over plan and submit)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, get_locale

from requirements_catalog import Version

from ..catalog import get_catalog
from ..db import get_engine, get_session
from ..gateway import GatewayError
from ..gateway.setup import get_gateway
from ..models import ConnectedAccount
from ..models.types import utcnow
from ..portal import SESSION_KEY, current_link
from .plan import Step, build_steps, due_requirements, needed_fields
from .questions import Question, Setting, build_question, read_answer
from .submit import Outcome, Visit, submit_step

bp = Blueprint("wizard", __name__, url_prefix="/onboarding")


def _context() -> tuple[ConnectedAccount, Version, list[Step], set[str]]:
    link = current_link()
    account = get_session().get(ConnectedAccount, link.account_id)
    version = get_catalog(current_app).version(account.catalog_version or None)
    country = version.country(account.country)
    needed_now = set(needed_fields(country, account, due_requirements(account, link.collect))) if country else set()
    steps = build_steps(version, account, session[SESSION_KEY].get("fields", []), needed_now)
    return account, version, steps, needed_now


def _setting(account: ConnectedAccount, version: Version) -> Setting:
    return Setting(account.country, version, str(get_locale() or "en"), gettext)


@bp.get("/start")
def start() -> ResponseReturnValue:
    """Go to the first step that still needs something, or to the status page when nothing does."""
    _, _, steps, _ = _context()
    pending = next((step for step in steps if not step.done), None)
    return redirect(url_for("wizard.step", step_id=pending.id) if pending else url_for("portal.status"), 303)


def _questions(step: Step, account: ConnectedAccount, version: Version) -> list[Question]:
    try:
        state = get_gateway(current_app).retrieve_account(account.stripe_id) if account.stripe_id else {}
    except GatewayError:
        state = {}  # the form still works; it just is not prefilled
    setting = _setting(account, version)
    return [build_question(f, setting, state) for f in step.fields]


def _render(steps: list[Step], step: Step, questions: list[Question], outcome: Outcome | None = None,
            form: Any = None, status: int = 200) -> ResponseReturnValue:
    if outcome is not None and form is not None:
        for question in questions:
            _keep_typed(question, form)
            question.errors = [_text(m) for m in outcome.errors.get(question.name, [])]
            for input_ in question.inputs:
                input_.errors = [_text(m) for m in outcome.errors.get(input_.name, [])]
    general = [_text(m) for m in outcome.general] if outcome else []
    index = [s.id for s in steps].index(step.id)
    return render_template("wizard/step.html", steps=steps, step=step, index=index, questions=questions,
                           general=general, submission=secrets.token_urlsafe(16),
                           previous=steps[index - 1] if index else None), status


def _text(message: Any) -> str:
    return gettext(message.text, **message.params) if message.params else gettext(message.text)


def _keep_typed(question: Question, form: Any) -> None:
    """Show what the user typed again after an error, except numbers that are never echoed."""
    if question.field.type in ("id_number", "tax_id", "bank_account", "document"):
        return
    answer = read_answer(question, form)
    for input_ in question.inputs:
        value = form.get(input_.name)
        if value is not None and input_.kind != "checkbox":
            input_.value = value
        elif input_.kind == "checkbox":
            input_.value = "yes" if answer is True else ""


@bp.route("/step/<step_id>", methods=["GET", "POST"])
def step(step_id: str) -> ResponseReturnValue:
    """Show a step, or check and send its answers and go on to the next step that needs something."""
    account, version, steps, needed_now = _context()
    current = next((s for s in steps if s.id == step_id), None)
    if current is None:
        abort(404)
    if request.method == "POST":
        setting = _setting(account, version)
        allowed = {i.name for f in current.fields for i in build_question(f, setting, None).inputs}
        if (set(request.form) | set(request.files)) - allowed - {"csrf_token", "submission"}:
            abort(400)  # a tampered post: fields that are not on this step; nothing is read or written
    questions = _questions(current, account, version)
    if request.method == "GET":
        return _render(steps, current, questions)
    visit = Visit(now=utcnow(), ip=request.remote_addr or "", user_agent=request.user_agent.string[:500],
                  submission=request.form.get("submission") or secrets.token_urlsafe(16),
                  test_mode=get_gateway(current_app).mode != "stripe" or _is_test_key())
    outcome = submit_step(get_session(), get_engine(current_app), get_gateway(current_app), account, version,
                          questions, request.form, request.files, needed_now, visit)
    if not outcome.ok:
        return _render(steps, current, questions, outcome, request.form, 422)
    return redirect(url_for("wizard.start"), 303)


def _is_test_key() -> bool:
    return str(current_app.config.get("STRIPE_SECRET_KEY") or "").startswith(("sk_test_", "rk_test_"))
