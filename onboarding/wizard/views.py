"""The wizard's pages: `/onboarding/start` and `/onboarding/step/<id>` (thin views over plan and submit)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from requirements_catalog import Field, Version

from ..catalog import get_catalog
from ..i18n import locale_code
from ..db import get_engine, get_session
from ..gateway.setup import get_gateway
from ..models import ConnectedAccount
from ..models.types import utcnow
from .. import visits
from ..visits import current_link
from ..requirement_strings import read
from ..services.accounts import cached_persons, cached_state
from ..services.links import UPDATE
from .persons import RELATIONSHIP, ROLE_STEPS, SINGLE, display_name, members, person_roles
from .plan import (BUSINESS_TYPE_STEP, Step, build_steps, due_requirements, needed_fields, platform_fields,
                   update_fields, visit_fields)
from .forms import Question, Setting, StepForm, bind, compiled, posted
from . import render
from .review import ReviewSection, review
from .stripe_errors import message_for
from .submit import PAYOUT_WINDOW_PASSED, Outcome, PersonTarget, Visit, payout_accounts, remove_person, submit_step

bp = Blueprint("wizard", __name__, url_prefix="/onboarding")
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass
class Visiting:
    """Everything a wizard request works with."""

    account: ConnectedAccount
    version: Version
    steps: list[Step]
    needed: set[str]  # catalog paths Stripe needs now
    persons: list[dict[str, Any]]  # the company's people (empty for individuals)
    updating: bool = False  # an update link's visit: the steps edit what Stripe holds, from the account page


def visiting() -> Visiting:
    """Return what this request's visit works with: account, catalog version, steps (the account page uses it too)."""
    return _context()


def _context() -> Visiting:
    link = current_link()
    account = visits.repaired_account(link)
    version = get_catalog(current_app).version(account.catalog_version or None)
    country = version.country(account.country)
    persons = cached_persons(get_session(), get_gateway(current_app), account)
    roles = person_roles(persons)
    requirements = due_requirements(account, link.collect, utcnow())
    needed = set(needed_fields(country, account, requirements, roles)) if country else set()
    asked, required = platform_fields(country, account) if country else ([], [])
    needed |= set(required)
    urgent = needed  # what Stripe needs now; a link that collects everything asks more than that
    if country and link.collect != "currently_due":
        urgent = set(needed_fields(country, account, due_requirements(account, "currently_due", utcnow()), roles))
        urgent |= set(required)
    updating = link.type == UPDATE
    if updating:  # every answer the user may change, answered or not
        fields = update_fields(country, account)
    elif (fields := visits.planned_fields()) is None:  # the visit's first page: what it collects, planned once
        fields = visit_fields(country, account, link.collect, utcnow())
        visits.plan(fields)
    steps = build_steps(version, account, [*fields, *asked], needed, urgent)
    return Visiting(account, version, steps, needed, persons, updating)


def _go_on(visiting: Visiting, step_id: str) -> ResponseReturnValue:
    """Go to the next step that needs something; an update goes back to the account page, saying what was saved."""
    if visiting.updating:
        return redirect(url_for("manage.page", saved=step_id), 303)
    return redirect(url_for("wizard.start"), 303)


def _setting(account: ConnectedAccount, version: Version) -> Setting:
    return Setting(account.country, version, locale_code(), gettext)


@bp.get("/start")
def start() -> ResponseReturnValue:
    """Go to the first step that still needs something, or to the status page when nothing does."""
    visiting = _context()
    if visiting.updating:
        return redirect(url_for("manage.page"), 303)
    pending = next((step for step in visiting.steps if not step.done), None)
    return redirect(url_for("wizard.step", step_id=pending.id) if pending else url_for("portal.status"), 303)


def _questions(fields: Any, account: ConnectedAccount, version: Version, state: dict[str, Any],
               formdata: Any = None) -> list[Question]:
    """Return the questions of a step's Flask-WTF form, filled from Stripe's state or from the posted form."""
    return bind(fields, _setting(account, version), state, formdata)[1]


def _posted(fields: Any, account: ConnectedAccount, version: Version, state: dict[str, Any]) -> StepForm:
    """Return the step's form bound to this post, to check and send."""
    return posted(fields, _setting(account, version), state, request.form)


