"""Compliance staff: accounts and roles, passwords and a TOTP second factor, and the audit log.

Roles (`ROLES`; what each may do is `PERMISSIONS`):

- **editor**: reads versions, diffs, freshness reports; prepares drafts (`catalog new-version --author`).
- **reviewer**: what an editor may, plus approving a draft someone else prepared, and the audit log.
- **admin**: what a reviewer may, plus giving roles and resetting a second factor on /compliance/staff.

Nobody approves a draft they prepared, whatever their role (`requirements_catalog.store.same_person`).
"""

from __future__ import annotations

import functools
import hmac
import secrets
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import or_, update
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AuditEntry, StaffUser

MIN_PASSWORD = 12
# Inputs longer than any real one are refused before anything is hashed or stored (an e-mail address has at
# most 254 characters, RFC 5321; a pass phrase of 1,024 is plenty): they cannot flood the audit log.
MAX_EMAIL = 254
MAX_PASSWORD = 1024
# OWASP's password storage cheat sheet (2023+): scrypt with N=2^17, r=8, p=1 (128 MiB per hash).
PASSWORD_METHOD = "scrypt:131072:8:1"


class StaffError(ValueError):
    """A staff operation that cannot be done (a duplicate e-mail, a short password)."""


ROLES = ("editor", "reviewer", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),  # catalog versions, diffs, freshness reports
    "approve": frozenset({"reviewer", "admin"}),  # sign a draft off (never one's own)
    "audit": frozenset({"reviewer", "admin"}),  # the audit log
    "manage_staff": frozenset({"admin"}),  # roles and second factors of others
}
TOTP_ISSUER = "Onboarding compliance"


def may(user: StaffUser, permission: str) -> bool:
    """Return whether the user's role grants a permission (`PERMISSIONS`)."""
    return user.role in PERMISSIONS[permission]


def create_staff(session: Session, email: str, password: str, now: datetime, method: str = PASSWORD_METHOD,
                 role: str = "reviewer") -> StaffUser:
    """Create a staff account with a hashed password (`method`: werkzeug's, `STAFF_PASSWORD_METHOD`)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > MAX_EMAIL:
        raise StaffError("give an e-mail address")
    if role not in ROLES:
        raise StaffError(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first() is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=generate_password_hash(password, method), created_at=now, role=role)
    session.add(user)
    return user


def audit(session: Session, actor: str, action: str, now: datetime, ip: str | None = None,
          **detail: Any) -> AuditEntry:
    """Record an audited action."""
    entry = AuditEntry(actor=actor, action=action, at=now, ip=ip, detail=detail)
    session.add(entry)
    return entry


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


def new_totp_secret() -> str:
    """Return a new random TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, email: str) -> str:
    """Return the `otpauth://` URI an authenticator app reads from the set-up QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """Return the time step a code belongs to, or None if it is wrong or was used already.

    The step before and after now count too (RFC 6238 section 5.2: one step of clock drift); a step
    at or before `last_step` is refused, so an overheard code cannot be replayed.
    """
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_totp_step(session: Session, user: StaffUser, secret: str, step: int) -> bool:
    """Record a code's step as used, unless another request used it (or a later one) first; return whether.

    One conditional UPDATE: of two requests racing with the same code, one wins.
    """
    newer = or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step)  # type: ignore[union-attr,operator]
    result = session.execute(update(StaffUser).where(StaffUser.id == user.id, newer)  # type: ignore[arg-type]
                             .values(totp_secret=secret, totp_last_step=step))
    session.refresh(user)
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_role(session: Session, user: StaffUser, role: str) -> None:
    """Give a staff member a role; the last admin keeps theirs, so someone can always hand out roles."""
    if role not in ROLES:
        raise StaffError(f"the role must be one of {', '.join(ROLES)}")
    if user.role == "admin" and role != "admin":
        admins = session.exec(select(StaffUser).where(StaffUser.role == "admin")).all()
        if len(admins) <= 1:
            raise StaffError("the last admin keeps the admin role")
    user.role = role
    session.add(user)
