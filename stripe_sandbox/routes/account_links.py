"""`POST /v1/account_links`: a single-use, short-lived address of Stripe's hosted onboarding.

What Stripe documents (read 2026-12-06): the API reference's example answers `{"object": "account_link",
"created", "expires_at" (created + 300), "url"}` (docs.stripe.com/api/account_links/create, and
stripe-python 16.1.0's `AccountLink`); `account` and `type` (`account_onboarding`, `account_update`) are
required (the SDK's `AccountLinkCreateParams`, checked by `schema.py`); "The Account Link requires a
`refresh_url` and `return_url`" (docs.stripe.com/connect/hosted-onboarding), although the SDK types leave
both optional; `account_update` only "for connected accounts where your platform is responsible for
collecting requirements"; plain http URLs are accepted in test mode. The page at `url` is `hosted.py`'s.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..core import Context, route
from ..errors import invalid
from ..hosted import hosted_due
from ..state import AccountLink
from .common import get_account

if TYPE_CHECKING:
    from ..core import Sandbox

LIFETIME = 300  # seconds: the API reference's example link expires 300 s after it was created


def _url(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise invalid(f"Missing required param: {name}.", name, "parameter_missing")
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid("Not a valid URL", name, "url_invalid")
    return str(value)


@route("POST", "/v1/account_links", "account_links.create")
def create(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Create an Account Link for an account the platform collects requirements for."""
    params = ctx.params
    account = get_account(sb, params["account"])  # an unknown account: the same 403 as its own paths (assumed)
    refresh_url, return_url = _url(params, "refresh_url"), _url(params, "return_url")
    controller = account.data.get("controller") or {}
    if params["type"] == "account_update" and controller.get("requirement_collection") == "stripe":
        raise invalid("You can only create `account_update` links for accounts whose requirements your platform "
                      "collects.", "type")  # the rule is Stripe's; the wording is ours
    fields = (params.get("collection_options") or {}).get("fields") or params.get("collect") or "currently_due"
    link = AccountLink(secrets.token_urlsafe(16), account.id, params["type"], fields, refresh_url, return_url,
                       ctx.now, ctx.now + LIFETIME, tuple(sorted(hosted_due(account))))
    sb.store.account_links[link.secret] = link
    url = f"{ctx.base_url.rstrip('/')}/_sandbox/connect/setup/c/{account.id}/{link.secret}"
    return 200, {"object": "account_link", "created": link.created, "expires_at": link.expires_at, "url": url}