def _render(account: ConnectedAccount, steps: list[Step], step: Step, questions: list[Question],
            outcome: Outcome | None = None, status: int = 200, template: str = "wizard/step.html",
            summary: list[ReviewSection] | None = None, **extra: Any) -> ResponseReturnValue:
    """Render a step's questions (after a refused post: bound to what was typed, with the refusal's errors)."""
    if outcome is not None:
        for question in questions:
            question.errors = [_text(m) for m in outcome.errors.get(question.name, [])]
            for input_ in question.inputs:
                if input_.name != question.name:  # a single input's errors are the question's
                    input_.errors = [_text(m) for m in outcome.errors.get(input_.name, [])]
    general = [_text(m) for m in outcome.general] if outcome else []
    index = [s.id for s in steps].index(step.id)
    if outcome is None:
        _show_stripe_reasons(account, questions)
    deadline = account.current_deadline if any(not s.done for s in steps) else None
    updating = current_link().type == UPDATE
    page = render_template(template, steps=steps, step=step, index=index, questions=questions, updating=updating,
                           general=general, submission=submission_value(), deadline=deadline,
                           legal_links=_legal_links(account) if step.id == "terms" else [], summary=summary or [],
                           previous=steps[index - 1] if index else None, **extra)
    return page, status


def submission_value() -> str:
    """Return the rendered form's one-time value: a new one, or after a failed post the one it carried.

    Its writes' idempotency keys derive from it, so sending the same answers again after an error
    (a dropped connection, a timeout) replays what Stripe may already have done instead of doing it twice.
    """
    posted = request.form.get("submission", "") if request.method == "POST" else ""
    return posted if SUBMISSION.fullmatch(posted) else secrets.token_urlsafe(16)


def _show_stripe_reasons(account: ConnectedAccount, questions: list[Question]) -> None:
    """Say why Stripe asks again (a failed check), in the user's language, on the question concerned."""
    for error in account.requirement_errors or []:
        requirement = str(error.get("requirement") or "")
        read_as = read(requirement)  # `person_xxx.<field>` and `person.person_xxx.<field>` alike
        rest = read_as.path if read_as.kind == "person" else None
        for question in questions:
            path = question.field.path
            role_rest = path.partition(".")[2]
            if question.field.covers(requirement) or (rest is not None and (rest == role_rest
                                                                             or rest.startswith(role_rest + "."))):
                text = gettext(message_for(error.get("code")))
                if text not in question.errors:
                    question.errors.append(text)


def _legal_links(account: ConnectedAccount) -> list[tuple[str, str]]:
    """Return the agreements a user accepts on the terms step: Stripe's for this account, then the platform's."""
    if account.service_agreement == "recipient":
        links = [(gettext("Read the Stripe Recipient Agreement"), "https://stripe.com/connect-account/legal/recipient")]
    else:
        links = [(gettext("Read the Stripe Connected Account Agreement"),
                  "https://stripe.com/connect-account/legal/full")]
    if current_app.config.get("PLATFORM_TERMS_URL"):
        links.append((gettext("Read the terms of %(platform)s", platform=current_app.config["PLATFORM_NAME"]),
                      current_app.config["PLATFORM_TERMS_URL"]))
    return links


def _text(message: Any) -> str:
    return gettext(message.text, **message.params) if message.params else gettext(message.text)


@bp.route("/step/<step_id>", methods=["GET", "POST"])
def step(step_id: str) -> ResponseReturnValue:
    """Show a step, or check and send its answers and go on to the next step that needs something."""
    visiting = _context()
    current = next((s for s in visiting.steps if s.id == step_id), None)
    if current is None:
        abort(404)
    if step_id in ROLE_STEPS:
        return _role_step(visiting, current)
    account, version = visiting.account, visiting.version
    if request.method == "POST":
        _refuse_unexpected(current.fields, account, version)
    state = cached_state(get_session(), get_gateway(current_app), account, utcnow())
    questions = _questions(current.fields, account, version, state)
    summary = review(visiting.steps, state, visiting.persons, version, locale_code(), gettext) \
        if step_id == "terms" else None
    payout_minutes = _payout_window(account, questions)
    if request.method == "GET":
        return _render(account, visiting.steps, current, questions, summary=summary, payout_minutes=payout_minutes)
    visit = visit_of()
    outcome = submit_step(get_session(), get_engine(current_app), get_gateway(current_app), account, version,
                          _posted(current.fields, account, version, state), request.files, visiting.needed, visit)
    if not outcome.ok:
        refused = any(m.text == PAYOUT_WINDOW_PASSED for messages in outcome.errors.values() for m in messages)
        new_link = current_link().refresh_url if refused else None
        typed = _questions(current.fields, account, version, state, request.form)  # shown again, numbers aside
        return _render(account, visiting.steps, current, typed, outcome, 422, summary=summary,
                       payout_minutes=payout_minutes, new_link_url=new_link)
    if step_id == BUSINESS_TYPE_STEP:  # the questions depend on the business type: plan the visit again
        version = get_catalog(current_app).version(account.catalog_version or None)
        visits.plan(visit_fields(version.country(account.country), account, current_link().collect, utcnow()))
    return _go_on(visiting, step_id)


