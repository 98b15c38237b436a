"""`/compliance`: staff review catalog versions, read diffs, sign drafts off, and read freshness reports.

Staff accounts come from `flask --app wsgi staff create`. Logins are rate-limited (five failures per
e-mail in 15 minutes) and every login, failed login and sign-off is in the audit log, beside the users sent to
Stripe's hosted flow (`hosted_links`; why they are kept apart: `services/hosted.py`).
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlmodel import select

from requirements_catalog import CatalogError, StoreError, diff
from requirements_catalog.validate import validate

from .catalog import get_catalog
from .db import get_session
from .gateway.sdk_params import is_param_path
from .models import AuditEntry, ConnectedAccount, FreshnessReport, HostedLink, StaffUser
from .models.types import as_utc, utcnow
from .i18n import restart_session
from .services.staff import MAX_EMAIL, MAX_PASSWORD, audit, authenticate, too_many_failures

AUDIT_PAGE = 100
bp = Blueprint("compliance", __name__, url_prefix="/compliance")
STAFF_KEY = "staff"
STAFF_SESSION = timedelta(hours=8)


def staff_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Send anonymous visitors to the login page."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        data = session.get(STAFF_KEY)
        if not isinstance(data, dict) or utcnow().timestamp() - data.get("at", 0) > STAFF_SESSION.total_seconds():
            return redirect(url_for("compliance.login", next=request.path), 303)
        user = get_session().get(StaffUser, data.get("id"))
        revoked = user is not None and user.sessions_valid_after is not None \
            and data.get("at", 0) <= as_utc(user.sessions_valid_after).timestamp()
        if user is None or revoked:
            session.pop(STAFF_KEY, None)
            return redirect(url_for("compliance.login"), 303)
        return view(*args, staff=user, **kwargs)
    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log a staff member in."""
    if request.method == "GET":
        return render_template("compliance/login.html", error=None)
    db, now, ip = get_session(), utcnow(), request.remote_addr
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:  # nothing stored, nothing hashed
        return render_template("compliance/login.html", error="wrong"), 400
    if too_many_failures(db, email, ip, now):  # refused before anything is written: no flood of rows
        return render_template("compliance/login.html", error="too_many"), 429
    user = authenticate(db, email, password, current_app.config["STAFF_PASSWORD_METHOD"])
    if user is None:
        audit(db, email, "login_failed", now, ip)
        return render_template("compliance/login.html", error="wrong"), 401
    audit(db, user.email, "login", now, ip)
    restart_session()  # the CSRF secret and anything planted before the login are gone
    session[STAFF_KEY] = {"id": user.id, "at": now.timestamp()}
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/compliance") else url_for("compliance.index"), 303)


@bp.post("/logout")
@staff_required
def logout(staff: StaffUser) -> ResponseReturnValue:
    """Log out."""
    now = utcnow()
    audit(get_session(), staff.email, "logout", now, request.remote_addr)
    staff.sessions_valid_after = now  # a copy of this cookie (or any other session of this person) ends too
    get_session().add(staff)
    session.pop(STAFF_KEY, None)
    return redirect(url_for("compliance.login"), 303)


@bp.get("/")
@staff_required
def index(staff: StaffUser) -> ResponseReturnValue:
    """Versions, the latest freshness report and the accounts that need action."""
    catalog = get_catalog(current_app)
    db = get_session()
    versions = [catalog.info(v) for v in reversed(catalog.ids())]
    latest = db.exec(select(FreshnessReport).order_by(FreshnessReport.id.desc())).first()  # type: ignore[union-attr]
    accounts = db.exec(select(ConnectedAccount).where(ConnectedAccount.needs_action_since.is_not(None))  # type: ignore[union-attr]
                       .order_by(ConnectedAccount.current_deadline)).all()
    return render_template("compliance/index.html", staff=staff, versions=versions, current=catalog.current_id(),
                           latest=latest, accounts=accounts)


