"""Every request the sandbox logged used only parameters the SDK's own TypedDicts know.

The walker here reads `stripe.params` TypedDict annotations itself, and finds each operation's
parameter class from the SDK service method's signature; it shares no code with the sandbox's
`schema.py`, so a sandbox that accepted an unknown parameter would be caught.
"""

from __future__ import annotations

import functools
import inspect
import io
import re
import sys
from typing import Any

import pytest
import stripe
import stripe.params
import typing_extensions
from stripe._request_options import RequestOptions

from stripe_sandbox import Sandbox

from .helpers import (
    API_ONBOARDING, BUSINESS_PROFILE, CAPABILITIES, TOS, US_BANK, Connect, create_account, pdf, png, us_person,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPTIONS = set(RequestOptions.__annotations__)  # api_key, idempotency_key, ...: headers, never parameters
# The sandbox's operation names, as `<service>.<method>` of the SDK's v1 services.
_SERVICES = {"accounts": "accounts", "persons": "accounts.persons", "external_accounts": "accounts.external_accounts",
             "files": "files", "country_specs": "country_specs", "tokens": "tokens", "events": "events"}


@functools.cache
def params_class(operation: str) -> type:
    """Return the TypedDict the SDK types `params` with for an operation, e.g. `accounts.create`."""
    service_name, method = operation.split(".")
    service: Any = stripe.StripeClient("sk_test_introspection").v1
    for attribute in _SERVICES[service_name].split("."):
        service = getattr(service, attribute)
    annotation = repr(inspect.signature(getattr(type(service), method)).parameters["params"].annotation)
    [name] = [n for n in _NAME.findall(annotation) if n.endswith("Params")]
    return getattr(stripe.params, name)


@functools.cache
def fields(cls: type) -> dict[str, tuple[tuple[type, ...], bool]]:
    """Return {parameter: (nested TypedDicts it may hold, whether it is a free-form map)}."""
    module = sys.modules[cls.__module__]
    table: dict[str, tuple[tuple[type, ...], bool]] = {}
    for name, annotation in cls.__annotations__.items():
        if name in _OPTIONS and name != "expand":
            continue
        text = repr(annotation)
        nested = []
        for token in dict.fromkeys(_NAME.findall(text)):
            candidate = getattr(module, token, None) or getattr(stripe.params, token, None)
            if isinstance(candidate, type) and typing_extensions.is_typeddict(candidate):
                nested.append(candidate)
        free_form = "Dict[" in text or "UntypedStripeObject" in text or text == "typing.Any"
        table[name] = (tuple(nested), free_form)
    return table


def unknown_paths(cls: type, params: dict[str, Any], prefix: str = "") -> list[str]:
    """Return the parameter paths in `params` that `cls` does not know, in Stripe's bracket style."""
    table = fields(cls)
    unknown: list[str] = []
    for key, value in params.items():
        path = f"{prefix}[{key}]" if prefix else key
        if key not in table:
            unknown.append(path)
        else:
            unknown += _unknown_below(*table[key], value, path)
    return unknown


def _unknown_below(nested: tuple[type, ...], free_form: bool, value: Any, path: str) -> list[str]:
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unknown_below(nested, free_form, item, f"{path}[{i}]")]
    if not isinstance(value, dict) or free_form:
        return []
    if not nested:  # a hash where a scalar belongs
        return [f"{path}[{key}]" for key in value]
    return min((unknown_paths(option, value, path) for option in nested), key=len)  # a union: the best fit


def log_problems(sb: Sandbox) -> list[tuple[str, str, list[str]]]:
    """Return (operation, path, unknown parameters) for each logged request that used unknown ones."""
    problems = []
    for entry in sb.log:
        unknown = unknown_paths(params_class(entry["operation"]), entry["params"] or {})
        if unknown:
            problems.append((entry["operation"], entry["path"], unknown))
    return problems


