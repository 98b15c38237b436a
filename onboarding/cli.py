"""The `flask` CLI: thin click wrappers over the operations."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import Session, select

from .catalog import get_catalog
from .db import get_engine
from .gateway import AccountsV1NotEnabled, GatewayError
from .gateway.setup import get_gateway
from .migrate import schema_problem, upgrade
from .models import StaffUser
from .models.types import utcnow
from .services.accounts import (
    BUSINESS_TYPES, SERVICE_AGREEMENTS, AccountError, create_account, find_account, refresh_account,
)
from .services.links import COLLECT, LINK_TYPES, ONBOARDING, LinkError, create_link, link_url
from .services.notifications import deliver_pending
from .services.recovery import drain
from .services.staff import ROLES, StaffError, audit, create_staff, set_role

# AppGroup: every command runs inside the app's context, whichever way it is invoked.
accounts = AppGroup("accounts", help="Create and inspect connected accounts.")
database = AppGroup("db", help="Manage the database schema.")


def _print(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


P = ParamSpec("P")
R = TypeVar("R")


def needs_database(command: Callable[P, R]) -> Callable[P, R]:
    """Stop a command with one line and exit 2 when its database is unreachable or not migrated.

    Cron runs these commands unattended: a traceback about a missing table says less than the command that fixes it.
    """

    @functools.wraps(command)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        problem = schema_problem(get_engine(current_app))
        if problem is not None:
            _fail(str(problem), 2)
        return command(*args, **kwargs)

    return checked


@database.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    upgrade(get_engine(current_app))
    click.echo("database is up to date")


@accounts.command("create")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. US")
@click.option("--business-type", type=click.Choice(BUSINESS_TYPES), default=None)
@click.option("--email", default=None)
@click.option("--service-agreement", type=click.Choice(SERVICE_AGREEMENTS), default="full", show_default=True)
@needs_database
def accounts_create(country: str, business_type: str | None, email: str | None, service_agreement: str) -> None:
    """Create a connected account for API onboarding and print it as JSON."""
    engine = get_engine(current_app)
    with Session(engine, expire_on_commit=False) as session:
        try:
            account, _ = create_account(session, engine, get_gateway(current_app), country=country,
                                        business_type=business_type, email=email,
                                        service_agreement=service_agreement, now=utcnow(),
                                        catalog_version=get_catalog(current_app).current_id())
        except AccountError as exc:
            _fail(str(exc), 2)
        except AccountsV1NotEnabled as exc:
            _fail(exc.message)  # a platform setting to change, not a refused parameter: no code or param
        except GatewayError as exc:
            _fail(f"Stripe refused the account: {exc.message} (code={exc.code}, param={exc.param})")
        session.commit()
        _print(account.summary())


@accounts.command("show")
@click.argument("ident")
@click.option("--refresh/--no-refresh", default=False, help="Re-read the account from Stripe first.")
@needs_database
def accounts_show(ident: str, refresh: bool) -> None:
    """Print an account's state (by our id or its Stripe id)."""
    engine = get_engine(current_app)
    with Session(engine, expire_on_commit=False) as session:
        account = find_account(session, ident)
        if account is None:
            _fail(f"no account {ident!r}", 2)
        if refresh:
            try:
                refresh_account(session, get_gateway(current_app), account, utcnow(), persons=True)
            except GatewayError as exc:
                _fail(f"could not read the account from Stripe: {exc.message}")
            session.commit()
        _print(account.summary())


@accounts.command("link")
@click.argument("ident")
@click.option("--return-url", required=True, help="Where the user goes when they leave onboarding (https).")
@click.option("--refresh-url", required=True, help="Where an expired or used link sends the user (https).")
@click.option("--collect", type=click.Choice(COLLECT), default="currently_due", show_default=True)
@click.option("--type", "link_type", type=click.Choice(LINK_TYPES), default=ONBOARDING, show_default=True,
              help="account_onboarding opens the onboarding forms, account_update the user's account page.")
