"""Render stored sandbox state as Stripe API objects (JSON-ready dicts)."""

from __future__ import annotations

import copy
from typing import Any

from .requirements import Evaluation
from .state import Account, BankAccount, File, Person

ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}
DOCUMENT = {"back": None, "details": None, "details_code": None, "front": None}
# Sensitive inputs Stripe never returns: each is replaced by a `*_provided` flag.
PERSON_SECRETS = {"id_number": "id_number_provided", "id_number_secondary": "id_number_secondary_provided",
                  "ssn_last_4": "ssn_last_4_provided"}
COMPANY_SECRETS = {"tax_id": "tax_id_provided", "vat_id": "vat_id_provided", "registration_number": None}

# What every person carries before anything is given: Stripe's own sample person (stripe/openapi
# fixtures3.json) and stripe-node 23.1.0's `Person`. `political_exposure` is left out until given:
# node types it `political_exposure?: 'existing' | 'none'`, so it may be missing but is never null.
PERSON_TEMPLATE: dict[str, Any] = {
    "additional_tos_acceptances": {"account": {"date": None, "ip": None, "user_agent": None}},
    "address": ADDRESS,
    "dob": {"day": None, "month": None, "year": None},
    "email": None,
    "first_name": None,
    "last_name": None,
    "metadata": {},
    "phone": None,
    "relationship": {"authorizer": False, "director": False, "executive": False, "legal_guardian": False,
                     "owner": False, "percent_ownership": None, "representative": False, "title": None},
    "verification": {"additional_document": DOCUMENT, "details": None, "details_code": None,
                     "document": DOCUMENT, "status": "unverified"},
}
COMPANY_TEMPLATE: dict[str, Any] = {
    "address": ADDRESS,
    "directors_provided": False,
    "executives_provided": False,
    "name": None,
    "owners_provided": False,
    "phone": None,
    "structure": None,
    "tax_id_provided": False,
    "verification": {"document": DOCUMENT},
}
# Fields stripe-node 23.1.0 types as always sent (`name: T | null`) are null until given.
BUSINESS_PROFILE_TEMPLATE: dict[str, Any] = {
    "annual_revenue": None, "estimated_worker_count": None, "mcc": None,
    "minority_owned_business_designation": None, "name": None, "product_description": None,
    "specified_commercial_transactions_act_url": None, "support_address": None, "support_email": None,
    "support_phone": None, "support_url": None, "url": None,
}
# `settings` of a new account: the sub-objects stripe-python 16.1.0 types as always present
# (`branding`, `card_payments`, `dashboard`, `payments`), with the values of Stripe's sample account
# (stripe/openapi fixtures3.json) except `decline_on`, where accounts quoted in public code show false
# for both (the sample, a standard account, has true). `payouts` depends on the country: the sandbox
# adds it (`payout_schedule.render`).
SETTINGS_TEMPLATE: dict[str, Any] = {
    "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
    "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": False}, "statement_descriptor_prefix": None,
                      "statement_descriptor_prefix_kana": None, "statement_descriptor_prefix_kanji": None},
    "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
    "payments": {"statement_descriptor": None, "statement_descriptor_kana": None, "statement_descriptor_kanji": None,
                 "statement_descriptor_prefix_kana": None, "statement_descriptor_prefix_kanji": None},
}


# List parameters an empty string sets to an empty list instead of unsetting (Stripe's objects show `[]`).
EMPTIABLE_LISTS = frozenset({"full_name_aliases"})


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Return `base` deep-updated with `update`; an empty string unsets a value, as at Stripe."""
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        elif value == "" and key in EMPTIABLE_LISTS:
            result[key] = []  # the list emptied on purpose: "no other names" (requirements.provided)
        elif value == "":
            result.pop(key, None)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _without_secrets(data: dict[str, Any], secrets: dict[str, str | None]) -> dict[str, Any]:
    public = {k: v for k, v in data.items() if k not in secrets}
    for key, flag in secrets.items():
        if flag:
            public[flag] = bool(data.get(key))
    return public


def _copy(value: Any) -> Any:
    """Copy JSON-like data (dicts, lists, scalars): what `copy.deepcopy` does here, several times faster."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else copy.deepcopy(value)


