"""`/v1/accounts`: create, update, retrieve, list and delete connected accounts."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from .. import payout_schedule
from ..core import Context, route
from ..errors import accounts_v1_not_enabled, invalid
from ..ids import new_id
from ..objects import merge
from ..requirements import provided
from ..state import Account, Person
from ..testvalues import TAX_ID_IMMEDIATE, person_verifies_immediately
from .common import (
    check_email, check_file, check_ip, check_person_data, check_phone, check_url, get_account, in_range, paginate,
)
from .external_accounts import add_external_account

if TYPE_CHECKING:
    from ..core import Sandbox

ACCOUNT_KEYS = ("business_profile", "business_type", "capabilities", "company", "controller", "default_currency",
                "documents", "email", "metadata", "settings", "tos_acceptance", "type")
# A change to any of these restarts asynchronous identity verification.
IDENTITY_KEYS = ("first_name", "last_name", "dob", "id_number", "ssn_last_4", "address", "verification")
DOCUMENT_PURPOSES = {"account_requirement", "additional_verification", "identity_document"}


def _check_create(sb: Sandbox, params: dict[str, Any]) -> str:
    country = str(params.get("country") or "US").upper()
    if country not in sb.specs:
        raise invalid(f"Country '{country}' is unknown or not supported for connected accounts.", "country",
                      "country_unsupported")
    if params.get("type") and params.get("controller"):
        raise invalid("You cannot specify both `type` and `controller`.", "controller", "parameters_exclusive")
    controller = params.get("controller") or {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if (dashboard == "none" or params.get("type") == "custom") and not params.get("capabilities"):
        raise invalid("Missing required param: capabilities.", "capabilities", "parameter_missing")
    agreement = (params.get("tos_acceptance") or {}).get("service_agreement", "full")
    card = ((params.get("capabilities") or {}).get("card_payments") or {}).get("requested")
    if agreement == "recipient" and card:
        raise invalid("Accounts under the `recipient` service agreement cannot request `card_payments`.",
                      "capabilities[card_payments][requested]")
    return country


def _check_values(sb: Sandbox, account: Account, params: dict[str, Any]) -> None:
    business_type = params.get("business_type")
    if business_type == "government_entity" and account.country != "US":
        raise invalid("`government_entity` is only available for accounts in the US.", "business_type")
    check_email(params.get("email"), "email")
    profile = params.get("business_profile") or {}
    check_url(profile.get("url"), "business_profile.url")
    check_email(profile.get("support_email"), "business_profile.support_email")
    mcc = profile.get("mcc")
    if mcc not in (None, "") and not (str(mcc).isdigit() and len(str(mcc)) == 4):
        raise invalid(f"Invalid mcc: {mcc}", "business_profile[mcc]")
    company = params.get("company") or {}
    check_phone(company.get("phone"), "company.phone", account.country)
    check_file(sb, ((company.get("verification") or {}).get("document") or {}).get("front"),
               "company.verification.document.front", DOCUMENT_PURPOSES)
    for name, document in (params.get("documents") or {}).items():
        for index, file_id in enumerate((document or {}).get("files") or []):
            check_file(sb, file_id, f"documents.{name}.files.{index}", DOCUMENT_PURPOSES)
    tos = params.get("tos_acceptance") or {}
    check_ip(tos.get("ip"), "tos_acceptance.ip")
    agreement = tos.get("service_agreement")
    current = (account.data.get("tos_acceptance") or {}).get("service_agreement", "full")
    if account.data and agreement and agreement != current:
        raise invalid("The service agreement cannot be changed after the account is created.",
                      "tos_acceptance[service_agreement]")
    if individual := params.get("individual"):
        check_person_data(sb, individual, "individual", account.country)


def _note_requests(account: Account, now: int) -> None:
    """Keep when each capability was requested (the capability object's `requested_at`); forget unrequested ones."""
    for name, settings in (account.data.get("capabilities") or {}).items():
        if (settings or {}).get("requested"):
            account.requested_at.setdefault(name, now)
        else:
            account.requested_at.pop(name, None)


def apply_account(sb: Sandbox, account: Account, params: dict[str, Any], now: int) -> None:
    """Apply create/update parameters to an account (after every check has passed)."""
    if token := params.get("account_token"):
        params = merge(use_token(sb, token, "account"), params)
    _check_values(sb, account, params)
    schedule = _payout_schedule(account, params)
    update = {k: params[k] for k in ACCOUNT_KEYS if k in params}
    old_tax_id = (account.data.get("company") or {}).get("tax_id")
    account.data = merge(account.data, update)
    if schedule is not None:  # whole, as checked: an interval's anchors leave with it
        account.data["settings"]["payouts"]["schedule"] = schedule
    _note_requests(account, now)
    new_tax_id = (account.data.get("company") or {}).get("tax_id")
    if new_tax_id and new_tax_id != old_tax_id:
        account.company_pending = new_tax_id != TAX_ID_IMMEDIATE
    if "individual" in params:
        set_individual(sb, account, params["individual"], now)
    if "external_account" in params:
        add_external_account(sb, account, params["external_account"], now, "external_account")


def _payout_schedule(account: Account, params: dict[str, Any]) -> dict[str, Any] | None:
    """Return the account's payout schedule after `settings[payouts][schedule]`, checked; None when not sent."""
    payouts = (params.get("settings") or {}).get("payouts")
    if not isinstance(payouts, dict) or not isinstance(payouts.get("schedule"), dict):
        return None
    current = ((account.data.get("settings") or {}).get("payouts") or {}).get("schedule")
    return payout_schedule.updated_schedule(account.country, current, payouts["schedule"])


def set_individual(sb: Sandbox, account: Account, data: dict[str, Any], now: int) -> None:
    """Create or update the person behind `account.individual`."""
    person = sb.store.persons.get(account.individual or "")
    if person is None:
        person = Person(new_id("person"), account.id, now)
        sb.store.persons[person.id] = person
        account.individual = person.id
    update_person_data(person, data)


def update_person_data(person: Person, data: dict[str, Any]) -> None:
    """Merge a person hash, starting verification again when identity data changed."""
    before = {k: person.data.get(k) for k in IDENTITY_KEYS}
    person.data = merge(person.data, data)
    after = {k: person.data.get(k) for k in IDENTITY_KEYS}
    if before != after and all(provided(person.data, f) for f in ("first_name", "last_name", "dob.year")):
        person.pending = not person_verifies_immediately(person.data)


def use_token(sb: Sandbox, token_id: str, kind: str) -> dict[str, Any]:
    """Return the data behind an account or person token, spending the token."""
    token = sb.store.tokens.get(token_id)
    if token is None or token["type"] != kind:
        raise invalid(f"No such token: '{token_id}'", f"{kind}_token", "resource_missing")
    if token["used"]:
        raise invalid(f"You cannot use a Stripe token more than once: {token_id}.", f"{kind}_token",
                      "token_already_used")
    token["used"] = True
    return token["data"]


@route("POST", "/v1/accounts", "accounts.create")
def create(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Create a connected account."""
    if not sb.accounts_v1:
        # Only creation is gated: a platform's accounts made before stay readable and writable (an assumption).
        raise accounts_v1_not_enabled()
    country = _check_create(sb, ctx.params)
    account = Account(new_id("acct", 16), ctx.now, country)
    params = dict(ctx.params)
    params.setdefault("tos_acceptance", {})
    params["tos_acceptance"] = {"service_agreement": "full"} | params["tos_acceptance"]
    apply_account(sb, account, params, ctx.now)
    sb.store.accounts[account.id] = account
    return 200, sb.render(account)


@route("POST", "/v1/accounts/{account}", "accounts.update")
def update(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Update a connected account."""
    account = get_account(sb, ctx.args["account"])
    apply_account(sb, account, ctx.params, ctx.now)
    return 200, sb.render(account)


@route("GET", "/v1/accounts/{account}", "accounts.retrieve")
def retrieve(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve a connected account."""
    return 200, sb.render(get_account(sb, ctx.args["account"]))


@route("GET", "/v1/accounts", "accounts.list")
def list_accounts(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List connected accounts, newest first."""
    ordered, position = _newest_first(sb)
    # Paging through thousands: begin at the cursor and read no further than the page (and one more,
    # for `has_more`) instead of filtering and searching everything on every page.
    after = ctx.params.get("starting_after")
    created = ctx.params.get("created")
    wanted = (a for a in ordered[position.get(after, 0) if isinstance(after, str) else 0:] if not a.deleted
              and (not isinstance(created, dict) or in_range(a.created, created)))
    limit = ctx.params.get("limit", 10)
    bounded = "ending_before" not in ctx.params and isinstance(limit, int)
    accounts = list(itertools.islice(wanted, limit + 2)) if bounded else list(wanted)
    # Render only the page: listing thousands of accounts must not evaluate them all.
    ids = [{"id": a.id} for a in accounts]
    page = paginate(ids, ctx.params, "/v1/accounts")
    page["data"] = [sb.render(sb.store.accounts[item["id"]]) for item in page["data"]]
    return 200, page


def _newest_first(sb: Sandbox) -> tuple[list[Account], dict[str, int]]:
    """Return every account newest first (ties: the later created first) and each one's place in that order.

    Sorted once per new account: accounts are only ever added to the store (a deletion is a flag), so
    its size and its last id tell whether the order is still the one computed.
    """
    accounts = sb.store.accounts
    key = (len(accounts), next(reversed(accounts), None))
    cached = sb.store.caches.get("accounts_newest_first")
    if cached is None or cached[0] != key:
        order = {aid: n for n, aid in enumerate(accounts)}
        ordered = sorted(accounts.values(), key=lambda a: (a.created, order[a.id]), reverse=True)
        cached = (key, ordered, {a.id: n for n, a in enumerate(ordered)})
        sb.store.caches["accounts_newest_first"] = cached
    return cached[1], cached[2]


@route("DELETE", "/v1/accounts/{account}", "accounts.delete")
def delete(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Delete a connected account."""
    account = get_account(sb, ctx.args["account"])
    account.deleted = True
    return 200, {"id": account.id, "object": "account", "deleted": True}


