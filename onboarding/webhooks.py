"""`/webhooks/stripe`: verified Stripe events, each processed once, updating cached account state."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .db import discard_session, get_engine, get_session
from .gateway import GatewayError, SignatureInvalid
from .gateway.setup import get_gateway
from .models.types import utcnow
from .services.events import record_event
from .services.notifications import deliver_after_response

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/stripe")
def stripe_webhook() -> ResponseReturnValue:
    """Verify the signature, record the event and apply it; a bad signature writes nothing."""
    gateway = get_gateway(current_app)
    try:
        event = gateway.construct_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except SignatureInvalid:
        return jsonify({"error": "invalid signature"}), 400
    try:
        processed = record_event(get_session(), gateway, event, utcnow())
    except GatewayError as exc:
        # The event needed a read of Stripe that failed: nothing is recorded; Stripe delivers it again.
        discard_session()
        current_app.logger.warning("event %s not applied, Stripe could not be read: %s", event.get("id"), exc.message)
        return jsonify({"error": "Stripe could not be read; deliver this event again"}), 500
    response = jsonify({"received": True, "duplicate": not processed})
    # After the request's commit (the response closes after it): tell the platform what it needs to know.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response.call_on_close(lambda: deliver_after_response(get_engine(app), app.extensions["notifier"], utcnow()))
    return response
