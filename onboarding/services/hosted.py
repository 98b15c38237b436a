"""Finish with Stripe: send an account's user to Stripe's hosted flow for what no form of ours can send.

Some requirements only Stripe's own pages answer (see `onboarding/requirement_strings.py`): risk reviews
(`interv_…`) and checks Stripe runs itself (`proof_of_liveness`, …). For exactly those we make an Account
Link (`type=account_onboarding`, `collection_options[fields]=currently_due`) through the gateway, its
idempotency key stored in the outbox before the call, and send the user there. The link's `return_url` is
our `/onboarding/stripe/return/<id>`, which re-reads the account from Stripe (Stripe passes no state back)
and sends the user on to `return_to`.

There are two ways in:

- The user, from the status page. Stripe's `refresh_url` (a link expired, or was used) is our
  `/onboarding/stripe/refresh`, which the user's session authenticates and which makes a new link.
  Afterwards the user is back on our status page.
- The platform's backend, through the API. Here Stripe's `refresh_url` is the platform's own: the platform
  authenticates its user and asks for a new link, as with our onboarding links. An unauthenticated refresh
  address of ours would hand a fresh link to whoever found it, which Stripe's docs warn against. The user
  ends on the platform's `return_url`.

**Audit decision.** Each link is a `HostedLink` row, not an `audit_log` entry. The audit log records what
staff did: its actor is a staff e-mail, and its failed logins throttle logins. An end user is known here only
by the onboarding link whose session they hold, so that is what the row names (`onboarding_link_id`). It
also keeps the IP address, the account, what Stripe was asked for, the origin of Stripe's page, where the
user goes back to, and when they came back. The compliance audit page lists these rows beside the staff
entries. The platform is notified of every flow a user starts (`account.hosted_flow_started`). A flow the
platform asked for itself gets its answer directly.

The link itself is never stored or logged: for its few minutes it opens the account's onboarding to whoever
holds it. If the answer to a link's creation was lost, `flask outbox retry` abandons the pending write, since
its parameters are not kept and the link would have expired anyway. The user presses the button again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from requirements_catalog import CountryCatalog
from requirements_catalog.values import N_

from ..gateway import Gateway, Unavailable
from ..gateway.interface import account_link_params
from ..models import ConnectedAccount, HostedLink
from ..models.types import new_uuid
from ..requirement_strings import Requirement, read
from ..wizard.persons import person_roles
from .status import fields_for_requirement
from . import outbox
from .accounts import read_account
from .notifications import queue_hosted_flow_started

OPERATION = "account_links.create"
# What each kind of requirement means to its user, in plain words (message ids; translated where shown).
RISK_REVIEW = N_("Stripe is reviewing your account and needs some information from you for that review.")
LIVENESS = N_("Stripe needs to confirm that you are the person on your identity document, with a short check "
              "on its own pages.")
STRIPE_CHECK = N_("Stripe needs to carry out a check that only its own pages can do.")
CATALOG_GAP = N_("Stripe needs some information that these forms do not ask for yet.")


class NothingForStripe(Exception):
    """Nothing that only Stripe's hosted flow answers is due on the account (or it is not at Stripe yet)."""


def stripe_only_due(account: ConnectedAccount, country: CountryCatalog | None = None) -> list[Requirement]:
    """Return what Stripe needs now that no form of ours can send (currently or past due), in Stripe's order.

    With the account's `country` catalog this includes what a form could send but this catalog version
    does not ask (kind `catalog_gap`): until compliance adds it, Stripe's own flow is the user's only way
    to answer it, and the catalog check counts it meanwhile.
    """
    requirements = account.requirements or {}
    due = dict.fromkeys([*(requirements.get("currently_due") or []), *(requirements.get("past_due") or [])])
    roles = person_roles(account.stripe_persons or [])
    business_type = account.business_type or "individual"
    found: list[Requirement] = []
    for requirement in map(read, due):
        if not requirement.answerable_by_form:
            found.append(requirement)
        elif country is not None and not fields_for_requirement(country, business_type, requirement.raw, roles):
            found.append(replace(requirement, kind="catalog_gap"))
    return found


def describe(requirement: Requirement) -> str:
    """Return the message id that says in plain words what Stripe needs for this requirement."""
    if requirement.kind == "risk_review":
        return RISK_REVIEW
    if requirement.kind == "catalog_gap":
        return CATALOG_GAP
    return LIVENESS if requirement.raw.rsplit(".", 1)[-1] == "proof_of_liveness" else STRIPE_CHECK


def send_to_stripe(session: Session, engine: Engine, gateway: Gateway, account: ConnectedAccount, *,
                   requested_by: str, return_to: str, refresh_url: str, return_url: Callable[[str], str],
                   now: datetime, onboarding_link_id: str | None = None, ip: str | None = None,
                   country: CountryCatalog | None = None) -> tuple[HostedLink, str]:
    """Make an Account Link for what only Stripe answers; record who was sent where; return the record and its URL.

    `return_url(id)` is our return address for the record `id`; `refresh_url` is where Stripe sends the
    user when the link has expired or was used. Raise `NothingForStripe`, or the gateway's errors.
    """
    due = stripe_only_due(account, country)
    if not due or not account.stripe_id:
        raise NothingForStripe(account.id)
    hosted_id, key = new_uuid(), outbox.new_key(OPERATION)
    params = account_link_params(account.stripe_id, refresh_url=refresh_url, return_url=return_url(hosted_id))
    result = outbox.perform(engine, OPERATION, lambda k: gateway.create_account_link(params, idempotency_key=k),
                            account_id=account.id, target=account.stripe_id, now=now, key=key)
    url = result.get("url")
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise Unavailable("Stripe's answer to the Account Link carries no usable url.")
    hosted = HostedLink(id=hosted_id, account_id=account.id, requested_by=requested_by,
                        onboarding_link_id=onboarding_link_id, ip=ip, requirements=[r.raw for r in due],
                        destination=f"{parts.scheme}://{parts.netloc}", return_to=return_to, refresh_url=refresh_url,
                        idempotency_key=key, created_at=now, expires_at=_moment(result.get("expires_at")))
    session.add(hosted)
    if requested_by == "user":
        queue_hosted_flow_started(session, account, hosted, now)
    return hosted, url


def came_back(session: Session, gateway: Gateway, hosted_id: str, now: datetime) -> HostedLink | None:
    """Record a user's return from Stripe and re-read the account; return the record, or None when unknown."""
    hosted = session.get(HostedLink, hosted_id)
    account = session.get(ConnectedAccount, hosted.account_id) if hosted is not None else None
    if hosted is None or account is None:
        return None
    # Stripe passes no state back: what the user did there is read from Stripe, before anything is written
    # (SQLite's lock is not held while Stripe answers). Unreachable, the cache stays, and webhooks follow.
    fresh = read_account(gateway, account)
    if fresh is not None:
        fresh.apply_to(account, now)
        session.add(account)
    hosted.returned_at = hosted.returned_at or now
    session.add(hosted)
    return hosted


def _moment(value: object) -> datetime | None:
    """Return a Unix time Stripe sent as an aware datetime (None for anything else: it is only recorded)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return datetime.fromtimestamp(value, timezone.utc)
