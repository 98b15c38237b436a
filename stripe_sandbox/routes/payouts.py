"""`GET /v1/balance` and `/v1/payouts` for a connected account (`Stripe-Account`), read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Context, route
from ..errors import missing
from ..payouts import render_balance, render_payout
from ..state import Account
from .common import get_account, in_range, paginate

if TYPE_CHECKING:
    from ..core import Sandbox


def _acting_for(sb: Sandbox, ctx: Context) -> Account | None:
    """Return the account `Stripe-Account` names (403 when the key cannot reach it), or None for the platform."""
    return get_account(sb, ctx.stripe_account) if ctx.stripe_account else None


@route("GET", "/v1/balance", "balance.retrieve")
def retrieve_balance(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Return the balance of the account acted for."""
    return 200, render_balance(sb, _acting_for(sb, ctx))


@route("GET", "/v1/payouts", "payouts.list")
def list_payouts(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List the payouts of the account acted for, newest first, filtered as the SDK's `PayoutListParams` allow."""
    account = _acting_for(sb, ctx)
    params = ctx.params
    order = {pid: n for n, pid in enumerate(sb.store.payouts)}
    payouts = sorted((p for p in sb.store.payouts.values() if account is not None and p.account == account.id),
                     key=lambda p: (p.created, order[p.id]), reverse=True)
    for name, attribute in (("created", "created"), ("arrival_date", "arrival_date")):
        bounds = params.get(name)
        if isinstance(bounds, int):
            payouts = [p for p in payouts if getattr(p, attribute) == bounds]
        elif isinstance(bounds, dict):
            payouts = [p for p in payouts if in_range(getattr(p, attribute), bounds)]
    if status := params.get("status"):
        payouts = [p for p in payouts if p.status == status]
    if destination := params.get("destination"):
        payouts = [p for p in payouts if p.destination == destination]
    return 200, paginate([render_payout(p) for p in payouts], params, "/v1/payouts")


@route("GET", "/v1/payouts/{id}", "payouts.retrieve")
def retrieve_payout(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Return one payout of the account acted for."""
    account = _acting_for(sb, ctx)
    payout = sb.store.payouts.get(ctx.args["id"])
    if payout is None or account is None or payout.account != account.id:
        raise missing("payout", ctx.args["id"], "id")
    return 200, render_payout(payout)
