"""`/healthz`: is the service up, can it reach its database, which Stripe is it talking to."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from .db import get_engine
from .migrate import schema_problem

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer 200 when the database answers at this version's schema, 503 otherwise.

    `database` is `ok`, `unavailable`, `not_migrated`, `behind` or `ahead`; the details (the database's
    address among them) go to the log, not to whoever asks.
    """
    problem = schema_problem(get_engine(current_app))
    if problem is not None:
        current_app.logger.error("health check: %s", problem)
    body = {"status": "ok" if problem is None else "degraded", "database": "ok" if problem is None else problem.kind,
            "stripe": current_app.config["STRIPE_MODE"]}
    return jsonify(body), 200 if problem is None else 503