# -- the walker itself ---------------------------------------------------------------------------
def test_the_walker_finds_operation_classes() -> None:
    assert params_class("accounts.create") is stripe.params.AccountCreateParams
    assert params_class("persons.list") is stripe.params.AccountPersonListParams
    assert params_class("external_accounts.create") is stripe.params.AccountExternalAccountCreateParams
    assert params_class("files.create") is stripe.params.FileCreateParams
    assert params_class("events.retrieve") is stripe.params.EventRetrieveParams


@pytest.mark.parametrize(("operation", "params", "unknown"), [
    ("accounts.create", {"individual": {"dob": {"year": 1990}, "address": {"line1": "x"}}}, []),
    ("accounts.create", {"metadata": {"anything": "goes"}, "expand": ["individual"]}, []),
    ("accounts.create", {"external_account": US_BANK}, []),
    ("accounts.create", {"external_account": "btok_us_verified"}, []),
    ("accounts.update", {"documents": {"company_license": {"files": ["file_x"]}}}, []),
    ("accounts.create", {"individual": {"favourite_colour": "red"}}, ["individual[favourite_colour]"]),
    ("accounts.create", {"individual": {"dob": {"year": 1990, "era": "CE"}}}, ["individual[dob][era]"]),
    ("accounts.create", {"external_account": dict(US_BANK, iban="x")}, ["external_account[iban]"]),
    ("accounts.create", {"email": {"local": "x"}}, ["email[local]"]),
    ("accounts.update", {"country": "US"}, ["country"]),
    ("accounts.create", {"api_key": "sk_test_x"}, ["api_key"]),
    ("persons.create", {"relationship": {"ceo": "true"}}, ["relationship[ceo]"]),
    ("country_specs.list", {"country": "US"}, ["country"]),
])
def test_the_walker_knows_the_sdk_parameters(operation: str, params: dict[str, Any], unknown: list[str]) -> None:
    assert unknown_paths(params_class(operation), params) == unknown


# -- the sandbox against it ----------------------------------------------------------------------
def broad_flow(client: stripe.StripeClient) -> None:
    """Exercise every operation the onboarding service uses, with the parameters it sends."""
    v1 = client.v1
    weekly = {"payouts": {"schedule": {"interval": "weekly", "weekly_anchor": "monday"}}}
    account = create_account(client, email="jenny@example.com", metadata={"ref": "1"},
                             business_profile=BUSINESS_PROFILE, settings=weekly)
    v1.accounts.update(account.id, params={"individual": us_person(), "tos_acceptance": TOS,
                                           "external_account": US_BANK})
    v1.accounts.retrieve(account.id, params={"expand": ["individual"]})
    v1.accounts.list(params={"limit": 3, "created": {"gte": 0}})
    v1.accounts.list(params={"limit": 1, "starting_after": account.id})

    company = create_account(client, business_type="company", company={"name": "Rosen", "tax_id": "000000000"})
    representative = v1.accounts.persons.create(company.id, params=us_person(
        relationship={"representative": True, "executive": True, "title": "CEO"}, id_number="000000000"))
    v1.accounts.persons.update(company.id, representative.id, params={"relationship": {"owner": True,
                                                                                       "percent_ownership": 51}})
    v1.accounts.persons.retrieve(company.id, representative.id)
    v1.accounts.persons.list(company.id, params={"relationship": {"owner": True}, "limit": 10})
    person_token = v1.tokens.create(params={"person": {"first_name": "Bob", "relationship": {"owner": True}}})
    other = v1.accounts.persons.create(company.id, params={"person_token": person_token.id})
    v1.accounts.persons.delete(company.id, other.id)
    document = v1.files.create(params={"purpose": "additional_verification", "file": io.BytesIO(pdf())})
    v1.files.retrieve(document.id)
    identity = v1.files.create(params={"purpose": "identity_document", "file": io.BytesIO(png())})
    v1.accounts.persons.update(company.id, representative.id, params={
        "verification": {"document": {"front": identity.id}}})
    v1.accounts.update(company.id, params={
        "company": {"owners_provided": True},
        "documents": {"company_registration_verification": {"files": [document.id]}}})

    bank_token = v1.tokens.create(params={"bank_account": {k: v for k, v in US_BANK.items() if k != "object"}})
    bank = v1.accounts.external_accounts.create(company.id, params={"external_account": bank_token.id,
                                                                    "metadata": {"k": "v"}})
    spare = v1.accounts.external_accounts.create(company.id, params={
        "external_account": dict(US_BANK, account_number="000999999991")})
    v1.accounts.external_accounts.update(company.id, spare.id, params={"account_holder_name": "Rosen",
                                                                       "default_for_currency": True})
    v1.accounts.external_accounts.retrieve(company.id, bank.id)
    v1.accounts.external_accounts.list(company.id, params={"object": "bank_account", "limit": 5})
    v1.accounts.external_accounts.delete(company.id, bank.id)

    account_token = v1.tokens.create(params={"account": {"business_type": "individual", "individual": {
        "first_name": "Ann", "last_name": "Lee"}, "tos_shown_and_accepted": True}})
    v1.accounts.create(params={"country": "US", "controller": API_ONBOARDING, "capabilities": CAPABILITIES,
                               "account_token": account_token.id})
    v1.country_specs.list(params={"limit": 100})
    v1.country_specs.retrieve("GB")
    events = v1.events.list(params={"limit": 5, "type": "account.updated"})
    v1.events.retrieve(events.data[0].id)
    v1.accounts.delete(account.id)


