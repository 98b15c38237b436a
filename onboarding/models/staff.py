"""Compliance staff and the audit log of what they (and anyone trying to log in) did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from .types import json_column, tz_column, utcnow


class StaffUser(SQLModel, table=True):
    """A compliance staff member with a role; a password hash (werkzeug's scrypt) and a TOTP secret are kept.

    The TOTP secret must be readable to check a code (RFC 6238 is a shared secret): it is the one
    secret of this table, and it is useless without the password.
    """

    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="reviewer", max_length=16, sa_column_kwargs={"server_default": "admin"})
    totp_secret: str | None = Field(default=None, max_length=64)  # base32; None until set up at the first login
    # The last time step whose code was accepted: a code is used once (RFC 6238 section 5.2).
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    # Sessions are signed cookies: logging out moves this on, and every session issued before is refused.
    sessions_valid_after: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))


class AuditEntry(SQLModel, table=True):
    """One audited action: a login (or a failed one), a sign-off."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=tz_column(nullable=False))
    actor: str = Field(index=True, max_length=320)  # the staff e-mail, or the e-mail someone tried
    # login, login_failed, logout, sign_off, sign_off_refused, second_factor_set, second_factor_reset, role_changed
    action: str = Field(index=True, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
