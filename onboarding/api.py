"""The platform API (`/api/v1`): the platform's backend creates accounts, reads them and asks for links.

Every call needs `Authorization: Bearer <PLATFORM_API_KEY>`; without a configured key the API is
closed. Errors are JSON `{"error": {"type", "message", "code", "param"}}`; a platform configuration
error (503) adds `doc_url` and `dashboard_url`. The contract is `onboarding/openapi.json`, served at
`/api/v1/openapi.json`.
"""

from __future__ import annotations

import hmac
import json
from datetime import timedelta
from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_limiter import RateLimitExceeded
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from requirements_catalog import CountryCatalog

from .catalog import account_country, get_catalog
from .db import get_engine, get_session
from .gateway import AccountsV1NotEnabled, GatewayError, InvalidRequest, RateLimited
from .gateway.setup import get_gateway
from .hosted import return_address
from .limits import api_refused
from .models import ConnectedAccount
from .models.types import utcnow
from .services.accounts import AccountError, IdempotencyMismatch, create_account, find_account, request_key
from .services.hosted import NothingForStripe, describe, send_to_stripe, stripe_only_due
from .services.links import ONBOARDING, LinkError, check_url, create_link, link_url
from .services.status import account_status

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(RateLimitExceeded, api_refused)  # the limit itself: `limits.init_app`
PUBLIC = frozenset({"api.openapi"})
EMAIL_LENGTH = 320  # ConnectedAccount.email's column


