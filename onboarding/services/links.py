"""Onboarding links: create single-use expiring tokens, and redeem them into an onboarding session.

A token carries 256 random bits (`secrets.token_urlsafe(32)`); only its SHA-256 is stored. Redeeming
marks the link used with one conditional UPDATE, so two tabs opening the same link cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, select

from ..models import ConnectedAccount, OnboardingLink
from ..models.types import as_utc

COLLECT = ("currently_due", "eventually_due")
# Stripe's Account Link types (stripe-python 16.1.0 `AccountLinkCreateParams.type`): onboarding asks what is due,
# an update shows what Stripe holds and lets the user change it (the account page, `onboarding/manage/`).
ONBOARDING, UPDATE = "account_onboarding", "account_update"
LINK_TYPES = (ONBOARDING, UPDATE)
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class LinkError(ValueError):
    """A link cannot be made with these arguments (a bad URL, an unknown collect mode)."""


@dataclass(frozen=True)
class LinkRefused(Exception):
    """A token that cannot start a session: `reason` is unknown, used or expired."""

    reason: str
    refresh_url: str | None = None


def token_hash(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_url(name: str, url: str) -> str:
    """Return `url` if it is an absolute https URL (http only for this machine), else raise `LinkError`."""
    # Browsers read a backslash as a slash and drop tabs and newlines (WHATWG URL), Python's urlsplit does
    # not: `http://evil.example\\@127.0.0.1/` is 127.0.0.1 to urlsplit and evil.example to a browser. Such
    # characters and user names in a URL have no honest use here: refuse them.
    if any(c == "\\" or ord(c) <= 0x20 or ord(c) == 0x7F for c in url or ""):
        raise LinkError(f"{name} must be an absolute https URL")
    try:
        parts = urlsplit(url or "")
        local = parts.hostname in _LOCAL_HOSTS and parts.username is None and parts.password is None
    except ValueError:  # urlsplit refuses some addresses outright ("https://[": an unclosed IPv6 host)
        raise LinkError(f"{name} must be an absolute https URL") from None
    if not parts.netloc or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        raise LinkError(f"{name} must be an absolute https URL")
    if len(url) > 2000:
        raise LinkError(f"{name} is longer than 2000 characters")
    return url


def create_link(session: Session, account: ConnectedAccount, *, return_url: str, refresh_url: str, collect: str,
                now: datetime, lifetime: timedelta, type: str = ONBOARDING) -> tuple[OnboardingLink, str]:
    """Store a new link for the account; return it and its token (shown once, never stored)."""
    if collect not in COLLECT:
        raise LinkError(f"collect must be one of {', '.join(COLLECT)}")
    if type not in LINK_TYPES:
        raise LinkError(f"type must be one of {', '.join(LINK_TYPES)}")
    token = secrets.token_urlsafe(32)
    link = OnboardingLink(account_id=account.id, token_hash=token_hash(token), collect=collect, type=type,
                          return_url=check_url("return_url", return_url),
                          refresh_url=check_url("refresh_url", refresh_url),
                          created_at=now, expires_at=now + lifetime)
    session.add(link)
    return link, token


def redeem_link(session: Session, token: str, now: datetime) -> OnboardingLink:
    """Use a token once: return its link, or raise `LinkRefused` saying why not."""
    return claim_link(session, check_link(session, token, now), now)


def check_link(session: Session, token: str, now: datetime) -> OnboardingLink:
    """Return the link of a token that may still be used (reading only), or raise `LinkRefused`."""
    link = session.exec(select(OnboardingLink).where(OnboardingLink.token_hash == token_hash(token))).first()
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used", link.refresh_url)
    if as_utc(link.expires_at) <= now:
        raise LinkRefused("expired", link.refresh_url)
    return link


def claim_link(session: Session, link: OnboardingLink, now: datetime) -> OnboardingLink:
    """Mark a checked link used, unless another request used it first (then raise `LinkRefused`)."""
    claimed = session.execute(update(OnboardingLink)
                              .where(OnboardingLink.id == link.id, OnboardingLink.used_at.is_(None))  # type: ignore[union-attr]
                              .values(used_at=now))
    if claimed.rowcount != 1:  # another request used it first
        raise LinkRefused("used", link.refresh_url)
    link.used_at = now
    return link


def link_url(base_url: str, token: str) -> str:
    """Return the URL a user opens."""
    return f"{base_url.rstrip('/')}/onboard/{token}"
