"""`/webhooks/stripe`: verified Stripe events, each processed once, updating cached account state."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from .db import discard_session, get_session
from .gateway import GatewayError, SignatureInvalid
from .gateway.setup import get_gateway
from .models.types import utcnow
from .services.events import record_event

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
    return jsonify({"received": True, "duplicate": not processed})  # notifications go once this commits