def _error(status: int, kind: str, message: str, code: str | None = None, param: str | None = None
           ) -> ResponseReturnValue:
    return jsonify({"error": {"type": kind, "message": message, "code": code, "param": param}}), status


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC:
        return None
    key = current_app.config.get("PLATFORM_API_KEY")
    if not key:
        return _error(403, "api_closed", "The platform API is closed: set PLATFORM_API_KEY to open it.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), key.encode()):
        response = jsonify({"error": {"type": "authentication_error", "message": "A valid bearer token is required.",
                                      "code": None, "param": None}})
        response.headers["WWW-Authenticate"] = 'Bearer realm="platform"'
        return response, 401
    return None


def _body() -> dict[str, Any] | None:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser can go (`silent` only covers ValueError): not an object
        return None
    return body if isinstance(body, dict) else None


def _find(ident: str) -> ConnectedAccount | None:
    """Return an account by our id or its Stripe id; an id with a NUL character names none."""
    # PostgreSQL text cannot hold a NUL character: the query itself would fail.
    return None if "\x00" in ident else find_account(get_session(), ident)


def _nul_error(body: dict[str, Any]) -> ResponseReturnValue | None:
    """Refuse text members holding a NUL character: PostgreSQL cannot store one (checked before Stripe is asked)."""
    name = next((name for name, value in body.items() if isinstance(value, str) and "\x00" in value), None)
    if name is None:
        return None
    return _error(400, "invalid_request", f"{name} must not contain NUL characters.", "parameter_invalid", name)


def _platform_not_configured(exc: AccountsV1NotEnabled) -> ResponseReturnValue:
    """Answer 503: the platform's Stripe settings, not the request, must change before a retry can work."""
    return jsonify({"error": {"type": "platform_configuration_error", "code": "accounts_v1_not_enabled",
                              "message": exc.message, "param": None, "doc_url": exc.doc_url,
                              "dashboard_url": exc.dashboard_url}}), 503


def _gateway_error(exc: GatewayError) -> ResponseReturnValue:
    if isinstance(exc, AccountsV1NotEnabled):
        return _platform_not_configured(exc)
    if isinstance(exc, InvalidRequest):
        return _error(400, "stripe_invalid_request", exc.message, exc.code, exc.param)
    if isinstance(exc, RateLimited):
        return _error(429, "rate_limited", exc.message, exc.code)
    return _error(502, "stripe_error", exc.message, exc.code)


def account_json(account: ConnectedAccount) -> dict[str, Any]:
    """Return an account as the API shows it: the cached Stripe state and its onboarding status."""
    version = get_catalog(current_app).version(account.catalog_version or None)
    status = account_status(account, version.country(account.country))
    return {"object": "account", **account.summary(), "onboarding": {
        "state": status.state,
        "currently_due": [needed.path for needed in status.currently_due],
        "eventually_due": [needed.path for needed in status.eventually_due],
        "pending_verification": status.pending,
        "stripe_only_due": stripe_only_json(account, version.country(account.country)),
    }}


def stripe_only_json(account: ConnectedAccount, country: CountryCatalog | None) -> list[dict[str, str]]:
    """Return what only Stripe's hosted flow can collect: the requirement, its kind, and plain words for the user.

    The words follow the request's `Accept-Language`, as the pages follow the browser's.
    """
    return [{"requirement": r.raw, "kind": r.kind, "description": gettext(describe(r))}
            for r in stripe_only_due(account, country)]


@bp.post("/accounts")
def create() -> ResponseReturnValue:
    """Create a connected account for API onboarding."""
    body = _body()
    if body is None:
        return _error(400, "invalid_request", "The body must be a JSON object.")
    unknown = sorted(set(body) - {"country", "business_type", "email", "service_agreement"})
    if unknown:
        return _error(400, "invalid_request", f"Unknown parameter: {unknown[0]}", "parameter_unknown", unknown[0])
    if not isinstance(body.get("country"), str):
        return _error(400, "invalid_request", "country is required (ISO 3166-1 alpha-2).", "parameter_missing",
                      "country")
    if (refused := _nul_error(body)) is not None:
        return refused
    email = body.get("email")
    # As the column stores it (PostgreSQL enforces the length; a NaN would not even reach Stripe).
    if email is not None and (not isinstance(email, str) or len(email) > EMAIL_LENGTH):
        return _error(400, "invalid_request", f"email must be a string of at most {EMAIL_LENGTH} characters.",
                      "parameter_invalid", "email")
    catalog = get_catalog(current_app)
    if catalog.version().country(body["country"]) is None:
        return _error(400, "invalid_request", f"Accounts in {body['country']!r} are not supported.",
                      "country_unsupported", "country")
    given_key = request.headers.get("Idempotency-Key", "").strip()
    if len(given_key) > 255:
        return _error(400, "invalid_request", "Idempotency-Key is longer than 255 characters.")
    try:
        account, created = create_account(
            get_session(), get_engine(current_app), get_gateway(current_app), country=body["country"],
            business_type=body.get("business_type"), email=body.get("email"),
            service_agreement=body.get("service_agreement", "full"), now=utcnow(),
            catalog_version=catalog.current_id(), key=request_key(given_key) if given_key else None)
    except IdempotencyMismatch as exc:
        return _error(409, "idempotency_error", str(exc))
    except AccountError as exc:
        return _error(400, "invalid_request", str(exc))
    except GatewayError as exc:
        return _gateway_error(exc)
    return account_json(account), 201 if created else 200


@bp.get("/accounts/<ident>")
def show(ident: str) -> ResponseReturnValue:
    """Return an account by our id or its Stripe id."""
    account = _find(ident)
    if account is None:
        return _error(404, "not_found", f"No account {ident!r}.", "resource_missing")
    return account_json(account)


def _account_and_urls(ident: str, allowed: set[str] | None = None) -> tuple[Any, Any, ResponseReturnValue | None]:
    """Return the account and a JSON body with `return_url` and `refresh_url`, or (None, None, the error answer)."""
    account = _find(ident)
    if account is None:
        return None, None, _error(404, "not_found", f"No account {ident!r}.", "resource_missing")
    body = _body()
    if body is None:
        return None, None, _error(400, "invalid_request", "The body must be a JSON object.")
    unknown = sorted(set(body) - allowed) if allowed is not None else []
    if unknown:
        return None, None, _error(400, "invalid_request", f"Unknown parameter: {unknown[0]}", "parameter_unknown",
                                  unknown[0])
    for name in ("return_url", "refresh_url"):
        if not isinstance(body.get(name), str):
            return None, None, _error(400, "invalid_request", f"{name} is required.", "parameter_missing", name)
    return account, body, None


@bp.post("/accounts/<ident>/links")
def create_onboarding_link(ident: str) -> ResponseReturnValue:
    """Create a single-use onboarding link for an account."""
    session = get_session()
    account, body, refused = _account_and_urls(ident)
    if refused is not None:
        return refused
    if (refused := _nul_error(body)) is not None:
        return refused
    try:
        link, token = create_link(session, account, return_url=body["return_url"], refresh_url=body["refresh_url"],
                                  collect=body.get("collect", "currently_due"), now=utcnow(),
                                  lifetime=timedelta(seconds=current_app.config["ONBOARDING_LINK_LIFETIME"]),
                                  type=body.get("type", ONBOARDING))
    except LinkError as exc:
        return _error(400, "invalid_request", str(exc), "parameter_invalid")
    base = current_app.config.get("PUBLIC_URL") or request.url_root
    return {"object": "onboarding_link", "url": link_url(base, token), "account": account.id, "type": link.type,
            "collect": link.collect, "created_at": link.created_at.isoformat(),
            "expires_at": link.expires_at.isoformat()}, 201


@bp.post("/accounts/<ident>/stripe_links")
def create_stripe_link(ident: str) -> ResponseReturnValue:
    """Create an Account Link to Stripe's hosted flow for what only Stripe can collect (see `services/hosted.py`)."""
    account, body, refused = _account_and_urls(ident, allowed={"return_url", "refresh_url"})
    if refused is not None:
        return refused
    for name in ("return_url", "refresh_url"):
        try:
            check_url(name, body[name])
        except LinkError as exc:
            return _error(400, "invalid_request", str(exc), "parameter_invalid", name)
    if (refused := _nul_error(body)) is not None:
        return refused
    try:
        # Stripe sends an expired or used link to the platform's refresh_url, which authenticates its user
        # and calls this again; the return comes through us, so that the account is re-read first.
        hosted, url = send_to_stripe(get_session(), get_engine(current_app), get_gateway(current_app), account,
                                     requested_by="platform", return_to=body["return_url"],
                                     refresh_url=body["refresh_url"], return_url=return_address, now=utcnow(),
                                     ip=request.remote_addr, country=account_country(current_app, account))
    except NothingForStripe:
        return _error(409, "invalid_request", "Nothing that only Stripe's hosted flow can collect is due on this "
                      "account.", "nothing_due_at_stripe")
    except GatewayError as exc:
        return _gateway_error(exc)
    return {"object": "stripe_link", "url": url, "account": account.id, "requirements": stripe_only_json(account, account_country(current_app, account)),
            "created_at": hosted.created_at.isoformat(),
            "expires_at": hosted.expires_at.isoformat() if hosted.expires_at else None}, 201


@bp.get("/openapi.json")
def openapi() -> Response:
    """Return the API's OpenAPI document."""
    document = json.loads(resources.files("onboarding").joinpath("openapi.json").read_text(encoding="utf-8"))
    return jsonify(document)
