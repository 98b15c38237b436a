"""Queue notifications with the state change that causes them; deliver them after the commit, off the request.

A notification is a row written in the same transaction as the change it reports. Once that commits,
the app's `Dispatcher` (one background thread per process) sends what is pending: a platform endpoint
that hangs for its whole timeout holds that thread, never a worker that answers requests (a slow
endpoint once made `/healthz` wait 28 s). What cannot be sent stays queued for the next commit or for
`flask notifications send` (cron).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from ..db import get_engine, independent_session
from ..models import ConnectedAccount, HostedLink, Notification
from ..models.types import utcnow
from ..notify import Notifier

ACTION_REQUIRED = "account.action_required"
HOSTED_FLOW_STARTED = "account.hosted_flow_started"
PAYOUT_ACCOUNT_CHANGED = "account.payout_account_changed"
# Kinds for the account's own user, sent by e-mail to the account's address (`notify.UserMailer`).
USER_PAYOUT_ACCOUNT_CHANGED = "user.payout_account_changed"
MAX_ATTEMPTS = 10

logger = logging.getLogger(__name__)


def queue_action_required(session: Session, account: ConnectedAccount, now: datetime) -> Notification:
    """Record that an account needs its user again (sent once the request has committed)."""
    notification = Notification(account_id=account.id, kind=ACTION_REQUIRED, created_at=now, payload={
        "account": account.id, "stripe_id": account.stripe_id,
        "currently_due": list(account.requirements.get("currently_due") or []),
        "past_due": list(account.requirements.get("past_due") or []),
        "errors": [e.get("code") for e in account.requirement_errors],
        "deadline": account.current_deadline.isoformat() if account.current_deadline else None})
    session.add(notification)
    _deliver_after_commit(session)
    return notification


def queue_hosted_flow_started(session: Session, account: ConnectedAccount, hosted: HostedLink,
                              now: datetime) -> Notification:
    """Record that an account's user was sent to Stripe's hosted flow (sent once the request has committed)."""
    notification = Notification(account_id=account.id, kind=HOSTED_FLOW_STARTED, created_at=now, payload={
        **hosted.summary(), "account": account.id, "stripe_id": account.stripe_id,
        "expires_at": hosted.expires_at.isoformat() if hosted.expires_at else None})
    session.add(notification)
    _deliver_after_commit(session)
    return notification


def queue_payout_account_changed(session: Session, account: ConnectedAccount, before: list[dict[str, Any]],
                                 after: list[dict[str, Any]], now: datetime, *, link: str | None, ip: str
                                 ) -> Notification:
    """Record that a user replaced the payout account (the most attacked action): the platform hears of it.

    Only what identifies the accounts to a person (bank name, currency, last 4), never a number.
    """
    def shown(banks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: b.get(k) for k in ("id", "bank_name", "country", "currency", "last4", "default_for_currency")}
                for b in banks]

    notification = Notification(account_id=account.id, kind=PAYOUT_ACCOUNT_CHANGED, created_at=now, payload={
        "account": account.id, "stripe_id": account.stripe_id, "previous": shown(before), "current": shown(after),
        "onboarding_link": link, "ip": ip, "at": now.isoformat()})
    session.add(notification)
    _deliver_after_commit(session)
    return notification


def queue_user_payout_account_changed(session: Session, account: ConnectedAccount, after: list[dict[str, Any]],
                                      now: datetime, *, locale: str) -> Notification:
    """Record that the account's user is told by e-mail that the payout account changed (in their language).

    Someone who took over the user's session learns nothing from it; the user, who did not make the
    change, learns it from their own mailbox and can call the platform.
    """
    notification = Notification(account_id=account.id, kind=USER_PAYOUT_ACCOUNT_CHANGED, created_at=now, payload={
        "to": account.email, "locale": locale, "at": now.isoformat(),
        "current": [{"last4": b.get("last4"), "currency": b.get("currency")} for b in after]})
    session.add(notification)
    _deliver_after_commit(session)
    return notification


def deliver_after_response(engine: Engine, notifier: Notifier, now: datetime) -> None:
    """Send what is pending once a response has gone out; a database that went away leaves it queued.

    Runs after the answer (a 503 during an outage too), where nothing can report an error: the
    notifications stay for the next delivery or `flask notifications send`.
    """
    try:
        deliver_pending(engine, notifier, now)
    except SQLAlchemyError as exc:
        logger.warning("notifications left queued, the database could not be reached: %s", type(exc).__name__)


def deliver_pending(engine: Engine, notifier: Notifier, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Send unsent notifications, oldest first; return (sent, failed). Each outcome is committed on its own."""
    sent = failed = 0
    with independent_session(engine) as session:
        pending = session.exec(select(Notification).where(Notification.sent_at.is_(None),  # type: ignore[union-attr]
                                                          Notification.attempts < MAX_ATTEMPTS)
                               .order_by(Notification.id).limit(limit)).all()
        ids = [n.id for n in pending]
    for notification_id in ids:
        # The attempt is committed before the platform is asked, and the outcome after: no transaction (and
        # on SQLite no lock) is held while an endpoint takes its time, so webhooks and pages never wait on it.
        with independent_session(engine) as session:
            notification = session.get(Notification, notification_id)
            if notification is None or notification.sent_at is not None:
                continue  # another worker sent it meanwhile
            notification.attempts += 1
            kind, payload = notification.kind, dict(notification.payload)
        try:
            notifier.send(kind, payload)
            error = None
        except Exception as exc:  # any channel failure: keep it for the next run
            error = f"{type(exc).__name__}: {exc}"[:500]
        with independent_session(engine) as session:
            notification = session.get(Notification, notification_id)
            if notification is None:
                continue
            if error is None:
                notification.sent_at, notification.last_error = now, None
                sent += 1
            else:
                notification.last_error = error
                failed += 1
            session.add(notification)
    return sent, failed


