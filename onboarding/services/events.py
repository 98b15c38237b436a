"""Apply Stripe events to the cached account state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ..gateway import Gateway
from ..models import WebhookEvent
from .accounts import find_account, refresh_account
from .notifications import queue_action_required


def record_event(session: Session, gateway: Gateway, event: dict[str, Any], now: datetime) -> bool:
    """Record an event once and refresh the account it concerns; return False for a repeat delivery."""
    if session.get(WebhookEvent, event["id"]) is not None:
        return False
    account_id = event.get("account")
    obj = (event.get("data") or {}).get("object") or {}
    if account_id is None and obj.get("object") == "account":
        account_id = obj.get("id")
    session.add(WebhookEvent(id=event["id"], type=event["type"], account=account_id,
                             livemode=bool(event.get("livemode")), stripe_created=int(event.get("created") or 0),
                             payload=event, received_at=now, processed_at=now))
    account = find_account(session, account_id) if account_id else None
    if account is not None:
        before = account.needs_action_since
        # Deliveries arrive out of order: re-read the account instead of trusting this event's copy.
        refresh_account(session, gateway, account, now, persons=event["type"].startswith("person."))
        if before is None and account.needs_action_since is not None:
            queue_action_required(session, account, now)
    return True