def _refuse_unexpected(fields: Any, account: ConnectedAccount, version: Version,
                       extra: frozenset[str] | set[str] = frozenset()) -> None:
    """Answer 400 to a post with fields that are not on the step, before anything is read or written."""
    inputs = compiled(fields, _setting(account, version)).inputs
    allowed = {i.name for found in inputs.values() for i in found}
    if (set(request.form) | set(request.files)) - allowed - {"csrf_token", "submission"} - extra:
        abort(400)


def visit_of() -> Visit:
    """Return who submits this request, when, from where and with which rendered form (for `submit_step`)."""
    link, minutes = current_link(), current_app.config["PAYOUT_CHANGE_MINUTES"]
    return Visit(now=utcnow(), ip=request.remote_addr or "", user_agent=request.user_agent.string[:500],
                 submission=request.form.get("submission") or secrets.token_urlsafe(16),
                 test_mode=get_gateway(current_app).mode != "stripe" or _is_test_key(), link_id=link.id,
                 opened_at=link.used_at, payout_window=timedelta(minutes=minutes) if minutes > 0 else None,
                 tell_user_in=locale_code() if current_app.config["NOTIFY_USER_PAYOUT_CHANGES"] else None)


def _payout_window(account: ConnectedAccount, questions: list[Question]) -> int | None:
    """Return the minutes a link allows to replace the payout account, when this step would replace one."""
    minutes = current_app.config["PAYOUT_CHANGE_MINUTES"]
    asks = any(q.kind.replaces_payout_account for q in questions)
    return minutes if minutes > 0 and asks and payout_accounts(account) else None


def _needing_attention(account: ConnectedAccount) -> set[str]:
    """Return the ids of the people Stripe needs more about now (`person_xxx.<field>` currently or past due)."""
    requirements = account.requirements or {}
    due = [*(requirements.get("currently_due") or []), *(requirements.get("past_due") or [])]
    return {found.person for found in map(read, due) if found.kind == "person" and found.person}


@dataclass
class RolePage:
    """A step about people as a request sees it: who is listed, who is being edited, and their questions."""

    visiting: Visiting
    step: Step
    role_fields: list[Field]
    account_fields: list[Field]
    people: list[dict[str, Any]]
    editing: dict[str, Any] | None
    person_questions: list[Question]
    account_questions: list[Question]
    reconfirm: bool = False  # an update changed who is listed: the step's declarations are owed again

    def render(self, outcome: Outcome | None = None, status: int = 200) -> ResponseReturnValue:
        """Render the step: the people, the form of the one being edited and the step's own questions."""
        account, role = self.visiting.account, self.step.id
        return _render(account, self.visiting.steps, self.step, self.person_questions, outcome, status,
                       template="wizard/role_step.html", people=self.people, editing=self.editing, role=role,
                       single=role in SINGLE, display_name=display_name, account_questions=self.account_questions,
                       attention=_needing_attention(account), reconfirm=self.reconfirm)


def _role_page(visiting: Visiting, current: Step) -> RolePage:
    account, version, role = visiting.account, visiting.version, current.id
    country = version.country(account.country)
    role_fields = [f for f in country.fields(account.business_type, account.service_agreement)
                   if f.person_role == role]
    role_fields += [f for f in current.fields if f.person_role == role and f not in role_fields]  # borrowed
    account_fields = [f for f in current.fields if f.person_role != role]
    people = members(visiting.persons, role)
    person_id = request.values.get("person") or (people[0]["id"] if role in SINGLE and people else None)
    editing = next((p for p in people if p["id"] == person_id), None)
    if person_id and editing is None:
        abort(404)  # not a person of this account in this role
    state = cached_state(get_session(), get_gateway(current_app), account, utcnow())
    reconfirm = visiting.updating and role in visits.people_changed()
    if reconfirm:  # shown unticked: the user declares the changed list complete, not Stripe's earlier answer
        state = _forget(state, [f.path for f in account_fields])
    return RolePage(visiting, current, role_fields, account_fields, people, editing,
                    _questions(role_fields, account, version, {role: editing or {}}),
                    _questions(account_fields, account, version, state), reconfirm)


