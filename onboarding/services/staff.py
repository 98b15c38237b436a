"""Compliance staff: accounts, logins limited against guessing, sign-offs, and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AuditEntry, StaffUser

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 12


class StaffError(ValueError):
    """A staff operation that cannot be done (a duplicate e-mail, a short password)."""


def create_staff(session: Session, email: str, password: str, now: datetime) -> StaffUser:
    """Create a staff account with a hashed password."""
    email = email.strip().lower()
    if "@" not in email:
        raise StaffError("give an e-mail address")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=generate_password_hash(password), created_at=now)
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


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """Return the staff user for these credentials, or None."""
    user = session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    if user is None:
        check_password_hash(generate_password_hash("x"), password)  # similar time whether or not the user exists
        return None
    return user if check_password_hash(user.password_hash, password) else None
