"""The sandbox's objects against stripe-python's response types: every always-present field, typed.

An independent client's check (`tests/support/sdk_types.py`): after realistic onboardings through
the real SDK (a US individual with identity documents, one whose ID number fails, a US company
with a representative, an owner and a director), each object the app can get back (accounts,
persons, bank accounts, files, events and the objects they carry, capabilities among them,
Country Specs, and every list envelope) is compared with the SDK class that types it. What is
"always present" and which type and enum it has comes from the SDK's annotations, so the check
follows the SDK version rather than a list kept here.

Deleted objects (`{"id", "object", "deleted": true}`) are left out: stripe-python types them with
the live object's class, stripe-node with `DeletedPerson` & co.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.http_client import SandboxHTTPClient
from tests.support.sdk_types import Checker, Report, compare, hints, is_optional

from .helpers import BUSINESS_PROFILE, TOS, US_BANK, create_account, complete_us_individual, png, us_person

# Object name (as in `object`) -> the SDK class that types it.
CLASSES: dict[str, type] = {"account": stripe.Account, "person": stripe.Person, "capability": stripe.Capability,
                            "bank_account": stripe.BankAccount, "file": stripe.File, "event": stripe.Event,
                            "country_spec": stripe.CountrySpec}
US_COMPANY = {
    "name": "Rosen Books LLC", "structure": "multi_member_llc", "phone": "0000000000", "tax_id": "000000000",
    "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"},
}
# Nested classes holding always-present fields that these onboardings never reach, and why.
_NO_FUTURE_ERRORS = "the sandbox's future requirements never carry errors or alternatives"
NOT_REACHED = {
    "Account.FutureRequirements.Alternative": _NO_FUTURE_ERRORS,
    "Account.FutureRequirements.Error": _NO_FUTURE_ERRORS,
    "Capability.FutureRequirements.Alternative": _NO_FUTURE_ERRORS,
    "Capability.FutureRequirements.Error": _NO_FUTURE_ERRORS,
    "Person.FutureRequirements.Alternative": _NO_FUTURE_ERRORS,
    "Person.FutureRequirements.Error": _NO_FUTURE_ERRORS,
    "Person.Requirements.Alternative": "the sandbox lists alternatives on the account only (requirements.py)",
    "BankAccount.Requirements.Error": "a failing bank account is an error on the account's `external_account`",
    "BankAccount.FutureRequirements.Error": "a failing bank account is an error on the account's `external_account`",
}


def _raw(obj: stripe.StripeObject) -> dict[str, Any]:
    """Return the JSON the SDK received for a top-level result."""
    response = obj.last_response
    assert response is not None
    return json.loads(response.body)


def _upload(client: stripe.StripeClient, purpose: str) -> stripe.File:
    return client.v1.files.create(params={"purpose": purpose, "file": io.BytesIO(png())})


def _onboard(client: stripe.StripeClient) -> dict[str, str]:
    """Onboard an individual (with documents), a failing individual and a company; return their ids."""
    front = _upload(client, "identity_document")
    extra = _upload(client, "additional_verification")
    individual = create_account(client, email="jenny@example.com", metadata={"platform_id": "42"})
    complete_us_individual(client, individual.id, verification={
        "document": {"front": front.id}, "additional_document": {"front": extra.id}})
    failing = create_account(client, email="failing@example.com")
    # Verified moments later (dob 1901-01-01), and the ID number fails: `capability.updated` carries the errors.
    complete_us_individual(client, failing.id, dob={"day": 1, "month": 1, "year": 1901}, id_number="111111111")
    company = create_account(client, business_type="company", email="books@example.com", company=US_COMPANY)
    client.v1.accounts.update(company.id, params={
        "business_profile": BUSINESS_PROFILE | {"monthly_estimated_revenue": {"amount": 500_000, "currency": "usd"}},
        "tos_acceptance": TOS,
        "external_account": dict(US_BANK, account_holder_type="company", account_holder_name="Rosen Books LLC")})
    persons = client.v1.accounts.persons
    representative = persons.create(company.id, params=us_person(relationship={
        "representative": True, "executive": True, "owner": True, "percent_ownership": 60, "title": "CEO"}))
    persons.create(company.id, params=us_person(first_name="Bob", email="bob@example.com",
                                                relationship={"owner": True, "percent_ownership": 40}))
    persons.create(company.id, params=us_person(first_name="Dee", email="dee@example.com",
                                                relationship={"director": True}))
    client.v1.accounts.update(company.id, params={"company": {
        "owners_provided": True, "directors_provided": True, "executives_provided": True}})
    return {"individual": individual.id, "failing": failing.id, "company": company.id,
            "representative": representative.id, "file": front.id}


def gather(client: stripe.StripeClient) -> list[tuple[str, dict[str, Any], type]]:
    """Return (name, JSON, SDK class) of every object and list the onboardings make readable.

    A list's class is `stripe.ListObject`; its items are typed by their `object`.
    """
    ids = _onboard(client)
    v1 = client.v1
    found: list[tuple[str, dict[str, Any], type]] = [
        (f"account {name}", _raw(v1.accounts.retrieve(ids[name])), stripe.Account)
        for name in ("individual", "failing", "company")]
    found += [
        ("person", _raw(v1.accounts.persons.retrieve(ids["company"], ids["representative"])), stripe.Person),
        ("file", _raw(v1.files.retrieve(ids["file"])), stripe.File),
        ("country spec", _raw(v1.country_specs.retrieve("US")), stripe.CountrySpec),
        ("accounts list", _raw(v1.accounts.list(params={"limit": 100})), stripe.ListObject),
        ("persons list", _raw(v1.accounts.persons.list(ids["company"])), stripe.ListObject),
        ("external accounts list", _raw(v1.accounts.external_accounts.list(ids["company"])), stripe.ListObject),
        ("country specs list", _raw(v1.country_specs.list(params={"limit": 100})), stripe.ListObject),
    ]
    page = v1.events.list(params={"limit": 100})
    while True:
        found.append(("events list", _raw(page), stripe.ListObject))
        if not page.has_more:
            break
        page = v1.events.list(params={"limit": 100, "starting_after": page.data[-1].id})
    return found


def gather_objects() -> list[tuple[str, dict[str, Any], type]]:
    """Return `gather` on a fresh sandbox (for scripts/node_types_check.py)."""
    sandbox = Sandbox()
    try:
        return gather(stripe.StripeClient("sk_test_types", http_client=SandboxHTTPClient(sandbox)))
    finally:
        sandbox.close()


def check_all(found: list[tuple[str, dict[str, Any], type]]) -> tuple[Report, set[str]]:
    """Compare every gathered object (and every event's `data.object`); return the report and classes reached."""
    report = Report()
    reached: set[str] = set()
    checker = _RecordingChecker(report, reached)
    for name, body, cls in found:
        if cls is stripe.ListObject:
            items = body.get("data") or []
            kinds = {item.get("object") for item in items} or {None}
            assert len(kinds) == 1, f"{name}: items of several kinds {kinds}"
            checker.check_list(body, CLASSES.get(kinds.pop()) or Any, name)
        else:
            checker.check_object(body, cls, name)
        for index, item in enumerate(body.get("data") or [] if body.get("object") == "list" else []):
            if item.get("object") == "event":
                inner = item["data"]["object"]
                checker.check_object(inner, CLASSES[inner["object"]], f"{name}[{index}] {item['type']} data.object")
    return report, reached


class _RecordingChecker(Checker):
    """A checker that also notes which SDK classes it compared objects with."""

    def __init__(self, report: Report, reached: set[str]) -> None:
        super().__init__(report)
        self.reached = reached

    def check_object(self, value: Any, cls: type, path: str) -> None:
        """Check an object and remember its class."""
        self.reached.add(cls.__qualname__)
        super().check_object(value, cls, path)


@pytest.fixture
def found(client: stripe.StripeClient) -> list[tuple[str, dict[str, Any], type]]:
    """Return every object the onboardings make readable."""
    return gather(client)


def test_every_always_present_field_has_the_sdk_type(found: list[tuple[str, dict[str, Any], type]]) -> None:
    report, _ = check_all(found)

    assert report.always > 500  # a walk that checks nothing would pass too
    assert report.problems == []


def _nested(cls: type) -> Iterator[type]:
    for value in vars(cls).values():
        if isinstance(value, type) and issubclass(value, stripe.StripeObject) and value.__qualname__.startswith(
                cls.__qualname__ + "."):
            yield value
            yield from _nested(value)


def test_every_class_with_always_present_fields_is_reached(found: list[tuple[str, dict[str, Any], type]]) -> None:
    """The onboardings populate every sub-object whose fields the SDK marks always present."""
    _, reached = check_all(found)
    expected = {cls.__qualname__ for root in CLASSES.values() for cls in (root, *_nested(root))
                if any(not is_optional(a) for a in hints(cls).values())}

    assert sorted(expected - reached - set(NOT_REACHED)) == []
    assert sorted(set(NOT_REACHED) & reached) == []  # an entry that is reached after all goes


# -- the checker itself -----------------------------------------------------------------------
def test_the_checker_reports_a_missing_null_or_mistyped_field() -> None:
    payouts = {"debit_negative_balances": False, "schedule": {"delay_days": 2, "interval": "daily"}}
    assert compare(payouts, stripe.Account.Settings.Payouts).problems == []
    assert compare(payouts, stripe.Account.Settings.Payouts).always == 4

    missing = compare({"schedule": payouts["schedule"]}, stripe.Account.Settings.Payouts)
    null = compare(payouts | {"debit_negative_balances": None}, stripe.Account.Settings.Payouts)
    mistyped = compare(payouts | {"debit_negative_balances": "false"}, stripe.Account.Settings.Payouts)
    not_an_int = compare(payouts | {"schedule": {"delay_days": True, "interval": "daily"}},
                         stripe.Account.Settings.Payouts)

    assert missing.problems == ["Payouts.debit_negative_balances: always present in Account.Settings.Payouts, missing"]
    assert null.problems == ["Payouts.debit_negative_balances: always present in Account.Settings.Payouts, null"]
    assert mistyped.problems == ["Payouts.debit_negative_balances: expected bool, got 'false'"]
    assert not_an_int.problems == ["Payouts.schedule.delay_days: expected int, got True"]
    assert (missing.always_ok, missing.always) == (3, 4)


def test_the_checker_holds_enums_to_their_literal_even_with_an_open_str() -> None:
    """`Literal[...] | str` (forward compatibility in the SDK) still names the values of the pinned version."""
    capability = {"id": "transfers", "object": "capability", "account": "acct_1", "requested": True,
                  "status": "active"}
    assert compare(capability, stripe.Capability).problems == []

    wrong = compare(capability | {"status": "enabled"}, stripe.Capability)

    assert wrong.problems == ["Capability.status: 'enabled' is not one of ['active', 'inactive', 'pending', "
                              "'unrequested']"]


def test_the_checker_types_optional_fields_when_present_and_lists_by_item() -> None:
    person = {"id": "person_1", "object": "person", "created": 1, "email": 5,
              "requirements": {"currently_due": ["x"], "errors": [{"code": "invalid_dob_age_under_minimum"}], "eventually_due": [],
                               "past_due": [], "pending_verification": []}}

    report = compare(person, stripe.Person)

    assert report.problems == [
        "Person.email: expected str, got 5",
        "Person.requirements.errors[0].reason: always present in Person.Requirements.Error, missing",
        "Person.requirements.errors[0].requirement: always present in Person.Requirements.Error, missing",
    ]
    envelope = compare({"object": "list", "data": [], "url": "/v1/x"}, stripe.ListObject)
    assert envelope.problems == ["ListObject.has_more: always present in ListObject, missing"]
