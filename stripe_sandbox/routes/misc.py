"""Country Specs, tokens and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Context, route
from ..errors import invalid, missing
from ..ids import new_id
from ..objects import render_bank_account
from .common import paginate
from .external_accounts import check_bank

if TYPE_CHECKING:
    from ..core import Sandbox


@route("GET", "/v1/country_specs", "country_specs.list")
def list_specs(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List Country Specs in country order."""
    items = [sb.specs.get(cc) or {} for cc in sb.specs.ids()]
    return 200, paginate(items, ctx.params, "/v1/country_specs")


@route("GET", "/v1/country_specs/{country}", "country_specs.retrieve")
def retrieve_spec(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve one country's spec."""
    spec = sb.specs.get(ctx.args["country"])
    if spec is None:
        raise missing("country_spec", ctx.args["country"], "country")
    return 200, spec


@route("POST", "/v1/tokens", "tokens.create")
def create_token(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Create a bank account, account or person token."""
    kinds = [k for k in ("bank_account", "account", "person") if k in ctx.params]
    if len(kinds) != 1:
        raise invalid("Provide exactly one of bank_account, account or person.", None, "parameter_missing")
    kind = kinds[0]
    data = ctx.params[kind]
    prefix = {"bank_account": "btok", "account": "ct", "person": "cpt"}[kind]
    token: dict[str, Any] = {"id": new_id(prefix), "object": "token", "client_ip": ctx.client_ip,
                             "created": ctx.now, "livemode": False, "type": kind, "used": False}
    if kind == "account" and data.get("tos_shown_and_accepted"):
        # Stripe records the acceptance from the token: when and from where it was created.
        data = {k: v for k, v in data.items() if k != "tos_shown_and_accepted"}
        data["tos_acceptance"] = {"date": ctx.now, "ip": ctx.client_ip}
    if kind == "bank_account":
        bank = check_bank(sb, data, str(data.get("country") or "US").upper(), "bank_account")
        token["bank_account"] = render_bank_account(bank) | {"account": None}
        token["bank_account"].pop("account")
    sb.store.tokens[token["id"]] = token | {"data": data}
    return 200, token


@route("GET", "/v1/events", "events.list")
def list_events(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List events, newest first."""
    events = list(reversed(sb.store.events.values()))
    if wanted := ctx.params.get("type"):
        events = [e for e in events if e["type"] == wanted or (wanted.endswith(".*") and
                                                               e["type"].startswith(wanted[:-1]))]
    return 200, paginate(events, ctx.params, "/v1/events")


@route("GET", "/v1/events/{event}", "events.retrieve")
def retrieve_event(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve an event."""
    event = sb.store.events.get(ctx.args["event"])
    if event is None:
        raise missing("event", ctx.args["event"], "id")
    return 200, event
