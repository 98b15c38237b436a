"""`/healthz`: is the service up, can it reach its database, which Stripe is it talking to."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer 200 when the database answers, 503 otherwise."""
    try:
        with get_engine(current_app).connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    body = {"status": "ok" if database == "ok" else "degraded", "database": database,
            "stripe": current_app.config["STRIPE_MODE"]}
    return jsonify(body), 200 if database == "ok" else 503
