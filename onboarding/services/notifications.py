"""Queue notifications with the state change that causes them; deliver them after the commit."""

from __future__ import annotations

import logging

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from ..db import independent_session
from ..models import ConnectedAccount, HostedLink, Notification
from ..notify import Notifier

ACTION_REQUIRED = "account.action_required"
HOSTED_FLOW_STARTED = "account.hosted_flow_started"
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
    return notification


def queue_hosted_flow_started(session: Session, account: ConnectedAccount, hosted: HostedLink,
                              now: datetime) -> Notification:
    """Record that an account's user was sent to Stripe's hosted flow (sent once the request has committed)."""
    notification = Notification(account_id=account.id, kind=HOSTED_FLOW_STARTED, created_at=now, payload={
        **hosted.summary(), "account": account.id, "stripe_id": account.stripe_id,
        "expires_at": hosted.expires_at.isoformat() if hosted.expires_at else None})
    session.add(notification)
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
        with independent_session(engine) as session:
            notification = session.get(Notification, notification_id)
            if notification is None or notification.sent_at is not None:
                continue  # another worker sent it meanwhile
            notification.attempts += 1
            try:
                notifier.send(notification.kind, notification.payload)
            except Exception as exc:  # any channel failure: keep it for the next run
                notification.last_error = f"{type(exc).__name__}: {exc}"[:500]
                failed += 1
            else:
                notification.sent_at, notification.last_error = now, None
                sent += 1
            session.add(notification)
    return sent, failed
