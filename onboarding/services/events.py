"""Apply Stripe events to the cached account state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from ..gateway import Gateway
from ..models import WebhookEvent
from .accounts import fetch_account, find_account
from .notifications import queue_action_required


def record_event(session: Session, gateway: Gateway, event: dict[str, Any], now: datetime) -> bool:
    """Record an event once and refresh the account it concerns; return False for a repeat delivery."""
    if session.get(WebhookEvent, event["id"]) is not None:
        return False
    account_id = event.get("account")
    obj = (event.get("data") or {}).get("object") or {}
    if account_id is None and obj.get("object") == "account":
        account_id = obj.get("id")
    account = find_account(session, account_id) if account_id else None
    # Deliveries arrive out of order: re-read the account instead of trusting this event's copy. Read
    # before writing anything, so that no write (SQLite's lock) is held while Stripe answers. When Stripe
    # cannot be reached the error answers 500 and nothing is recorded: Stripe delivers the event again.
    fresh = fetch_account(gateway, account, event["type"].startswith("person.")) if account else None
    session.add(WebhookEvent(id=event["id"], type=event["type"], account=account_id,
                             livemode=bool(event.get("livemode")), stripe_created=int(event.get("created") or 0),
                             payload=event, received_at=now, processed_at=now))
    if account is not None and fresh is not None:
        before = account.needs_action_since
        fresh.apply_to(account, now)
        session.add(account)
        if before is None and account.needs_action_since is not None:
            queue_action_required(session, account, now)
    return True