class Dispatcher:
    """Send pending notifications from one daemon thread per process, woken after each commit that queued some.

    The thread starts on first use in each process (gunicorn forks after the app is made), and as a
    daemon it never keeps a process from ending: whatever it had not sent stays queued.
    """

    def __init__(self, engine: Callable[[], Engine], notifier: Callable[[], Notifier]) -> None:
        self.engine, self.notifier = engine, notifier
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._requested = self._finished = 0
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def wake(self) -> None:
        """Ask for a delivery round (returns at once)."""
        with self._done:
            self._requested += 1
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._stopping, self._pid = False, os.getpid()
                self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
                self._thread.start()
        self._wake.set()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every round asked for so far has run; return whether it did in time (tests, shutdown)."""
        with self._done:
            target = self._requested
            return self._done.wait_for(lambda: self._finished >= target, timeout)

    def close(self) -> None:
        """Stop the thread after its current round."""
        thread = self._thread
        self._stopping = True
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            self._wake.wait()  # no timeout: a clock moved by libfaketime never ends a timed wait
            self._wake.clear()
            if self._stopping:
                return
            with self._done:
                target = self._requested
            try:
                deliver_after_response(self.engine(), self.notifier(), utcnow())
            except Exception:  # noqa: BLE001 (the thread must outlive any one failure; all stays queued)
                logger.exception("notification delivery failed; what was pending stays queued")
            with self._done:
                self._finished = max(self._finished, target)
                self._done.notify_all()


def _deliver_after_commit(session: Session) -> None:
    """Wake the app's dispatcher once this session's transaction (with the notification) has committed."""
    if not has_app_context() or session.info.get("deliver_after_commit"):
        return
    dispatcher: Dispatcher | None = current_app.extensions.get("notifications")
    if dispatcher is None:
        return
    session.info["deliver_after_commit"] = True

    def committed(committed_session: Session) -> None:
        committed_session.info.pop("deliver_after_commit", None)
        dispatcher.wake()

    event.listen(session, "after_commit", committed, once=True)


def init_app(app: Flask) -> None:
    """Give the app its dispatcher (`app.extensions["notifications"]`)."""
    app.extensions["notifications"] = Dispatcher(lambda: get_engine(app), lambda: app.extensions["notifier"])
