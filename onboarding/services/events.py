"""Apply Stripe events to the cached account state, from each event's own object, in order of `created`.

`account.updated`, `capability.updated`, `person.created|updated|deleted` and
`account.external_account.created|updated|deleted` carry the whole object they describe; the cache
takes it from there, part by part (the account, each capability, each person, each external account),
under the ordering rules of `onboarding.models.ordering`: an event older than what a part holds is
ignored, one of the same second is placed by content. Stripe is read only when an event cannot be
applied from its object: an object of a type or shape we do not know, an event of the same second
as our state that its content cannot place, or an account whose cache was never filled. Other event
types are recorded and logged, nothing more.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from ..gateway import Gateway
from ..models import ConnectedAccount, WebhookEvent
from ..models.accounts import account_part, bank_part, person_part
from ..models.ordering import Verdict, fingerprint, judge, mark_of
from .accounts import fetch_account, find_account, lock_account
from .notifications import queue_action_required

logger = logging.getLogger(__name__)
ATTEMPTS = 3  # plans made again when another event for the account changed it meanwhile
BANK_OBJECTS = ("bank_account", "card")  # what `account.external_account.*` carries
UNKNOWN = object()  # a part's state before the event, when the event does not tell it

Apply = Callable[[ConnectedAccount, datetime, int], None]


class AccountBusy(RuntimeError):
    """Other events kept changing the account while this one waited: answered 500, Stripe delivers it again."""


class Unapplicable(ValueError):
    """An event whose object the cache cannot take as it is; the account is read from Stripe instead."""


@dataclass(frozen=True)
class Change:
    """What an event says of one cached part: its state before (or UNKNOWN) and after (None: gone)."""

    key: str
    before: Any
    after: Any
    apply: Apply


@dataclass
class Plan:
    """What to do with an event: the changes to apply, or a read of the account from Stripe and why."""

    changes: list[Change] = field(default_factory=list)
    read: str | None = None
    persons: bool = False


def record_event(session: Session, gateway: Gateway, event: dict[str, Any], now: datetime) -> bool:
    """Record an event once and apply it to the account it concerns; return False for a repeat delivery.

    The plan is made without a write; when it needs Stripe, Stripe is read before anything is written
    (no write lock, SQLite's included, waits on Stripe). Then the account's row is locked until the
    request commits, so events for one account are applied one at a time, and the plan is checked
    against the row as it is now. When Stripe cannot be reached the error answers 500 and nothing is
    recorded: Stripe delivers the event again.
    """
    if session.get(WebhookEvent, event["id"]) is not None:
        return False
    account_id = _account_id(event)
    account = find_account(session, account_id) if account_id else None
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in HANDLERS:
        logger.info("Stripe event %s of type %r: recorded, nothing of ours to update", event["id"], kind)
    elif account is not None:
        return _apply(session, gateway, account, event, now)
    return _insert_once(session, event, now)


def _account_id(event: dict[str, Any]) -> str | None:
    """Return the connected account an event concerns: its `account`, or the account object it carries."""
    account_id = event.get("account")
    if account_id is None and _object(event).get("object") == "account":
        account_id = _object(event).get("id")
    return account_id if isinstance(account_id, str) else None


def _insert_once(session: Session, event: dict[str, Any], now: datetime) -> bool:
    """Record the event unless it is recorded already; return False for a repeat.

    An insert that yields to a row with the same id (`ON CONFLICT DO NOTHING`, PostgreSQL's and SQLite's):
    two copies delivered at once both pass the first look, and the second waits for the first's
    transaction, then writes nothing, instead of failing the request's commit on the primary key.
    """
    kind = event.get("type")
    values = {"id": event["id"], "type": (kind if isinstance(kind, str) else repr(kind))[:100],
              "account": _account_id(event), "livemode": bool(event.get("livemode")),
              "stripe_created": _created(event) or 0, "payload": event, "received_at": now, "processed_at": now}
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING, not the row count: psycopg reports -1 for it here.
    inserted = session.execute(insert(WebhookEvent).values(**values).on_conflict_do_nothing(index_elements=["id"])
                               .returning(WebhookEvent.id)).first()  # type: ignore[arg-type]
    return inserted is not None


def _apply(session: Session, gateway: Gateway, account: ConnectedAccount, event: dict[str, Any],
           now: datetime) -> bool:
    """Apply an event to its account under the account's lock; return False when it was recorded meanwhile."""
    for _ in range(ATTEMPTS):
        plan = plan_event(account, event, gateway.api_version)
        fresh = fetch_account(gateway, account, plan.persons) if plan.read else None
        lock_account(session, account)
        if session.get(WebhookEvent, event["id"]) is not None:
            return False  # a concurrent delivery of the same event committed while we read
        checked = plan_event(account, event, gateway.api_version)
        if checked.read and (fresh is None or checked.persons and not plan.persons):
            session.rollback()  # the row changed so that Stripe must be read after all: without the lock
            continue
        if not _insert_once(session, event, now):
            return False  # recorded by a concurrent delivery that got there first
        before = account.needs_action_since
        if checked.read and fresh is not None:
            logger.info("Stripe event %s (%s): account %s re-read from Stripe: %s", event["id"], event["type"],
                        account.stripe_id, checked.read)
            fresh.apply_to(account, now)
        for change in checked.changes:
            change.apply(account, now, _created(event) or 0)
        logger.debug("Stripe event %s (%s): %s", event["id"], event["type"],
                     f"applied to {', '.join(c.key for c in checked.changes)}" if checked.changes else "nothing newer")
        session.add(account)
        if before is None and account.needs_action_since is not None:
            queue_action_required(session, account, now)
        return True
    raise AccountBusy(f"event {event['id']}: the account {account.stripe_id} kept changing; Stripe will retry")


def plan_event(account: ConnectedAccount, event: dict[str, Any], api_version: str) -> Plan:
    """Decide, writing nothing, how an event of a handled type updates the account's cache.

    `api_version`: the version our requests pin. An event's object is rendered in the version of the
    endpoint it was sent to, fixed when the event was made (stripe-python 16.1.0, `Event.api_version`);
    in another version its shape may not be the one the cache keeps, so the account is read instead.
    """
    persons = event["type"].startswith("person.") or (account.stripe_persons is None and _company(account))
    if account.stripe_profile is None or account.stripe_marks is None:
        return Plan(read="the account's cache was never filled", persons=persons)
    version = event.get("api_version")
    if version is not None and version != api_version:
        return Plan(read=f"the event is of API version {version!r}, our requests of {api_version!r}",
                    persons=persons)
    created = _created(event)
    if created is None:
        return Plan(read="the event has no `created`", persons=persons)
    try:
        changes = HANDLERS[event["type"]](account, event)
    except Unapplicable as exc:
        return Plan(read=str(exc), persons=persons)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a field of a type Stripe does not send
        return Plan(read=f"a malformed object ({type(exc).__name__}: {exc})", persons=persons)
    plan = Plan()
    for change in changes:
        before = None if change.before is UNKNOWN else fingerprint(change.before)
        verdict = judge(mark_of(account.stripe_marks, change.key), created, before, fingerprint(change.after))
        if verdict is Verdict.UNSURE:
            return Plan(read=f"{change.key}: an event of the same second as our state that does not follow it",
                        persons=persons)
        if verdict is Verdict.APPLY:
            plan.changes.append(change)
    return plan


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _created(event: dict[str, Any]) -> int | None:
    created = event.get("created")
    return created if isinstance(created, int) and not isinstance(created, bool) else None


def _company(account: ConnectedAccount) -> bool:
    return account.business_type not in (None, "individual")


def _before(event: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any] | None:
    """Return the object as it was before an `*.updated` event: its `previous_attributes` put back.

    Stripe lists there the attributes that changed with their old values, nested objects by their
    changed keys and arrays whole (stripe-python 16.1.0, `Event.Data.previous_attributes`). None when
    the event has none.
    """
    data = event.get("data")
    previous = data.get("previous_attributes") if isinstance(data, dict) else None
    return _merged(obj, previous) if isinstance(previous, dict) else None


def _merged(obj: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(obj)
    for key, value in previous.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _checked(account: ConnectedAccount, event: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
    """Return the event's object if it is one of `kinds`, has an id and belongs to the account."""
    obj = _object(event)
    if obj.get("object") not in kinds or not isinstance(obj.get("id"), str):
        raise Unapplicable(f"the object is not a {' or '.join(kinds)} with an id: {obj.get('object')!r}")
    owner = obj.get("id") if obj["object"] == "account" else obj.get("account")
    if isinstance(owner, dict):
        owner = owner.get("id")  # an expanded account
    if owner is not None and owner != account.stripe_id:
        raise Unapplicable(f"the object belongs to another account ({owner})")
    return obj


def _account_updated(account: ConnectedAccount, event: dict[str, Any]) -> list[Change]:
    """The account part, each capability and, when the list is complete, each external account."""
    obj = _checked(account, event, ("account",))
    requirements = obj.get("requirements")
    if not isinstance(requirements, dict):
        raise Unapplicable("the account object has no requirements")
    deadline = requirements.get("current_deadline")
    if deadline is not None and (not isinstance(deadline, int) or isinstance(deadline, bool)):
        raise Unapplicable(f"requirements.current_deadline is not a time: {deadline!r}")
    capabilities = obj.get("capabilities")
    if isinstance(capabilities, dict) and not all(isinstance(v, str) for v in capabilities.values()):
        raise Unapplicable("a capability status is not a string")
    old = _before(event, obj)
    return [Change("account", account_part(old) if old is not None else UNKNOWN, account_part(obj),
                   lambda row, now, at: row.apply_account(obj, now, at)), *part_changes(account, obj, old)]


def part_changes(account: ConnectedAccount, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Change]:
    """Return what an account object says of its parts other than the account's own: each capability and,
    when the list is complete, each external account (`old`: the object before, or None when not known).

    Also used for a write's answer (`wizard/submit.py`), whose parts are judged the way an event's are.
    """
    changes = []
    capabilities = obj.get("capabilities")
    if isinstance(capabilities, dict):
        old_capabilities = (old or {}).get("capabilities") or {}
        for name in sorted(set(capabilities) | set(account.capabilities)):
            changes.append(Change(f"capability:{name}", old_capabilities.get(name) if old is not None else UNKNOWN,
                                  capabilities.get(name), _capability_setter(name, capabilities.get(name))))
    banks = obj.get("external_accounts")
    if isinstance(banks, dict) and isinstance(banks.get("data"), list) and not banks.get("has_more"):
        changes += _bank_list_changes(account, banks["data"], old)
    return changes


def _bank_list_changes(account: ConnectedAccount, banks: list[Any], old: dict[str, Any] | None) -> list[Change]:
    """Each external account of a complete list in an account object (absent ones are gone)."""
    if not all(isinstance(b, dict) and isinstance(b.get("id"), str) for b in banks):
        raise Unapplicable("an external account without an id")
    old_banks = ((old or {}).get("external_accounts") or {}).get("data") or []
    cached = [b.get("id") for b in ((account.stripe_profile or {}).get("external_accounts") or {}).get("data") or []]
    changes = []
    for bank_id in sorted({b["id"] for b in banks} | {i for i in cached if isinstance(i, str)}):
        after = next((bank_part(b) for b in banks if b["id"] == bank_id), None)
        before = next((bank_part(b) for b in old_banks if isinstance(b, dict) and b.get("id") == bank_id), None)
        changes.append(Change(f"bank:{bank_id}", before if old is not None else UNKNOWN, after,
                              _bank_setter(bank_id, after)))
    return changes


def _capability_updated(account: ConnectedAccount, event: dict[str, Any]) -> list[Change]:
    obj = _checked(account, event, ("capability",))
    if not isinstance(obj.get("status"), str):
        raise Unapplicable("the capability has no status")
    old = _before(event, obj)
    return [Change(f"capability:{obj['id']}", old.get("status") if old is not None else UNKNOWN, obj["status"],
                   _capability_setter(obj["id"], obj["status"]))]


def _person_event(account: ConnectedAccount, event: dict[str, Any]) -> list[Change]:
    """A person of a company; an individual's own person arrives in `account.updated` (`individual`)."""
    obj = _checked(account, event, ("person",))
    individual = ((account.stripe_profile or {}).get("individual") or {}).get("id")
    if account.business_type == "individual" or obj["id"] == individual:
        return []
    if account.stripe_persons is None:
        raise Unapplicable("the company's persons were never read")
    key, action = f"person:{obj['id']}", event["type"].rsplit(".", 1)[1]
    if action == "deleted":
        gone = {k: v for k, v in obj.items() if k != "deleted"}
        return [Change(key, person_part(gone), None, lambda row, now, at: row.forget_person(obj["id"], now, at))]
    old = _before(event, obj) if action == "updated" else None
    before = None if action == "created" else (person_part(old) if old is not None else UNKNOWN)
    return [Change(key, before, person_part(obj), lambda row, now, at: row.keep_person(obj, now, at))]


def _external_account_event(account: ConnectedAccount, event: dict[str, Any]) -> list[Change]:
    obj = _checked(account, event, BANK_OBJECTS)
    key, action = f"bank:{obj['id']}", event["type"].rsplit(".", 1)[1]
    if action == "deleted":
        return [Change(key, bank_part(obj), None, _bank_setter(obj["id"], None))]
    old = _before(event, obj) if action == "updated" else None
    before = None if action == "created" else (bank_part(old) if old is not None else UNKNOWN)
    return [Change(key, before, bank_part(obj), _bank_setter(obj["id"], bank_part(obj)))]


def _capability_setter(name: str, status: str | None) -> Apply:
    return lambda row, now, at: row.apply_capability(name, status, now, at)


def _bank_setter(bank_id: str, bank: dict[str, Any] | None) -> Apply:
    return lambda row, now, at: row.apply_bank(bank_id, bank, now, at)


HANDLERS: dict[str, Callable[[ConnectedAccount, dict[str, Any]], list[Change]]] = {
    "account.updated": _account_updated,
    "capability.updated": _capability_updated,
    **{f"person.{action}": _person_event for action in ("created", "updated", "deleted")},
    **{f"account.external_account.{action}": _external_account_event for action in ("created", "updated", "deleted")},
}
