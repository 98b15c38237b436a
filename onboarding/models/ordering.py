"""Ordering marks: how new each cached part of an account is, so that an older event never overwrites it.

Stripe does not guarantee that events arrive in the order it generates them, and an endpoint must
not expect that order (docs.stripe.com/webhooks, "Event ordering", read 2026-12-06). Each event
carries `created`, Stripe's clock in whole seconds. The cache is split into parts that events
replace independently: the account itself (requirements, flags, the profile the forms read), each
capability, each person and each external account. Per part we keep a mark:

- `at`: the second (Stripe's clock) of the newest state we know of that part: an applied event's
  `created`, or for a state Stripe answered us directly (a write's answer, a read) the second our
  request began, by our clock, on the assumption that it agrees with Stripe's well within a second
  (NTP). The second it began, not the one the answer came in: an event created while the request
  ran may be newer than the answer (Stripe verifies asynchronously), and must not be taken for older.
  An event created during the request that is in fact older is applied, and the events after it
  bring the part forward again. A state whose request time is not known (a person the wizard
  caches from a write's answer) is held without moving `at`;
- `fp`: a fingerprint of the state the cache holds now;
- `seen`: the fingerprints of every state the cache held during that second, the state it held when
  the second began included.

An event for a part is applied when its `created` is later than `at`, and ignored when earlier.
Events of the same second (common: one write causes several; all of a fast onboarding can share one)
are told apart by content, since `created` cannot order them:

- the event brings the state we hold: nothing to do;
- the event leaves from the state we hold (its object with `previous_attributes` put back is our
  copy): it is the next step, applied;
- the event leaves from or arrives at a state we held earlier in that second: we are past it, ignored;
- otherwise we cannot tell: the caller re-reads the account from Stripe.

A part without a mark of its own takes its kind's: the second of the last complete list (persons,
capabilities, external accounts), where it was absent; so a late `person.created` cannot bring back
a person a newer list no longer had.

This assumes a part never returns within one second to a state it already had there (A, B, A): an
event from B to A that arrives after the later A would be taken as already applied, which is right,
but an older event leaving A would be taken as the next step. That needs a change and its undo
inside one second (a capability, whose state is one word, is the likeliest), and lasts until the
part's next event or the next read.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import Enum
from typing import Any

SEEN_LIMIT = 32  # states per part and second; a whole onboarding within one second holds about a dozen
ABSENT = "absent"  # the fingerprint of a part that does not exist (a deleted person, a removed bank account)
# Collections: the mark a part without its own mark gets, from the last complete list of its kind.
COLLECTION_OF = {"capability": "capabilities", "person": "persons", "bank": "banks"}


class Verdict(Enum):
    """What to do with an event's state for one part."""

    APPLY = "apply"
    SAME = "same"  # the state we hold already
    STALE = "stale"  # older than what we hold
    UNSURE = "unsure"  # same second, unrelated to what we hold: read Stripe


def fingerprint(value: Any) -> str:
    """Return a short digest of a part's cached state (None: the part does not exist)."""
    if value is None:
        return ABSENT
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def second(moment: datetime) -> int:
    """Return a moment as Stripe's `created` would give it: whole seconds since the epoch."""
    return int(moment.timestamp())


def mark_of(marks: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """Return the mark of part `key` ("account", "capability:transfers", "person:person_1", "bank:ba_1").

    A part without a mark of its own takes the mark of the last complete list of its kind, where it
    was absent (a person a persons list did not have); None when nothing is known.
    """
    if not marks:
        return None
    if key in marks:
        return marks[key]
    collection = marks.get(COLLECTION_OF.get(key.split(":", 1)[0], ""))
    if collection is None:
        return None
    return {"at": collection["at"], "fp": ABSENT, "seen": [ABSENT]}


def judge(mark: dict[str, Any] | None, created: int, before: str | None, after: str) -> Verdict:
    """Decide about an event of second `created` taking a part from `before` (None: unknown) to `after`."""
    if mark is None or created > mark["at"]:
        return Verdict.APPLY
    if created < mark["at"]:
        return Verdict.STALE
    if after == mark["fp"]:
        return Verdict.SAME
    if before is not None and before == mark["fp"]:
        return Verdict.APPLY
    if after in mark["seen"] or (before is not None and before in mark["seen"]):
        return Verdict.STALE
    return Verdict.UNSURE


def noted(mark: dict[str, Any] | None, fp: str, at: int | None) -> dict[str, Any]:
    """Return the mark of a part that now holds the state `fp`, known as of second `at`.

    `at` None: a state Stripe answered at a time not known, which cannot be older than the mark: it is
    held at the mark's second (a part without one: second 0, so that any event is newer).
    """
    if at is None:
        at = mark["at"] if mark is not None else 0
    if mark is None:
        return {"at": at, "fp": fp, "seen": [fp]}
    if at > mark["at"]:
        seen = [mark["fp"], fp] if mark["fp"] != fp else [fp]
        return {"at": at, "fp": fp, "seen": seen}
    # The same second, or an answer read by our clock a little behind an event's: the state is held now,
    # at the newer of the two seconds.
    seen = [s for s in mark["seen"] if s != fp] + [fp]
    return {"at": mark["at"], "fp": fp, "seen": seen[-SEEN_LIMIT:]}
