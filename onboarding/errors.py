"""Server errors: every 5xx answer is the service's own, branded and in the user's language; JSON where JSON is spoken.

- An unexpected exception answers 500, "something went wrong on our side", with a reference. The log line
  holding the traceback carries the same reference; the page shows nothing about the error itself.
- A database that cannot serve the request answers 503, "try again in a moment", with `Retry-After`: it is
  unreachable or went away (`OperationalError`, `InterfaceError`, `DisconnectionError`, a pool timeout; also
  from the request's commit, see `db.py`), or it is not at this version's schema (never migrated, behind,
  ahead), whose reason is logged as `/healthz` names it.
- `/api/v1` answers the API's JSON error (`type` `api_error` or `service_unavailable`), `/webhooks/stripe` a
  small JSON body: Stripe delivers any event again that got no 2xx, so a 503 there loses nothing.

With `PROPAGATE_EXCEPTIONS` (testing, debugging) an unexpected exception propagates instead of answering 500,
so a test or the debugger sees it. A database outage is answered the same way in every mode.
"""

from __future__ import annotations

import secrets
import sqlite3

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, default_exceptions

from .db import discard_session, get_engine
from .services.answers import stripe_said_yes
from .migrate import schema_problem

# Seconds a client should wait before retrying during an outage. A PostgreSQL restart takes a few seconds
# (the load test stopped it for 5), and the pool's pre-ping reconnects on the first request after it, so a
# short wait is the one that ends soonest after the database is back; retrying into a longer failover costs
# one quick refusal. Stripe keeps its own retry schedule and browsers do not retry by themselves.
RETRY_AFTER_SECONDS = 5
OUTAGES = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
# PostgreSQL's undefined_table and undefined_column: the schema is not the one this version expects.
SCHEMA_SQLSTATES = frozenset({"42P01", "42703"})
SQLITE_SCHEMA_MESSAGES = ("no such table", "no such column")
JSON_BLUEPRINTS = frozenset({"api", "webhooks", "health"})


def reference() -> str:
    """Return a fresh reference that ties what a user sees to one line of the log."""
    return secrets.token_hex(6)


def database_unavailable_reason(exc: BaseException) -> str | None:
    """Return why the database cannot serve requests (for the log) when `exc` says so, else None."""
    if _schema_mismatch(exc):
        problem = schema_problem(get_engine(current_app))
        return None if problem is None else str(problem)  # at the right schema: a bug, not an outage
    if isinstance(exc, OUTAGES):
        return _first_line(exc)
    return None


def _schema_mismatch(exc: BaseException) -> bool:
    original = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    if getattr(original, "sqlstate", None) in SCHEMA_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and str(original).startswith(SQLITE_SCHEMA_MESSAGES)


def _first_line(exc: BaseException) -> str:
    # The driver's own message, not SQLAlchemy's text around it (the statement).
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}"


def _wants_json() -> bool:
    return request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/")


def _propagates() -> bool:
    configured = current_app.config.get("PROPAGATE_EXCEPTIONS")
    return bool(current_app.testing or current_app.debug) if configured is None else bool(configured)


def unavailable(reason: str | None = None) -> ResponseReturnValue:
    """Answer 503 with Retry-After: the branded "try again in a moment" page, or JSON for the API and webhooks.

    A wizard request that Stripe had already said yes to (its answers are kept, `services/answers.py`)
    shows "we saved part of this, check and continue" instead: the next view puts Stripe's answers into
    the cache, so the user finds them there.
    """
    saved_part = stripe_said_yes()
    discard_session()
    ref = reference()
    current_app.logger.warning("service unavailable, reference %s, %s %s: %s", ref, request.method,
                               request.endpoint, reason or "unavailable")
    if request.blueprint == "webhooks":
        body = jsonify({"error": "service unavailable", "reference": ref})
    elif _wants_json():
        body = jsonify({"error": {"type": "service_unavailable", "code": "database_unavailable" if reason else None,
                                  "param": None, "message": f"The service is unavailable for a moment (reference "
                                                            f"{ref}). Retry after {RETRY_AFTER_SECONDS} seconds."}})
    elif saved_part and request.blueprint == "wizard":
        body = render_template("errors/saved_part.html", reference=ref)
    else:
        body = render_template("errors/unavailable.html", reference=ref)
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def failed(exc: BaseException | None, status: int = 500, logged: bool = False) -> ResponseReturnValue:
    """Answer a 5xx: log the exception with a reference and show the branded page (JSON for the API).

    `logged`: Flask has just logged the exception's traceback itself (one raised after the view answered).
    """
    discard_session()
    ref = reference()
    traceback = None if exc is None or logged else (type(exc), exc, exc.__traceback__)
    current_app.logger.error("server error %d, reference %s, %s %s%s", status, ref, request.method, request.endpoint,
                             " (its traceback is logged just before)" if logged else "", exc_info=traceback)
    if request.blueprint == "webhooks":
        body = jsonify({"error": "server error", "reference": ref})
    elif _wants_json():
        body = jsonify({"error": {"type": "api_error", "code": None, "param": None,
                                  "message": f"Something went wrong on our side (reference {ref}). Retry later; if "
                                             "it keeps happening, give the reference to the service's operator."}})
    else:
        body = render_template("errors/server_error.html", reference=ref)
    return body, status, {"Cache-Control": "no-store"}


def _unexpected(exc: Exception) -> ResponseReturnValue:
    """Answer any exception a view (or the request's commit) raised that nothing else handled."""
    if isinstance(exc, HTTPException):
        return exc  # their own handlers, or Werkzeug's answer (a 5xx one has a handler below)
    reason = database_unavailable_reason(exc)
    if reason is not None:
        return unavailable(reason)
    if _propagates():
        raise exc
    return failed(exc)


def _server_error(error: HTTPException) -> ResponseReturnValue:
    """Answer a 5xx HTTP error: `abort(5xx)`, or Flask's 500 for an exception raised after the view answered."""
    original = getattr(error, "original_exception", None)
    reason = database_unavailable_reason(original) if original is not None else None
    if reason is not None or error.code == 503:
        return unavailable(reason)
    return failed(original, error.code or 500, logged=original is not None)


def init_app(app: Flask) -> None:
    """Answer unexpected exceptions, database outages and every 5xx with the service's own pages."""
    app.register_error_handler(Exception, _unexpected)
    for code in sorted(code for code in default_exceptions if code >= 500):
        app.register_error_handler(code, _server_error)  # 500 also receives Flask's InternalServerError
