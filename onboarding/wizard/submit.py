"""Submit one wizard step: check every answer with the catalog, then send it to Stripe at once.

Order of writes: uploads (Files API), the person of a role step, then one account update with every
account-level answer and the payout bank account. Each write goes through the outbox with a key derived
from the rendered form's one-time `submission` value, so a double submit replays Stripe's first
answer instead of writing twice. Stripe's refusals come back on the input their `param` names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from requirements_catalog import Version
from requirements_catalog.values import N_, Context

from ..gateway import Gateway, GatewayError, IdempotencyConflict, InvalidRequest, RateLimited
from ..models import ConnectedAccount, StripeWrite, ordering
from ..models.accounts import account_part, person_part
from ..models.types import as_utc
from ..services import outbox
from ..services.answers import taken_on_commit
from ..services.events import part_changes
from ..services.notifications import queue_payout_account_changed, queue_user_payout_account_changed
from ..services.accounts import all_persons, lock_account, marked_person
from .forms import KINDS, Asking, Question, Sending, StepForm
from .stripe_errors import message_for

MAX_FILE_BYTES = 10 * 1024 * 1024
MAGIC = ((b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"%PDF-", "pdf"))


class Upload(Protocol):
    """What the step needs of an uploaded file (werkzeug's FileStorage has it)."""

    filename: str | None

    def read(self) -> bytes:
        """Return the content."""


@dataclass(frozen=True)
class Message:
    """A message id and the values for its placeholders; translated where it is shown."""

    text: str
    params: dict[str, Any]


@dataclass
class Outcome:
    """What a submission did: problems per input or question name, and problems of the whole step."""

    errors: dict[str, list[Message]] = field(default_factory=dict)
    general: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether the step was accepted."""
        return not self.errors and not self.general

    def add(self, name: str, message: str, params: Mapping[str, Any] | None = None) -> None:
        """Record a problem (a message id and its values) on an input or a question."""
        self.errors.setdefault(name, []).append(Message(message, dict(params or {})))

    def fail(self, message: str) -> None:
        """Record a problem of the whole step."""
        self.general.append(Message(message, {}))


@dataclass(frozen=True)
class PersonTarget:
    """The person a role step writes: an existing one (`person_id`) or a new one holding `role`."""

    role: str  # representative, owners, directors, executives
    relationship: str  # the Stripe relationship flag of the role
    person_id: str | None = None


@dataclass(frozen=True)
class Visit:
    """Who submits, when, from where, and for which rendered form."""

    now: datetime
    ip: str
    user_agent: str
    submission: str
    test_mode: bool
    link_id: str | None = None  # the onboarding link whose visit this is (a person it made is found again)
    # Replacing a payout account that exists needs a link opened within `payout_window` (None: no limit).
    opened_at: datetime | None = None
    payout_window: timedelta | None = None
    # The language to tell the user in by e-mail when the payout account changes; None: the platform does not
    # want its users e-mailed (`NOTIFY_USER_PAYOUT_CHANGES`).
    tell_user_in: str | None = None

    def may_replace_payout_account(self) -> bool:
        """Return whether this visit's link was opened recently enough to replace the payout account."""
        return self.payout_window is None or (self.opened_at is not None
                                              and self.now - as_utc(self.opened_at) <= self.payout_window)


def _name(person: Mapping[str, Any]) -> tuple[str, str]:
    """Return a person's first and last name as compared within a visit: case and spaces do not count."""
    return tuple(" ".join(str(person.get(k) or "").split()).casefold()  # type: ignore[return-value]
                 for k in ("first_name", "last_name"))


def _key(account: ConnectedAccount, submission: str, operation: str, index: int | str = 0) -> str:
    # 128 bits of digest: with the operation the key fits the 64-character column.
    digest = hashlib.sha256(f"{account.id}:{submission}:{operation}:{index}".encode()).hexdigest()[:32]
    return f"{operation.replace('.', '-')}-{digest}"


def _set(params: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        params = params.setdefault(part, {})
    params[last] = value


def _file_kind(content: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if content.startswith(magic)), None)


def _check_files(questions: list[Question], files: Mapping[str, Upload], needed: set[str], outcome: Outcome
                 ) -> dict[str, tuple[Question, str, bytes]]:
    uploads: dict[str, tuple[Question, str, bytes]] = {}
    for question in (q for q in questions if q.kind.from_files):
        formats = question.field.validation["formats"]
        for input_ in question.inputs:
            upload = files.get(input_.name)
            content = upload.read() if upload is not None and upload.filename else b""
            if not content:
                if input_.required and question.name in needed:
                    outcome.add(input_.name, N_("Upload a file."))
                continue
            kind = _file_kind(content)
            if len(content) > MAX_FILE_BYTES:
                outcome.add(input_.name, N_("The file is larger than 10 MB."))
            elif kind not in formats:
                outcome.add(input_.name, N_("Upload a JPEG or PNG image.") if "pdf" not in formats
                            else N_("Upload a JPEG, PNG or PDF file."))
            else:
                uploads[input_.name] = (question, f"upload.{kind}", content)
    return uploads


def submit_step(db: Session, engine: Engine, gateway: Gateway, account: ConnectedAccount, version: Version,
                form: StepForm, files: Mapping[str, Upload], needed: set[str], visit: Visit,
                person: PersonTarget | None = None, required: frozenset[str] = frozenset()) -> Outcome:
    """Check a step's posted form (`StepForm.validate`: the catalog's checks) and send its answers to Stripe.

    Updates the cached account on success. With `person`, the role's answers go to that person
    (created when new) instead of the account. `required` questions must be answered in this very
    post, a ticked box included (a declaration given again).
    """
    outcome = Outcome()
    questions = form.questions
    asking = Asking(needed, Context(account.country, version, visit.now.date(), visit.test_mode),
                    account.stripe_profile or {}, required)
    form.validate(asking=asking)
    for problem in form.problems:
        outcome.add(problem.name, problem.message, problem.params)
    answers = form.answers
    uploads = _check_files(questions, files, needed, outcome)
    banks_before = payout_accounts(account)
    replacing = [q for q in questions if q.kind.replaces_payout_account and q.name in answers] if banks_before else []
    if replacing and not visit.may_replace_payout_account():
        # Something only the user has: a link the platform gave them just now, not a session that may be a
        # copied cookie. The platform's refresh URL gives a new one (the page offers it).
        minutes = int((visit.payout_window or timedelta()).total_seconds() // 60)
        outcome.add(replacing[0].name, PAYOUT_WINDOW_PASSED, {"minutes": minutes})
    if not outcome.ok:
        return outcome
    writer = _Writer(engine, gateway, account, visit)
    by_name = {q.name: q for q in questions}
    with _sending(db, writer, outcome, lambda exc: _place_stripe_error(exc, questions, outcome)):
        try:
            writer.step(version, by_name, answers, uploads, person, db)
        except IdempotencyConflict:
            # The user changed an answer after an attempt whose outcome we never learned: that key is
            # spent, and the step goes again with the next keys of its series (see services/outbox.py).
            writer.step(version, by_name, answers, uploads, person, db)
        db.add(account)
    after = payout_accounts(account)
    # Only a change is told: the same account entered again (Stripe keeps it: bank_account_exists) is none.
    if replacing and outcome.ok and {b.get("id") for b in after} != {b.get("id") for b in banks_before}:
        queue_payout_account_changed(db, account, banks_before, after, visit.now, link=visit.link_id, ip=visit.ip)
        if visit.tell_user_in and account.email:
            queue_user_payout_account_changed(db, account, after, visit.now, locale=visit.tell_user_in)
    return outcome


PAYOUT_WINDOW_PASSED = N_("For your security, the payout account can be changed only within %(minutes)d minutes of "
                          "opening your link. Open a new link, then enter the new account.")


def payout_accounts(account: ConnectedAccount) -> list[dict[str, Any]]:
    """Return the payout accounts the cache holds (ids, last4, currency: never numbers)."""
    return list(((account.stripe_profile or {}).get("external_accounts") or {}).get("data") or [])


def _cache(db: Session, account: ConnectedAccount, states: list[tuple[str, dict[str, Any]]], now: datetime,
           seen: dict[str, Any]) -> None:
    """Put what Stripe answered this request into the cache, under the row's lock, where it is newer.

    After every Stripe call (the lock is never held while Stripe answers), on the row as it is now: a
    webhook applied while this request waited on Stripe must not be overwritten by the copy the request
    read when it began. Each answer is a state as of the second the request began (`models/ordering.py`),
    and the next step from the part as the request found it (`seen`: the marks when it began): applied
    when the part is still there or older; a part that moved on meanwhile (an event) keeps what it holds,
    and the events of this very write bring its state if the cache has not seen it yet.
    """
    if not states:
        return
    lock_account(db, account)
    at = ordering.second(now)
    for kind, obj in states:
        key = "account" if kind == "account" else f"person:{obj.get('id')}"
        state = account_part(obj) if kind == "account" else None if kind == "forget" else person_part(obj)
        before = (ordering.mark_of(seen, key) or {}).get("fp")
        verdict = ordering.judge(ordering.mark_of(account.stripe_marks, key), at, before, ordering.fingerprint(state))
        if verdict is not ordering.Verdict.APPLY:
            if kind == "account":  # the account part held already; its banks and capabilities may not be
                _cache_parts(account, obj, now, at, seen)
            continue
        if kind == "account":
            account.apply_stripe_state(obj, now)
        elif kind == "forget":
            account.forget_person(str(obj["id"]), now=now)
        else:
            account.keep_person(obj, now=now)
    db.add(account)


def _cache_parts(account: ConnectedAccount, obj: dict[str, Any], now: datetime, at: int,
                 seen: dict[str, Any]) -> None:
    """Judge an account answer's capabilities and bank accounts each on its own, as their events are.

    A write that changes only a bank account (a replacement) leaves the account part as it was: within
    the second that part was last marked, its verdict is "the same", and the new bank account must not
    wait for the webhook because of it.
    """
    for change in part_changes(account, obj, None):
        before = (ordering.mark_of(seen, change.key) or {}).get("fp")
        if ordering.judge(ordering.mark_of(account.stripe_marks, change.key), at, before,
                          ordering.fingerprint(change.after)) is ordering.Verdict.APPLY:
            change.apply(account, now, at)


def update_settings(db: Session, engine: Engine, gateway: Gateway, account: ConnectedAccount,
                    params: dict[str, Any], inputs: set[str], visit: Visit) -> Outcome:
    """Send an account update that no catalog field asks (the payout schedule); Stripe's refusal of a parameter
    lands on the input named by its path (`inputs`), any other on the whole form."""
    outcome = Outcome()
    writer = _Writer(engine, gateway, account, visit)

    def place(exc: InvalidRequest) -> None:
        if exc.param in inputs:
            outcome.add(exc.param, message_for(exc.code))
        else:
            outcome.fail(message_for(exc.code))

    with _sending(db, writer, outcome, place):
        try:
            writer.states.append(("account", writer._update(params)))
        except IdempotencyConflict:  # another answer after a lost attempt: the next key of the series
            writer.states.append(("account", writer._update(params)))
    return outcome


@contextmanager
def _sending(db: Session, writer: _Writer, outcome: Outcome, place: Callable[[InvalidRequest], None]
             ) -> Iterator[None]:
    """Make a submission's Stripe writes: Stripe's refusal and an outage go into the outcome, and whatever
    Stripe answered goes into the cache (`_cache`), whether or not a later write failed."""
    seen = dict(writer.account.stripe_marks or {})  # the cache's parts as this request found them
    try:
        yield
    except InvalidRequest as exc:
        place(exc)
    except RateLimited:
        outcome.fail(N_("Too many requests right now. Wait a moment and try again."))
    except GatewayError:
        outcome.fail(N_("We could not reach Stripe. Your answers are kept here; try again in a moment."))
    finally:
        _cache(db, writer.account, writer.states, writer.visit.now, seen)
        taken_on_commit(db, writer.answered, writer.visit.now)  # what the cache took commits with it


def remove_person(db: Session, engine: Engine, gateway: Gateway, account: ConnectedAccount, person_id: str,
                  visit: Visit) -> Outcome:
    """Delete a person from the account (an owner or director entered by mistake)."""
    outcome = Outcome()
    writer = _Writer(engine, gateway, account, visit)
    seen = dict(account.stripe_marks or {})
    try:
        try:
            # Keyed by the person too: every remove button of a page carries the same submission value.
            writer.perform("persons.delete", lambda key: gateway.delete_person(writer.stripe_id, person_id,
                                                                               idempotency_key=key), person_id,
                           person_id)
        except InvalidRequest as exc:
            if exc.code != "resource_missing":  # gone already: an earlier attempt's answer was lost
                raise
        writer.states.append(("forget", {"id": person_id}))
        writer.states.append(("account", gateway.retrieve_account(writer.stripe_id)))
    except GatewayError:
        outcome.fail(N_("We could not reach Stripe. Your answers are kept here; try again in a moment."))
    finally:
        _cache(db, account, writer.states, visit.now, seen)
        taken_on_commit(db, writer.answered, visit.now)
    return outcome


@dataclass
class _Writer:
    """The Stripe writes of one submission, each through the outbox with a key derived from the form."""

    engine: Engine
    gateway: Gateway
    account: ConnectedAccount
    visit: Visit
    answered: list[str] = field(default_factory=list)  # keys of the writes Stripe said yes to
    states: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # what Stripe answered, for `_cache`

    @property
    def stripe_id(self) -> str:
        """Return the account's Stripe id: a wizard account is created at Stripe before any link exists."""
        if not self.account.stripe_id:
            raise ValueError(f"account {self.account.id} has no Stripe id")
        return self.account.stripe_id

    def perform(self, operation: str, call: Any, target: str | None, index: int | str = 0) -> dict[str, Any]:
        """Make one write with the key of this submission, operation and `index` (a number, or the object's id)."""
        return outbox.perform(self.engine, operation, call, account_id=self.account.id, target=target,
                              now=self.visit.now, key=_key(self.account, self.visit.submission, operation, index),
                              visit=self.visit.link_id, answered=self.answered)

    def step(self, version: Version, by_name: dict[str, Question], answers: dict[str, Any],
             uploads: dict[str, tuple[Question, str, bytes]], person: PersonTarget | None, db: Session) -> None:
        """Send a checked step: files, the person, then the account update (with the bank account).

        The update's answer is the whole account and refreshes the cache; without one the account is
        read once, since a person changes what Stripe still needs.
        """
        params = self._account_params(version, by_name, answers, uploads)
        if person is not None:
            self._person(person, params.pop(person.role, {}), db)
        self.states.append(("account", self._update(params)))

    def _update(self, params: dict[str, Any], index: int | str = 0) -> dict[str, Any]:
        """Send the account's answers; return the account (read when there is nothing to send)."""
        if not params:
            return self.gateway.retrieve_account(self.stripe_id)
        try:
            return self.perform("accounts.update", lambda key: self.gateway.update_account(
                self.stripe_id, params, idempotency_key=key), self.stripe_id, index)
        except InvalidRequest as exc:
            kept = {kind.stripe_param for kind in KINDS.values() if kind.already_there_code == exc.code}
            if not kept & params.keys():
                raise
            # That very value (a bank account entered again on a later visit) is attached already: keep
            # it, and send the step's other answers, if any, on their own.
            return self._update({k: v for k, v in params.items() if k not in kept}, "without-" + "-".join(sorted(kept)))

    def _account_params(self, version: Version, by_name: dict[str, Question], answers: dict[str, Any],
                        uploads: dict[str, tuple[Question, str, bytes]]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        visit, account = self.visit, self.account
        sending = Sending(account.country, account.business_type, version, visit.now, visit.ip, visit.user_agent)
        for name, answer in answers.items():
            question = by_name[name]
            for path, value in question.kind.params(question.field, answer, sending).items():
                _set(params, path, value)
        for index, (name, (question, filename, content)) in enumerate(sorted(uploads.items())):
            purpose = question.field.validation["purpose"]
            uploaded = self.perform("files.create", lambda key, purpose=purpose, filename=filename, content=content:
                                    self.gateway.upload_file(purpose, filename, content, idempotency_key=key),
                                    self.stripe_id, index)
            _set(params, name, [uploaded["id"]] if name == question.name else uploaded["id"])
        return params

    def _person(self, person: PersonTarget, params: dict[str, Any], db: Session) -> None:
        account, gateway = self.account, self.gateway
        params.setdefault("relationship", {})[person.relationship] = True
        person_id = person.person_id
        if person_id is None:
            base = _key(account, self.visit.submission, "persons.create")
            person_id = self._created_earlier(base) or self._made_this_visit(db, person.relationship, params)
        if person_id is None:
            # The marker lets a later attempt find this person if Stripe's answer never reaches us.
            marked = {**params, "metadata": {outbox.WRITE_MARKER: base}}
            result = self.perform("persons.create", lambda key: gateway.create_person(
                self.stripe_id, marked, idempotency_key=key), self.stripe_id)
        else:
            found = person_id
            result = self.perform("persons.update", lambda key: gateway.update_person(
                self.stripe_id, found, params, idempotency_key=key), found)
        self.states.append(("person", result))

    def _made_this_visit(self, db: Session, relationship: str, params: dict[str, Any]) -> str | None:
        """Return a person this visit already created at Stripe with the same role and name, sent again.

        A fresh form has a new submission, so the marker of `_created_earlier` cannot find a person an
        earlier form of this visit created (its request may have failed after Stripe said yes, leaving
        the person out of our cache and the list the user sees). Within one visit, the same role and the
        same name are the same person: the answers update them instead of adding a second. Stripe's
        recorded answers say who was made; an attempt whose answer never came is looked up at Stripe by
        its marker (one read, only then).
        """
        wanted = _name(params)
        if not self.visit.link_id or wanted == ("", ""):
            return None
        writes = db.exec(select(StripeWrite).where(
            StripeWrite.account_id == self.account.id, StripeWrite.visit == self.visit.link_id,
            col(StripeWrite.operation).in_(("persons.create", "persons.delete")))).all()
        deleted = {w.target for w in writes if w.operation == "persons.delete" and w.status == "succeeded"}
        made = [w.answer for w in writes if w.operation == "persons.create" and w.status == "succeeded" and w.answer]
        unknown = {w.idempotency_key.split(".")[0] for w in writes
                   if w.operation == "persons.create" and w.status in ("pending", "spent")}
        if unknown:
            made += [p for p in all_persons(self.gateway, self.stripe_id)
                     if (p.get("metadata") or {}).get(outbox.WRITE_MARKER) in unknown]
        for answer in made:
            same_role = bool((answer.get("relationship") or {}).get(relationship))
            if answer.get("id") not in deleted and same_role and _name(answer) == wanted:
                return str(answer["id"])
        return None

    def _created_earlier(self, base: str) -> str | None:
        """Return the person an earlier attempt at this submission created, when its answer was lost."""
        lost = outbox.unsettled(self.engine, base)
        if not lost:
            return None
        person = marked_person(self.gateway, self.stripe_id, base)
        if person is None:
            return None
        outbox.complete(self.engine, lost[-1], person, self.visit.now)  # what the lost answer would have said
        self.answered.append(lost[-1])  # and the cache takes it in this request
        return str(person["id"])


def _place_stripe_error(exc: InvalidRequest, questions: list[Question], outcome: Outcome) -> None:
    message = message_for(exc.code)
    param = exc.param or ""
    inputs = {i.name for q in questions for i in q.inputs}
    if param in inputs:
        outcome.add(param, message)
        return
    owner = next((q for q in questions if param == q.name or param.startswith(q.name + ".")), None)
    if owner is None:  # a parameter a field answers outside its own path (`external_account`)
        owner = next((q for q in questions if q.kind.stripe_param and param.startswith(q.kind.stripe_param)), None)
    if owner is not None:
        outcome.add(owner.name, message)
    else:
        outcome.fail(message)