@bp.get("/diff")
@staff_required
def show_diff(staff: StaffUser) -> ResponseReturnValue:
    """Two versions side by side, grouped by country and business type."""
    catalog = get_catalog(current_app)
    old, new = request.args.get("old", ""), request.args.get("new", "")
    try:
        result = diff(catalog.version(old), catalog.version(new))
    except (StoreError, CatalogError):
        abort(404)
    return render_template("compliance/diff.html", staff=staff, result=result, info=catalog.info(new))


@bp.post("/versions/<version_id>/approve")
@staff_required
def approve(staff: StaffUser, version_id: str) -> ResponseReturnValue:
    """Sign a draft off with a note: it is sealed and becomes current."""
    catalog = get_catalog(current_app)
    note = request.form.get("note", "").strip()
    if not note:
        abort(400)
    now = utcnow()
    previous = catalog.current_id()
    problems = [str(p) for p in validate(catalog, is_param_path, [version_id]) if p.file != "CURRENT"]
    if problems:
        return render_template("compliance/error.html", staff=staff, message="\n".join(problems)), 409
    try:
        catalog.approve(version_id, staff.email, now.date(), note=note)
    except (StoreError, CatalogError) as exc:
        return render_template("compliance/error.html", staff=staff, message=str(exc)), 409
    audit(get_session(), staff.email, "sign_off", now, request.remote_addr, version=version_id,
          previous=previous, note=note)
    return redirect(url_for("compliance.index"), 303)


@bp.get("/reports")
@staff_required
def reports(staff: StaffUser) -> ResponseReturnValue:
    """Freshness reports over time, with a chart of findings and catalog age."""
    rows = get_session().exec(select(FreshnessReport).order_by(FreshnessReport.id)).all()
    return render_template("compliance/reports.html", staff=staff, rows=rows, chart=_chart(rows))


@bp.get("/audit")
@staff_required
def audit_log(staff: StaffUser) -> ResponseReturnValue:
    """Every login, failed login and sign-off, and every user sent to Stripe's hosted flow, newest first.

    Paged by id (`?before=<id>`, `AUDIT_PAGE` entries a page): however many rows a flood of refused
    logins adds, every entry stays reachable and a page stays small.
    """
    db = get_session()
    query = select(AuditEntry).order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
    before = request.args.get("before", "")
    if before.isdigit():
        query = query.where(AuditEntry.id < int(before))  # type: ignore[operator]
    rows = db.exec(query.limit(AUDIT_PAGE + 1)).all()
    entries, older = rows[:AUDIT_PAGE], len(rows) > AUDIT_PAGE
    newest = HostedLink.created_at.desc()  # type: ignore[attr-defined]
    hosted = db.exec(select(HostedLink).order_by(newest).limit(AUDIT_PAGE)).all() if not before else []
    return render_template("compliance/audit.html", staff=staff, entries=entries, hosted=hosted,
                           older=entries[-1].id if older else None, paged=bool(before))


def _chart(rows: list[FreshnessReport]) -> dict[str, Any]:
    """Return SVG polyline points for drift counts and ages (server-drawn: the pages carry no JavaScript)."""
    if not rows:
        return {"drift": "", "age": "", "width": 0}
    width, height = max(300, 40 * len(rows)), 120
    peak_drift = max(1, max(r.drift_count for r in rows))
    peak_age = max(1, max(int(r.report.get("age_days", 0)) for r in rows), 184)
    step = width / max(1, len(rows) - 1)

    def points(values: list[float], peak: float) -> str:
        return " ".join(f"{i * step:.0f},{height - v / peak * (height - 10):.0f}" for i, v in enumerate(values))

    return {"width": width, "height": height, "drift": points([r.drift_count for r in rows], peak_drift),
            "age": points([float(r.report.get("age_days", 0)) for r in rows], peak_age),
            "peak_drift": peak_drift, "peak_age": peak_age}