@needs_database
def accounts_link(ident: str, return_url: str, refresh_url: str, collect: str, link_type: str) -> None:
    """Create a single-use link (onboarding, or the account page) for an account and print its URL as JSON."""
    engine = get_engine(current_app)
    with Session(engine, expire_on_commit=False) as session:
        account = find_account(session, ident)
        if account is None:
            _fail(f"no account {ident!r}", 2)
        try:
            link, token = create_link(session, account, return_url=return_url, refresh_url=refresh_url,
                                      collect=collect, now=utcnow(), type=link_type,
                                      lifetime=timedelta(seconds=current_app.config["ONBOARDING_LINK_LIFETIME"]))
        except LinkError as exc:
            _fail(str(exc), 2)
        session.commit()
        base = current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000"
        _print({"url": link_url(base, token), "account": account.id, "type": link.type, "collect": link.collect,
                "expires_at": link.expires_at.isoformat()})


notifications = AppGroup("notifications", help="Notifications to the platform.")


@notifications.command("send")
@needs_database
def notifications_send() -> None:
    """Send notifications not delivered yet (run from cron; webhook requests also send at once)."""
    sent, failed = deliver_pending(get_engine(current_app), current_app.extensions["notifier"], utcnow())
    click.echo(f"sent {sent}, failed {failed}")
    sys.exit(1 if failed else 0)


outbox_group = AppGroup("outbox", help="Stripe writes whose outcome was lost.")


@outbox_group.command("retry")
@click.option("--grace-minutes", type=click.IntRange(min=0), default=15, show_default=True,
              help="Leave younger writes to their users, whose forms retry with the same keys.")
@needs_database
def outbox_retry(grace_minutes: int) -> None:
    """Settle pending Stripe writes (run from cron); print the counts as JSON, exit 1 if Stripe was unreachable."""
    drained = drain(get_engine(current_app), get_gateway(current_app), utcnow(),
                    grace=timedelta(minutes=grace_minutes))
    _print(drained.as_dict())
    sys.exit(1 if drained.errors else 0)


staff = AppGroup("staff", help="Compliance staff accounts.")


@staff.command("create")
@click.argument("email")
@click.password_option(help="At least 12 characters; asked twice when not given.")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True,
              help="editor: reads and prepares drafts; reviewer: also approves others' drafts; admin: also gives roles.")
@needs_database
def staff_create(email: str, password: str, role: str) -> None:
    """Create a compliance staff account (the password is stored hashed; the second factor is set up at login)."""
    with Session(get_engine(current_app), expire_on_commit=False) as session:
        try:
            user = create_staff(session, email, password, utcnow(), current_app.config["STAFF_PASSWORD_METHOD"], role)
        except StaffError as exc:
            _fail(str(exc), 2)
        session.commit()
        click.echo(f"staff account {user.email} ({user.role}) created")


def _staff_member(session: Session, email: str) -> StaffUser:
    user = session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
    if user is None:
        _fail(f"no staff account {email}", 2)
    return user  # type: ignore[return-value]


@staff.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
@needs_database
def staff_set_role(email: str, role: str) -> None:
    """Give a staff member a role (for the first admin, or when no admin can log in)."""
    with Session(get_engine(current_app), expire_on_commit=False) as session:
        user = _staff_member(session, email)
        before = user.role
        try:
            set_role(session, user, role)
        except StaffError as exc:
            _fail(str(exc), 2)
        audit(session, "command line", "role_changed", utcnow(), user=user.email, old=before, new=role)
        session.commit()
        click.echo(f"{user.email} is now {role}")


@staff.command("reset-second-factor")
@click.argument("email")
@needs_database
def staff_reset_second_factor(email: str) -> None:
    """Forget a staff member's authenticator app (lost phone); they set a new one up at their next login."""
    with Session(get_engine(current_app), expire_on_commit=False) as session:
        user = _staff_member(session, email)
        now = utcnow()
        user.totp_secret, user.totp_last_step, user.sessions_valid_after = None, None, now
        session.add(user)
        audit(session, "command line", "second_factor_reset", now, user=user.email)
        session.commit()
        click.echo(f"{user.email} sets a new second factor up at the next login")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(accounts)
    app.cli.add_command(database)
    app.cli.add_command(notifications)
    app.cli.add_command(outbox_group)
    app.cli.add_command(staff)
