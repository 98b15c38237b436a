"""The sandbox's stand-in for Stripe's hosted onboarding page, and a control that makes it needed.

Stripe's page collects whatever the account owes. Some requirements only that page can answer, as no
API parameter exists for them: risk reviews (`interv_<id>.<description>.<resolution_path>`) and checks
Stripe runs itself (`proof_of_liveness`, a Singpass MyInfo login, a selfie). The sandbox computes none of
those, so a test places them: `Sandbox.add_hosted_requirement(account, requirement)` in-process, or
`POST /_sandbox/requirements` over HTTP. Each one is `currently_due` (and, with `past_due`, overdue, which
disables the account's capabilities) until the user completes an Account Link's page.

The page (`GET`, then a `POST` from its buttons) follows what Stripe documents for Account Links
(docs.stripe.com/connect/hosted-onboarding, read 2026-12-06): a link already visited, expired or otherwise
invalid sends the browser to its `refresh_url`; "Complete" and "Save for later" both end at its
`return_url`. "Complete" clears the requirements the link was made for (those placed here, as they were
when the link was created) and emits `account.updated` (and `capability.updated` for any capability that
changes) like every other change. Assumptions: a page opened in time may still be completed after the link's
`expires_at` (Stripe's session outlives the link); the page collects nothing the API could send (fields a
form can answer stay due, for the app's own forms); an unknown address is a 404, since no `refresh_url` is
known for it.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from .core import Request, Response
from .errors import StripeError, no_access
from .requirements import GRACE_SECONDS
from .state import Account, AccountLink

if TYPE_CHECKING:
    from .core import Sandbox

PREFIX = "/_sandbox/connect/setup/c/"
_PATH = re.compile(rf"^{re.escape(PREFIX)}(?P<account>acct_[A-Za-z0-9]+)/(?P<secret>[A-Za-z0-9_-]+)$")
_REQUIREMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")


def hosted_due(account: Account) -> set[str]:
    """Return the requirements of an account that only the hosted page answers."""
    return set(account.hosted_requirements)


def add_requirement(sb: Sandbox, account_id: str, requirement: str, *, past_due: bool = False) -> None:
    """Make a requirement only the hosted page answers due on an account (overdue with `past_due`), with its events."""
    if not isinstance(requirement, str) or not _REQUIREMENT.match(requirement):
        raise StripeError(400, f"Not a requirement string: {requirement!r}", param="requirement")
    with sb.store.lock:
        account = sb.store.accounts.get(account_id)
        if account is None or account.deleted:
            raise no_access(account_id)
        before = sb.snapshot(account.id)
        account.hosted_requirements.add(requirement)
        if past_due and account.enabled_at is not None:  # before enablement everything due is past due anyway
            account.due_since[requirement] = int(sb.clock()) - GRACE_SECONDS
        sb.emit_changes(before, sb.snapshot(account.id), None, None)


def serve(sb: Sandbox, request: Request) -> Response:
    """Answer a request for an Account Link's page."""
    found = _PATH.match(request.path)
    link = sb.store.account_links.get(found["secret"]) if found else None
    if found is None or link is None or link.account != found["account"]:
        return _page(404, "This page does not exist", "<p>No Account Link has this address.</p>")
    now = int(sb.clock())
    with sb.store.lock:
        account = sb.store.accounts.get(link.account)
        if request.method == "GET":
            if link.visited_at is not None or now >= link.expires_at or account is None or account.deleted:
                return _redirect(link.refresh_url, 302)
            link.visited_at = now
            return _form(link, account)
        if request.method != "POST":
            return _page(405, "Method not allowed", "")
        if link.visited_at is None or link.finished_at is not None or account is None or account.deleted:
            return _redirect(link.refresh_url, 303)
        link.finished_at = now
        if parse_qs(request.body.decode("utf-8", "replace")).get("action") == ["complete"]:
            _complete(sb, link, account)
        return _redirect(link.return_url, 303)


def _complete(sb: Sandbox, link: AccountLink, account: Account) -> None:
    before = sb.snapshot(account.id)
    account.hosted_requirements -= set(link.requirements)
    sb.emit_changes(before, sb.snapshot(account.id), None, None)


def _form(link: AccountLink, account: Account) -> Response:
    asked = [r for r in link.requirements if r in account.hosted_requirements]
    items = "".join(f"<li><code>{html.escape(r)}</code></li>" for r in asked) or "<li>Nothing Stripe-only is due.</li>"
    body = (f"<p>Account <code>{html.escape(account.id)}</code>, {html.escape(link.type)} "
            f"({html.escape(link.fields)}). Stripe asks for:</p><ul data-testid=\"asked\">{items}</ul>"
            '<form method="post"><button type="submit" name="action" value="complete">Complete</button> '
            '<button type="submit" name="action" value="save_for_later">Save for later</button></form>')
    return _page(200, "Stripe (sandbox): verify your account", body)


def _page(status: int, title: str, body: str) -> Response:
    text = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>")
    return Response(status, text.encode(), {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})


def _redirect(url: str, status: int) -> Response:
    return Response(status, b"", {"Location": url, "Cache-Control": "no-store"})