def _forget(state: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Return a copy of Stripe's state without these answers (copying only the objects on their paths)."""
    result = dict(state)
    for path in paths:
        *parents, last = path.split(".")
        node = result
        for name in parents:
            child = node.get(name)
            if not isinstance(child, dict):
                break
            node[name] = node = dict(child)
        else:
            node.pop(last, None)
    return result


def _role_step(visiting: Visiting, current: Step) -> ResponseReturnValue:
    """A step about people: show it, or do one of its actions (save a person, remove one, continue)."""
    if request.method == "POST":
        action = ROLE_ACTIONS.get(request.form.get("action", ""))
        if action is None:
            abort(400)
        return action(visiting, current)
    return _role_page(visiting, current).render()


def _save_person(visiting: Visiting, current: Step) -> ResponseReturnValue:
    """Add a person in this role, or change the one being edited."""
    page = _role_page(visiting, current)
    _refuse_unexpected(page.role_fields, visiting.account, visiting.version, {"action", "person"})
    role = current.id
    # A new person's minimum answers are required; documents only once Stripe asks for them.
    needed = visiting.needed | {f.path for f in page.role_fields if f.required == "minimum" and f.type != "document"}
    target = PersonTarget(role, RELATIONSHIP[role], page.editing["id"] if page.editing else None)
    form = _posted(page.role_fields, visiting.account, visiting.version, {role: page.editing or {}})
    outcome = submit_step(get_session(), get_engine(current_app), get_gateway(current_app), visiting.account,
                          visiting.version, form, request.files, needed, visit_of(), target)
    if not outcome.ok:
        page.person_questions = _questions(page.role_fields, visiting.account, visiting.version,
                                           {role: page.editing or {}}, request.form)  # what was typed, numbers aside
        return page.render(outcome, 422)
    if role in SINGLE:
        return _go_on(visiting, role)
    if visiting.updating:
        visits.note_people_changed(role, True)
    return redirect(url_for("wizard.step", step_id=role), 303)


def _remove_person(visiting: Visiting, current: Step) -> ResponseReturnValue:
    """Remove the person being edited from the account (not the single representative)."""
    page = _role_page(visiting, current)
    if page.editing is None or current.id in SINGLE:
        abort(400)
    removal = remove_person(get_session(), get_engine(current_app), get_gateway(current_app), visiting.account,
                            page.editing["id"], visit_of())
    if removal.ok:
        if visiting.updating:
            visits.note_people_changed(current.id, True)
        return redirect(url_for("wizard.step", step_id=current.id), 303)
    page.editing = None  # Stripe was not reached: show the list again with the error
    page.person_questions = _questions(page.role_fields, visiting.account, visiting.version, {current.id: {}})
    return page.render(removal, 422)


def _continue_role(visiting: Visiting, current: Step) -> ResponseReturnValue:
    """Send the step's own questions (a declaration that everyone is listed) and go on."""
    page = _role_page(visiting, current)
    _refuse_unexpected(page.account_fields, visiting.account, visiting.version, {"action"})
    state = cached_state(get_session(), get_gateway(current_app), visiting.account, utcnow())
    # After an update changed who is listed, the declarations are required again, whatever Stripe holds.
    required = frozenset(f.path for f in page.account_fields) if page.reconfirm else frozenset()
    outcome = submit_step(get_session(), get_engine(current_app), get_gateway(current_app), visiting.account,
                          visiting.version, _posted(page.account_fields, visiting.account, visiting.version, state),
                          request.files, visiting.needed | required, visit_of(), required=required)
    if not outcome.ok:
        for question in page.account_questions:
            question.errors = [_text(m) for m in outcome.errors.get(question.name, [])]
        return page.render(outcome, 422)
    if page.reconfirm:
        visits.note_people_changed(current.id, False)
    return _go_on(visiting, current.id)


ROLE_ACTIONS = {"save": _save_person, "remove": _remove_person, "continue": _continue_role}


def init_app(app: Flask) -> None:
    """Register the wizard's pages and the rendering of their questions."""
    render.init_app(app)
    app.register_blueprint(bp)


def _is_test_key() -> bool:
    return str(current_app.config.get("STRIPE_SECRET_KEY") or "").startswith(("sk_test_", "rk_test_"))
