"""`/compliance`: staff review catalog versions, read diffs, sign drafts off, and read freshness reports.

Staff accounts come from `flask --app wsgi staff create EMAIL --role editor|reviewer|admin`; what each
role may do is in `services/staff.py` and the README. A login is a password and then a TOTP code
(set up with an authenticator app at the first login). Attempts are counted before they are checked
(`limits.LOGIN_LIMITS`), and every login, failed login, sign-off and role change is in the audit log,
beside the users sent to Stripe's hosted flow (`hosted_links`; why they are kept apart: `services/hosted.py`).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import wraps
from typing import Any, Callable

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlmodel import select

from requirements_catalog import CatalogError, StoreError, diff, integrity
from requirements_catalog.store import same_person
from requirements_catalog.validate import validate

from . import limits
from .catalog import get_catalog
from .db import get_session
from .gateway.sdk_params import is_param_path
from .i18n import restart_session
from .models import AuditEntry, ConnectedAccount, FreshnessReport, HostedLink, StaffUser
from .models.types import as_utc, utcnow
from .services.staff import (MAX_EMAIL, MAX_PASSWORD, ROLES, StaffError, audit, authenticate, may,
                             new_totp_secret, set_role, totp_step, totp_uri, use_totp_step)

AUDIT_PAGE = 100
MAX_NOTE = 2000
bp = Blueprint("compliance", __name__, url_prefix="/compliance")
STAFF_KEY = "staff"
PENDING_KEY = "staff_pending"  # a right password, waiting for its second factor
PENDING_FOR = timedelta(minutes=5)
STAFF_SESSION = timedelta(hours=8)
DEVICE_COOKIE = "staff_device"
DEVICE_FOR = timedelta(days=180)


def staff_required(permission: str = "read") -> Callable[[Callable[..., ResponseReturnValue]],
                                                         Callable[..., ResponseReturnValue]]:
    """Send anonymous visitors to the login page, and refuse staff whose role lacks the permission (403)."""
    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
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
            if not may(user, permission):
                return render_template("compliance/error.html", staff=user, title="Not allowed",
                                       message=f"Your role ({user.role}) does not allow this."), 403
            return view(*args, staff=user, **kwargs)
        return wrapped
    return decorate


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="compliance-device")


def _device_of(email: str) -> str | None:
    """Return the device id of this browser's cookie if it is the e-mail's (it logged in here before)."""
    try:
        data = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_FOR.total_seconds())
    except BadSignature:
        return None
    return data.get("device") if isinstance(data, dict) and data.get("email") == email else None


def _safe_next(target: str) -> str:
    return target if target.startswith("/compliance") and not target.startswith("//") else url_for("compliance.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Check a staff member's e-mail and password; the second factor comes next."""
    if request.method == "GET":
        return render_template("compliance/login.html", error=None)
    db, now, ip = get_session(), utcnow(), request.remote_addr or ""
    email = request.form.get("email", "").strip().lower()
    password = request.form.get("password", "")
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:  # nothing stored, nothing hashed
        return render_template("compliance/login.html", error="wrong"), 400
    device = _device_of(email)
    # Counted before the password is checked, and refused before anything is written.
    if not (limits.allow("address", ip) and (limits.allow("device", device) if device
                                             else limits.allow("account", email))):
        return render_template("compliance/login.html", error="too_many"), 429
    user = authenticate(db, email, password, current_app.config["STAFF_PASSWORD_METHOD"])
    if user is None:
        audit(db, email, "login_failed", now, ip)
        return render_template("compliance/login.html", error="wrong"), 401
    pending: dict[str, Any] = {"id": user.id, "at": now.timestamp(), "next": request.args.get("next", "")}
    if user.totp_secret is None:
        pending["secret"] = new_totp_secret()  # shown once, stored only when a code from it is right
    session[PENDING_KEY] = pending
    return redirect(url_for("compliance.second_factor"), 303)


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> ResponseReturnValue:
    """Ask the TOTP code of the user whose password was right (or set the authenticator up first)."""
    db, now, ip = get_session(), utcnow(), request.remote_addr or ""
    pending = session.get(PENDING_KEY)
    user = db.get(StaffUser, pending.get("id")) if isinstance(pending, dict) else None
    if user is None or now.timestamp() - pending.get("at", 0) > PENDING_FOR.total_seconds():
        session.pop(PENDING_KEY, None)
        return redirect(url_for("compliance.login"), 303)
    secret = user.totp_secret or pending.get("secret")
    setting_up = user.totp_secret is None
    if not secret:  # reset by an admin after this password step: start again
        return redirect(url_for("compliance.login"), 303)
    page = {"setting_up": setting_up, "email": user.email}
    if setting_up:
        uri = totp_uri(secret, user.email)
        page |= {"secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                 "qr": Markup(segno.make(uri, error="m").svg_inline(scale=4, title="QR code of the set-up key"))}
    if request.method == "GET":
        return render_template("compliance/code.html", error=None, **page)
    if not limits.allow("code", str(user.id)):
        return render_template("compliance/code.html", error="too_many", **page), 429
    step = totp_step(secret, request.form.get("code", "")[:32], now, user.totp_last_step)
    if step is None or not use_totp_step(db, user, secret, step):
        audit(db, user.email, "login_failed", now, ip, factor="code")
        return render_template("compliance/code.html", error="wrong", **page), 401
    if setting_up:
        audit(db, user.email, "second_factor_set", now, ip)
    audit(db, user.email, "login", now, ip)
    restart_session()  # the CSRF secret and anything planted before the login are gone
    session[STAFF_KEY] = {"id": user.id, "at": now.timestamp()}
    response = redirect(_safe_next(pending.get("next", "")), 303)
    device = _device_of(user.email)
    # Its owner got in: this browser's counts start again (an attacker who gets this far needs nothing more).
    limits.forget("code", str(user.id))
    if device:
        limits.forget("device", device)
    else:
        limits.forget("account", user.email)
        device = secrets.token_urlsafe(16)
    response.set_cookie(DEVICE_COOKIE, _devices().dumps({"email": user.email, "device": device}),
                        max_age=int(DEVICE_FOR.total_seconds()), path="/compliance", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Strict")
    return response


@bp.post("/logout")
@staff_required()
def logout(staff: StaffUser) -> ResponseReturnValue:
    """Log out."""
    now = utcnow()
    audit(get_session(), staff.email, "logout", now, request.remote_addr)
    staff.sessions_valid_after = now  # a copy of this cookie (or any other session of this person) ends too
    get_session().add(staff)
    session.pop(STAFF_KEY, None)
    return redirect(url_for("compliance.login"), 303)


@bp.get("/")
@staff_required()
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
@staff_required()
def show_diff(staff: StaffUser) -> ResponseReturnValue:
    """Two versions side by side, grouped by country and business type; a draft's sign-off form below.

    The form carries the digest of the draft as this page shows it: the approval seals exactly that,
    or is refused (`Catalog.approve`).
    """
    catalog = get_catalog(current_app)
    old, new = request.args.get("old", ""), request.args.get("new", "")
    try:
        digest = integrity.review_digest(catalog.root / new) if catalog.info(new).status == "draft" else ""
        result = diff(catalog.version(old), catalog.version(new))
    except (StoreError, CatalogError, OSError):
        abort(404)
    info = catalog.info(new)
    return render_template("compliance/diff.html", staff=staff, result=result, info=info, digest=digest,
                           may_approve=may(staff, "approve"), own_draft=same_person(info.prepared_by, staff.email))


@bp.post("/versions/<version_id>/approve")
@staff_required("approve")
def approve(staff: StaffUser, version_id: str) -> ResponseReturnValue:
    """Sign off the draft whose diff the reviewer read, with a note: it is sealed and becomes current."""
    catalog = get_catalog(current_app)
    note = request.form.get("note", "").strip()
    digest, against = request.form.get("digest", ""), request.form.get("against", "")
    if not note or not digest or len(note) > MAX_NOTE or len(digest) != 64 or len(against) > 64:
        abort(400)  # a note is a few sentences: one of any length would go into version.toml and the audit log
    now, db = utcnow(), get_session()
    previous = catalog.current_id()
    problems = [str(p) for p in validate(catalog, is_param_path, [version_id]) if p.file != "CURRENT"]
    if problems:
        return render_template("compliance/error.html", staff=staff, message="\n".join(problems)), 409
    try:
        catalog.approve(version_id, staff.email, now.date(), note=note, reviewed_digest=digest,
                        reviewed_against=against)
    except (StoreError, CatalogError) as exc:
        audit(db, staff.email, "sign_off_refused", now, request.remote_addr, version=version_id, reason=str(exc))
        return render_template("compliance/error.html", staff=staff, message=str(exc)), 409
    audit(db, staff.email, "sign_off", now, request.remote_addr, version=version_id, previous=previous, note=note,
          digest=digest, compared_with=against)
    return redirect(url_for("compliance.index"), 303)


@bp.get("/staff")
@staff_required("manage_staff")
def staff_list(staff: StaffUser) -> ResponseReturnValue:
    """Every staff member with their role and whether their second factor is set up."""
    people = get_session().exec(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("compliance/staff.html", staff=staff, people=people, roles=ROLES, error=None)


@bp.post("/staff/<int:user_id>/role")
@staff_required("manage_staff")
def change_role(staff: StaffUser, user_id: int) -> ResponseReturnValue:
    """Give a staff member another role."""
    db = get_session()
    user = db.get(StaffUser, user_id) or abort(404)
    role, before = request.form.get("role", ""), user.role
    try:
        set_role(db, user, role)
    except StaffError as exc:
        people = db.exec(select(StaffUser).order_by(StaffUser.email)).all()
        return render_template("compliance/staff.html", staff=staff, people=people, roles=ROLES, error=str(exc)), 409
    audit(db, staff.email, "role_changed", utcnow(), request.remote_addr, user=user.email, old=before, new=role)
    return redirect(url_for("compliance.staff_list"), 303)


@bp.post("/staff/<int:user_id>/second-factor/reset")
@staff_required("manage_staff")
def reset_second_factor(staff: StaffUser, user_id: int) -> ResponseReturnValue:
    """Forget a staff member's authenticator (a lost phone): they set a new one up at their next login."""
    db, now = get_session(), utcnow()
    user = db.get(StaffUser, user_id) or abort(404)
    user.totp_secret, user.totp_last_step = None, None
    user.sessions_valid_after = now  # their open sessions end with the old factor
    db.add(user)
    audit(db, staff.email, "second_factor_reset", now, request.remote_addr, user=user.email)
    return redirect(url_for("compliance.staff_list"), 303)


@bp.get("/reports")
@staff_required()
def reports(staff: StaffUser) -> ResponseReturnValue:
    """Freshness reports over time, with a chart of findings and catalog age."""
    rows = get_session().exec(select(FreshnessReport).order_by(FreshnessReport.id)).all()
    return render_template("compliance/reports.html", staff=staff, rows=rows, chart=_chart(rows))


@bp.get("/audit")
@staff_required("audit")
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
