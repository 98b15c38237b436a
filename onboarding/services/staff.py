"""Compliance staff: accounts, logins limited against guessing, sign-offs, and the audit log."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AuditEntry, StaffUser

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 12
# Inputs longer than any real one are refused before anything is hashed or stored (an e-mail address has at
# most 254 characters, RFC 5321; a pass phrase of 1,024 is plenty): they cannot flood the audit log.
MAX_EMAIL = 254
MAX_PASSWORD = 1024
# OWASP's password storage cheat sheet (2023+): scrypt with N=2^17, r=8, p=1 (128 MiB per hash).
PASSWORD_METHOD = "scrypt:131072:8:1"


class StaffError(ValueError):
    """A staff operation that cannot be done (a duplicate e-mail, a short password)."""


def create_staff(session: Session, email: str, password: str, now: datetime, method: str = PASSWORD_METHOD
                 ) -> StaffUser:
    """Create a staff account with a hashed password (`method`: werkzeug's, `STAFF_PASSWORD_METHOD`)."""
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError("give an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=generate_password_hash(password, method), created_at=now)
    session.add(user)
    return user


def audit(session: Session, actor: str, action: str, now: datetime, ip: str | None = None,
          **detail: Any) -> AuditEntry:
    """Record an audited action."""
    entry = AuditEntry(actor=actor, action=action, at=now, ip=ip, detail=detail)
    session.add(entry)
    return entry


def too_many_failures(session: Session, email: str, ip: str | None, now: datetime) -> bool:
    """Return whether this e-mail or this address failed to log in too often lately."""
    since = now - FAILURE_WINDOW
    query = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "login_failed", AuditEntry.at >= since)
    by_email = session.exec(query.where(AuditEntry.actor == email.strip().lower())).one()
    by_ip = session.exec(query.where(AuditEntry.ip == ip)).one() if ip else 0
    return by_email >= MAX_FAILURES or by_ip >= MAX_FAILURES * 4


@functools.cache
def _unknown_user_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(32), method)


def authenticate(session: Session, email: str, password: str, method: str = PASSWORD_METHOD) -> StaffUser | None:
    """Return the staff user for these credentials, or None.

    An unknown e-mail costs one scrypt run, as a known one does (against a hash made once per process),
    so the time of the answer does not tell which e-mails have accounts. A hash made with weaker
    parameters is replaced on a successful login.
    """
    user = session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    if user is None:
        check_password_hash(_unknown_user_hash(method), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not user.password_hash.startswith(method + "$"):
        user.password_hash = generate_password_hash(password, method)
        session.add(user)
    return user
