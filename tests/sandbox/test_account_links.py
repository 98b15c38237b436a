"""`POST /v1/account_links` and the hosted page behind its `url`, through the real SDK, in-process and over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import stripe
from freezegun.api import TickingDateTimeFactory

from stripe_sandbox import Request, Sandbox
from stripe_sandbox.server import SandboxServer

from .helpers import complete_us_individual, create_account, error_of

URLS = {"refresh_url": "https://platform.example/refresh", "return_url": "https://platform.example/return"}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand the 3xx back: the test reads where it goes


def visit(sandbox: Sandbox, transport: str, url: str, action: str | None = None) -> tuple[int, str, str]:
    """Open a hosted page (GET), or press one of its buttons (POST); return status, Location and body."""
    body = urlencode({"action": action}).encode() if action else b""
    method = "POST" if action else "GET"
    if transport == "in_process":
        page = sandbox.hosted_page(Request(method, urlsplit(url).path, body=body))
        return page.status, page.headers.get("Location", ""), page.body.decode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)
    request = urllib.request.Request(url, data=body if action else None, method=method)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:  # 3xx and 4xx arrive here
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def _link(api: stripe.StripeClient, account_id: str, **params: Any) -> stripe.AccountLink:
    return api.v1.account_links.create(params={"account": account_id, "type": "account_onboarding", **URLS,
                                               "collection_options": {"fields": "currently_due"}, **params})


def _enabled_with(api: stripe.StripeClient, sandbox: Sandbox, requirement: str, past_due: bool) -> str:
    account = create_account(api)
    assert complete_us_individual(api, account.id, dob={"day": 1, "month": 1, "year": 1902}).payouts_enabled
    sandbox.add_hosted_requirement(account.id, requirement, past_due=past_due)
    return account.id


def test_a_link_has_the_fields_of_the_sdks_type_and_lives_300_seconds(api: stripe.StripeClient, sandbox: Sandbox,
                                                                      transport: str) -> None:
    account = create_account(api)
    link = _link(api, account.id)
    documented = {name for name in stripe.AccountLink.__annotations__ if name != "OBJECT_NAME"}
    assert set(link.to_dict()) == documented == {"object", "created", "expires_at", "url"}
    assert link.object == "account_link" and link.expires_at - link.created == 300
    assert link.created == int(sandbox.clock())
    parts = urlsplit(link.url)
    assert parts.path.startswith(f"/_sandbox/connect/setup/c/{account.id}/") and len(parts.path.rsplit("/")[-1]) >= 20
    if transport == "http":  # served where the client reached the sandbox
        assert parts.netloc == urlsplit(api._requestor.base_addresses["api"]).netloc  # noqa: SLF001
    assert _link(api, account.id).url != link.url  # every link is a new address


@pytest.mark.parametrize("params, status, code, param", [
    ({"refresh_url": None}, 400, "parameter_missing", "refresh_url"),
    ({"return_url": None}, 400, "parameter_missing", "return_url"),
    ({"return_url": "platform.example/return"}, 400, "url_invalid", "return_url"),
    ({"type": "custom_account_verification"}, 400, None, "type"),
    ({"collection_options": {"fields": "everything"}}, 400, None, "collection_options[fields]"),
    ({"account": "acct_unknown"}, 403, "account_invalid", None),
])
def test_links_are_refused_as_stripe_refuses_them(api: stripe.StripeClient, params: dict[str, Any], status: int,
                                                  code: str | None, param: str | None) -> None:
    account = create_account(api)
    body = {"account": account.id, "type": "account_onboarding", **URLS, **params}
    with pytest.raises(stripe.StripeError) as refused:
        api.v1.account_links.create(params={k: v for k, v in body.items() if v is not None})
    error = error_of(refused)
    assert refused.value.http_status == status and error.get("code") == code and error.get("param") == param


def test_completing_the_page_clears_what_only_stripe_answers(api: stripe.StripeClient, sandbox: Sandbox,
                                                             transport: str) -> None:
    account_id = _enabled_with(api, sandbox, "interv_1Qa2b3c4.other.form", past_due=True)
    before = api.v1.accounts.retrieve(account_id)
    assert before.requirements.currently_due == before.requirements.past_due == ["interv_1Qa2b3c4.other.form"]
    assert before.requirements.disabled_reason == "requirements.past_due" and not before.payouts_enabled
    link = _link(api, account_id)
    events = len(sandbox.store.events)

    status, _, html = visit(sandbox, transport, link.url)
    assert status == 200 and "<code>interv_1Qa2b3c4.other.form</code>" in html and 'method="post"' in html
    assert visit(sandbox, transport, link.url, "complete")[:2] == (303, URLS["return_url"])

    after = api.v1.accounts.retrieve(account_id)
    assert after.requirements.currently_due == [] and after.requirements.past_due == []
    assert after.payouts_enabled and after.charges_enabled and after.requirements.disabled_reason is None
    emitted = [e for e in list(sandbox.store.events.values())[events:]]
    assert [e["type"] for e in emitted] == ["account.updated", "capability.updated", "capability.updated"]
    assert emitted[0]["data"]["previous_attributes"]["requirements"]["currently_due"] == ["interv_1Qa2b3c4.other.form"]
    assert {e["data"]["object"]["status"] for e in emitted[1:]} == {"active"}


def test_a_visited_link_sends_the_browser_to_its_refresh_url(api: stripe.StripeClient, sandbox: Sandbox,
                                                             transport: str) -> None:
    account_id = _enabled_with(api, sandbox, "proof_of_liveness", past_due=False)
    link = _link(api, account_id)
    assert visit(sandbox, transport, link.url)[0] == 200
    assert visit(sandbox, transport, link.url)[:2] == (302, URLS["refresh_url"])  # reloaded, back, a preview
    assert visit(sandbox, transport, link.url, "save_for_later")[:2] == (303, URLS["return_url"])
    assert visit(sandbox, transport, link.url, "complete")[:2] == (303, URLS["refresh_url"])  # already finished
    assert api.v1.accounts.retrieve(account_id).requirements.currently_due == ["proof_of_liveness"]  # saved for later
    unopened = _link(api, account_id)
    assert visit(sandbox, transport, unopened.url, "complete")[:2] == (303, URLS["refresh_url"])  # never opened


def test_an_expired_link_sends_the_browser_to_its_refresh_url(api: stripe.StripeClient, sandbox: Sandbox,
                                                              transport: str, clock: TickingDateTimeFactory) -> None:
    account_id = _enabled_with(api, sandbox, "proof_of_liveness", past_due=False)
    link = _link(api, account_id)
    clock.tick(timedelta(seconds=301))
    assert visit(sandbox, transport, link.url)[:2] == (302, URLS["refresh_url"])
    fresh = _link(api, account_id)
    assert visit(sandbox, transport, fresh.url)[0] == 200
    assert api.v1.accounts.retrieve(account_id).requirements.currently_due == ["proof_of_liveness"]


def test_an_unknown_page_is_not_found(api: stripe.StripeClient, sandbox: Sandbox, transport: str) -> None:
    account = create_account(api)
    url = _link(api, account.id).url
    assert visit(sandbox, transport, url.rsplit("/", 1)[0] + "/not-a-link")[0] == 404
    assert visit(sandbox, transport, url.replace(account.id, "acct_other"))[0] == 404


def test_requirements_are_placed_over_http_too(sandbox_server: SandboxServer, sandbox: Sandbox,
                                               connect: Any) -> None:
    api = connect(sandbox, "http")
    account = create_account(api)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def place(rule: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(f"{sandbox_server.url}/_sandbox/requirements", method="POST",
                                         data=json.dumps(rule).encode(), headers={"Content-Type": "application/json"})
        try:
            with opener.open(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    assert place({"account": account.id, "requirement": "proof_of_liveness"}) == (200, {"ok": True})
    assert "proof_of_liveness" in api.v1.accounts.retrieve(account.id).requirements.currently_due
    status, answer = place({"account": "acct_missing", "requirement": "proof_of_liveness"})
    assert status == 400 and "acct_missing" in answer["error"]
    status, answer = place({"account": account.id, "requirement": "two words"})
    assert status == 400 and "Not a requirement string" in answer["error"]
