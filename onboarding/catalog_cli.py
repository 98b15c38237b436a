"""`flask catalog ...`: validate, show, diff, start and approve requirements catalog versions."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import Session

from requirements_catalog import CatalogError, StoreError, diff, render_text
from requirements_catalog.draft import Addition, add_fields
from requirements_catalog.show import describe
from requirements_catalog.show import render_text as render_show
from requirements_catalog.validate import validate

from .catalog import get_catalog
from .cli import needs_database
from .db import get_engine
from .gateway import GatewayError
from .gateway.sdk_params import api_version, is_param_path
from .gateway.setup import get_gateway
from .models import FreshnessReport
from .models.types import utcnow
from .services import freshness

catalog = AppGroup("catalog", help="The versioned requirements catalog.")
FORMAT = click.Choice(["text", "json"])


def _today() -> date:
    return utcnow().date()  # the app's one clock (UTC), as everywhere else


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@catalog.command("validate")
@click.option("--version", "versions", multiple=True, help="Check only this version (repeatable); default all.")
def catalog_validate(versions: tuple[str, ...]) -> None:
    """Check schema, seals, Stripe parameter paths, messages and coverage; exit 1 on any problem."""
    store = get_catalog(current_app)
    try:
        problems = validate(store, is_param_path, list(versions) or None)
    except StoreError as exc:
        _fail(str(exc))
    for problem in problems:
        click.echo(str(problem))
    checked = list(versions) or store.ids()
    if problems:
        click.echo(f"catalog invalid: {len(problems)} problem(s) in {', '.join(checked)}", err=True)
        sys.exit(1)
    click.echo(f"catalog valid: {', '.join(checked)} (current {store.current_id()}; "
               f"paths checked against Stripe API {api_version()})")


@catalog.command("show")
@click.option("--version", "version_id", default=None, help="Version id; default the current one.")
@click.option("--country", default=None, help="Only this country, with every field in full.")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
def catalog_show(version_id: str | None, country: str | None, fmt: str) -> None:
    """Print the versions and the fields each country and business type asks."""
    store = get_catalog(current_app)
    try:
        if country and store.version(version_id).country(country) is None:
            _fail(f"the catalog has no country {country!r}")
        if fmt == "json":
            click.echo(json.dumps(describe(store, version_id, country), indent=2, ensure_ascii=False))
        else:
            click.echo(render_show(store, version_id, country), nl=False)
    except (StoreError, CatalogError) as exc:
        _fail(str(exc))


@catalog.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--country", default=None, help="Only this country.")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
def catalog_diff(old: str, new: str, country: str | None, fmt: str) -> None:
    """Print the fields added, removed and changed from version OLD to version NEW."""
    store = get_catalog(current_app)
    try:
        before, after = store.version(old), store.version(new)
    except (StoreError, CatalogError) as exc:
        _fail(str(exc))
    if country and before.country(country) is None and after.country(country) is None:
        _fail(f"neither {old} nor {new} has a country {country!r}")
    result = diff(before, after, country)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result), nl=False)


@catalog.command("new-version")
@click.option("--based-on", default=None, help="Version to copy; default the current one.")
@click.option("--author", required=True, help="Who prepares the draft (a staff e-mail): they cannot approve it.")
def catalog_new_version(based_on: str | None, author: str) -> None:
    """Copy a version into a new draft to edit; print its id and directory."""
    store = get_catalog(current_app)
    try:
        version_id = store.new_version(_today(), author, based_on, api_version())
    except StoreError as exc:
        _fail(str(exc))
    click.echo(f"{version_id}\t{store.root / version_id}")


@catalog.command("approve")
@click.argument("version_id")
@click.option("--by", "reviewed_by", required=True, help="Who signs the version off (not its author).")
@click.option("--make-current/--no-make-current", default=True, show_default=True)
def catalog_approve(version_id: str, reviewed_by: str, make_current: bool) -> None:
    """Sign a draft off: validate it, seal its files and make it current.

    For installations without the compliance pages. With them, reviewers approve on /compliance, where
    the approval is tied to the diff they read and to their login with a second factor.
    """
    store = get_catalog(current_app)
    problems = validate(store, is_param_path, [version_id])
    problems = [p for p in problems if p.file != "CURRENT"]
    if problems:
        for problem in problems:
            click.echo(str(problem))
        _fail(f"{version_id} has {len(problems)} problem(s); fix them before approving", 1)
    try:
        store.approve(version_id, reviewed_by, _today(), make_current)
    except (StoreError, CatalogError) as exc:
        _fail(str(exc))
    click.echo(f"{version_id} approved by {reviewed_by}" + (" and made current" if make_current else ""))


@catalog.command("check")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to judge the age on (YYYY-MM-DD); default today (UTC).")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("--warn-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Warn this many days before the version turns stale.")
@click.option("--draft", is_flag=True, help="Write a new draft version that adds the fields Stripe now lists.")
@needs_database
def catalog_check(as_of: datetime | None, fmt: str, warn_days: int, draft: bool) -> None:
    """For cron: the current version's age and its drift from Stripe. Exit 0 fresh, 1 stale or drift, 2 failed."""
    day = as_of.date() if as_of else _today()
    store = get_catalog(current_app)
    gateway = get_gateway(current_app)
    try:
        version = store.version()
        report = freshness.check(version, gateway, day, is_param_path, warn_days=warn_days, accounts=_progress)
    except (StoreError, CatalogError) as exc:
        _fail(f"the catalog could not be read: {exc}")
    except GatewayError as exc:
        _fail(f"Stripe could not be reached, nothing was checked: {exc.message}")
    with Session(get_engine(current_app)) as session:
        session.add(FreshnessReport(as_of=day, catalog_version=report.catalog_version, stale=report.stale,
                                    drift_count=len(report.drift), report=report.to_json(), created_at=utcnow()))
        session.commit()
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(freshness.render_text(report), nl=False)
    if draft:
        _write_draft(store, report, day)
    sys.exit(0 if report.ok else 1)


def _write_draft(store: Any, report: freshness.Report, day: Any) -> None:
    """Copy the current version into a draft that asks what Stripe's Country Specs now list."""
    additions = [Addition(d.country, d.business_type, d.field, d.required or "eventually") for d in report.drift
                 if d.source == "country_specs" and d.kind == "missing_from_catalog" and d.business_type]
    if not additions:
        click.echo("No draft written: the catalog asks every field Stripe lists.", err=True)
        return
    version_id = store.new_version(day, "catalog check", api_version=api_version())
    added = add_fields(store.root / version_id, additions)
    removals = [f"{d.country} {d.business_type}: {d.field}" for d in report.drift if d.kind == "not_required_by_stripe"]
    notes = (f"Written by `catalog check --draft` on {day} from Stripe's Country Specs. Added: "
             + "; ".join(f"{a.country} {a.business_type}: {a.path} ({a.required})" for a in added) + "."
             + (f" Stripe no longer lists (review, remove if right): {'; '.join(removals)}." if removals else ""))
    store.annotate(version_id, notes)
    click.echo(f"Draft {version_id} written with {len(added)} added field(s); review it with "
               f"`flask --app wsgi catalog diff {report.catalog_version} {version_id}`.", err=True)


def _progress(accounts: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Show a counter on a terminal while accounts are read (cron gets none)."""
    if not sys.stderr.isatty():
        yield from accounts
        return
    with click.progressbar(accounts, label="Reading connected accounts", file=sys.stderr,
                           show_pos=True) as bar:
        yield from bar


def init_app(app: Flask) -> None:
    """Register the `catalog` command group."""
    app.cli.add_command(catalog)