def test_every_logged_request_used_known_parameters(connect: Connect, sandbox: Sandbox, transport: str) -> None:
    broad_flow(connect(sandbox, transport))

    operations = {entry["operation"] for entry in sandbox.log}
    assert operations >= {
        "accounts.create", "accounts.update", "accounts.retrieve", "accounts.list", "accounts.delete",
        "persons.create", "persons.update", "persons.retrieve", "persons.list", "persons.delete",
        "external_accounts.create", "external_accounts.update", "external_accounts.retrieve",
        "external_accounts.list", "external_accounts.delete", "files.create", "files.retrieve", "tokens.create",
        "country_specs.list", "country_specs.retrieve", "events.list", "events.retrieve"}
    assert [(e["operation"], e["status"]) for e in sandbox.log if e["status"] != 200] == []
    assert all(entry["params"] is not None for entry in sandbox.log)
    assert log_problems(sandbox) == []


@pytest.mark.parametrize(("call", "unknown"), [
    (lambda c, a: c.v1.accounts.update(a, params={"individual": {"favourite_colour": "red"}}),
     "individual[favourite_colour]"),
    (lambda c, a: c.v1.accounts.update(a, params={"company": {"owners": [{"name": "x"}]}}), "company[owners]"),
    (lambda c, a: c.v1.accounts.persons.create(a, params={"relationship": {"ceo": True}}), "relationship[ceo]"),
    (lambda c, a: c.v1.accounts.external_accounts.create(a, params={"external_account": dict(US_BANK, iban="x")}),
     "external_account[iban]"),
    (lambda c, a: c.v1.accounts.list(params={"country": "US"}), "country"),
    (lambda c, a: c.v1.country_specs.list(params={"country": "US"}), "country"),
    (lambda c, a: c.v1.events.list(params={"account": a}), "account"),
    (lambda c, a: c.v1.files.create(params={"purpose": "identity_document", "file": io.BytesIO(png()),
                                            "title": "x"}), "title"),
])
@pytest.mark.sends_unknown_params
def test_the_sandbox_refuses_what_the_sdk_does_not_know(client: stripe.StripeClient, sandbox: Sandbox,
                                                        call: Any, unknown: str) -> None:
    account = create_account(client).id

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        call(client, account)

    assert excinfo.value.code == "parameter_unknown"
    assert excinfo.value.param == unknown
    [(_, _, found)] = log_problems(sandbox)
    assert found == [unknown]
    assert sandbox.log[-1]["status"] == 400