def _fill(template: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    filled = _copy(template)
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(filled.get(key), dict):
            filled[key] = _fill(filled[key], value)
        else:
            filled[key] = _copy(value)
    return filled


def render_person(person: Person, evaluation: Evaluation | None) -> dict[str, Any]:
    """Return the `person` object."""
    body = _fill(PERSON_TEMPLATE, _without_secrets(person.data, PERSON_SECRETS))
    body.update({"id": person.id, "object": "person", "account": person.account, "created": person.created})
    # "True if either the full ID number was provided or if only the required part of the ID number was
    # provided (ex. last four of an individual's SSN for the US ...)" (stripe-python 16.1.0 `Person`).
    body["id_number_provided"] = bool(body.get("id_number_provided") or body.get("ssn_last_4_provided"))
    if evaluation is not None:
        body["requirements"] = evaluation.persons.get(person.id) or _empty_requirements()
        body["future_requirements"] = _empty_requirements()
        verification = evaluation.person_verification.get(person.id)
        if verification:
            body["verification"]["status"] = verification["status"]
            body["verification"]["details_code"] = verification["details_code"]
            if verification.get("document_details_code"):
                body["verification"]["document"]["details_code"] = verification["document_details_code"]
    return body


def _empty_requirements() -> dict[str, Any]:
    return {"alternatives": [], "currently_due": [], "errors": [], "eventually_due": [], "past_due": [],
            "pending_verification": []}


def render_bank_account(bank: BankAccount) -> dict[str, Any]:
    """Return the `bank_account` object: never the account number, only `last4` and a fingerprint."""
    return {
        "id": bank.id, "object": "bank_account", "account": bank.account,
        "account_holder_name": bank.account_holder_name, "account_holder_type": bank.account_holder_type,
        "account_type": None, "available_payout_methods": ["standard", "instant"] if bank.country == "US" else ["standard"],
        "bank_name": bank.bank_name, "country": bank.country, "currency": bank.currency,
        "default_for_currency": bank.default_for_currency, "fingerprint": bank.fingerprint,
        "future_requirements": {"currently_due": [], "errors": [], "past_due": [], "pending_verification": []},
        "last4": bank.last4, "metadata": dict(bank.metadata),
        "requirements": {"currently_due": [], "errors": [], "past_due": [], "pending_verification": []},
        "routing_number": bank.routing_number, "status": bank.status,
    }


def list_object(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """Return a Stripe list object."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _controller(data: dict[str, Any]) -> dict[str, Any]:
    given = data.get("controller") or {}
    if data.get("type") == "custom" and not given:
        given = {"requirement_collection": "application", "stripe_dashboard": {"type": "none"},
                 "fees": {"payer": "application"}, "losses": {"payments": "application"}}
    return {
        "fees": {"payer": (given.get("fees") or {}).get("payer", "account")},
        "is_controller": True,
        "losses": {"payments": (given.get("losses") or {}).get("payments", "stripe")},
        "requirement_collection": given.get("requirement_collection", "stripe"),
        "stripe_dashboard": {"type": (given.get("stripe_dashboard") or {}).get("type", "full")},
        "type": "application",
    }


def account_type(controller: dict[str, Any]) -> str:
    """Return the legacy `type` that a set of controller properties amounts to."""
    dashboard = controller["stripe_dashboard"]["type"]
    if controller["requirement_collection"] == "application" and dashboard == "none":
        return "custom"
    if dashboard == "express":
        return "express"
    if dashboard == "full" and controller["fees"]["payer"] == "account":
        return "standard"
    return "none"


def render_account(account: Account, evaluation: Evaluation, individual: dict[str, Any] | None,
                   banks: list[BankAccount], default_currency: str) -> dict[str, Any]:
    """Return the `account` object."""
    data = account.data
    controller = _controller(data)
    tos = data.get("tos_acceptance") or {}
    body: dict[str, Any] = {
        "id": account.id, "object": "account",
        "business_profile": _fill(BUSINESS_PROFILE_TEMPLATE, data.get("business_profile") or {}),
        "business_type": data.get("business_type"),
        "capabilities": evaluation.capabilities,
        "charges_enabled": evaluation.charges_enabled,
        "controller": controller,
        "country": account.country,
        "created": account.created,
        "default_currency": data.get("default_currency") or default_currency,
        "details_submitted": evaluation.details_submitted,
        "email": data.get("email"),
        "external_accounts": list_object(
            f"/v1/accounts/{account.id}/external_accounts", [render_bank_account(b) for b in banks], False
        ) | {"total_count": len(banks)},
        "future_requirements": evaluation.future_requirements,
        "metadata": dict(data.get("metadata") or {}),
        "payouts_enabled": evaluation.payouts_enabled,
        "requirements": evaluation.requirements,
        "settings": _fill(SETTINGS_TEMPLATE, data.get("settings") or {}),
        "tos_acceptance": {"date": tos.get("date"), "ip": tos.get("ip"), "user_agent": tos.get("user_agent"),
                           "service_agreement": tos.get("service_agreement", "full")},
        "type": account_type(controller),
    }
    if data.get("business_type") not in (None, "individual") or data.get("company"):
        company = _fill(COMPANY_TEMPLATE, _without_secrets(data.get("company") or {}, COMPANY_SECRETS))
        body["company"] = company
    if individual is not None:
        body["individual"] = individual
    return body


def render_file(file: File) -> dict[str, Any]:
    """Return the `file` object."""
    return {
        "id": file.id, "object": "file", "created": file.created, "expires_at": None,
        "filename": file.filename, "links": {"object": "list", "data": [], "has_more": False,
                                             "url": f"/v1/file_links?file={file.id}"},
        "purpose": file.purpose, "size": file.size, "title": None, "type": file.type,
        "url": f"https://files.stripe.com/v1/files/{file.id}/contents",
    }


# The account's `requirements.disabled_reason` as a capability's: the SDK's `Literal` for capabilities
# (stripe-python 16.1.0, `Capability.Requirements.disabled_reason`) has its own values. Which one Stripe
# gives for each account state is our reading of their names, not documented: an assumption.
CAPABILITY_DISABLED_REASON = {
    "requirements.past_due": "requirements.fields_needed",
    "requirements.pending_verification": "pending.review",
    "under_review": "pending.review",
    "platform_paused": "platform_paused",
}
REQUIREMENT_LISTS = ("alternatives", "current_deadline", "currently_due", "disabled_reason", "errors",
                     "eventually_due", "past_due", "pending_verification")


def _capability_requirements(requirements: dict[str, Any]) -> dict[str, Any]:
    found = {k: requirements.get(k) for k in REQUIREMENT_LISTS}
    reason = found["disabled_reason"]
    if reason is not None:
        found["disabled_reason"] = CAPABILITY_DISABLED_REASON.get(
            reason, "rejected.other" if reason.startswith("rejected.") else "other")
    return found


def capability_object(account: Account, name: str, status: str, body: dict[str, Any]) -> dict[str, Any]:
    """Return a `capability` object (for `capability.updated` events) from the account's rendered `body`."""
    future = _capability_requirements(body["future_requirements"])
    future["disabled_reason"] = None  # "fields in future_requirements will never disable the account" (SDK)
    return {
        "id": name, "object": "capability", "account": account.id, "requested": True,
        "requested_at": account.requested_at.get(name), "status": status,
        "requirements": _capability_requirements(body["requirements"]), "future_requirements": future,
    }


def diff(before: Any, after: Any) -> dict[str, Any] | None:
    """Return Stripe's `previous_attributes`: the old values of what changed, nested."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    changed: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        sub = diff(old, new) if isinstance(old, dict) and isinstance(new, dict) else None
        changed[key] = sub if sub else old
    return changed
