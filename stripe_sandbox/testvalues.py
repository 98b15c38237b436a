"""Stripe's documented test-mode values and the verification outcomes they stand for."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

DOB_VERIFIED = date(1901, 1, 1)
DOB_VERIFIED_NOW = date(1902, 1, 1)
DOB_OFAC_ALERT = date(1900, 1, 1)
TEST_DOBS = {DOB_VERIFIED, DOB_VERIFIED_NOW, DOB_OFAC_ALERT}

ID_NUMBER_MISMATCH = "111111111"
ID_NUMBER_IMMEDIATE = "222222222"
SSN_LAST_4_OK = "0000"
ADDRESS_NO_MATCH = {"address_no_match", "address_line1_no_match"}

DOCUMENT_SUCCESS = "file_identity_document_success"
DOCUMENT_FAILURE = "file_identity_document_failure"
TEST_FILES = {DOCUMENT_SUCCESS: "success", DOCUMENT_FAILURE: "failure"}

TAX_ID_MISMATCH = "111111111"
TAX_ID_NOT_ISSUED = "111111112"
TAX_ID_IMMEDIATE = "222222222"

URL_ERRORS = {
    "disallowed": "invalid_url_denylisted",
    "geoblocked": "invalid_url_website_inaccessible_geoblocked",
    "problem": "invalid_url_website_other",
    "missing": "invalid_url_website_incomplete",
    "mismatch": "invalid_url_website_business_information_mismatch",
    "passwordprotected": "invalid_url_website_inaccessible_password_protected",
    "underconstruction": "invalid_url_website_incomplete_under_construction",
    "inaccessible": "invalid_url_website_inaccessible",
}


@cache
def _test_banks() -> dict[str, Any]:
    """Return Stripe's test bank numbers per country (`data/test_bank_accounts.json`)."""
    data = resources.files("stripe_sandbox") / "data" / "test_bank_accounts.json"
    return json.loads(data.read_text(encoding="utf-8"))


def _compact(text: str | None) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def bank_outcome(country: str, routing: str | None, number: str) -> str | None:
    """Return the payout outcome Stripe documents for a test bank number, or None for any other number.

    Dashes and spaces do not count (Stripe writes HK test numbers `000123-456` and routings `110-000`). A test
    IBAN is one of the country's own or the country code followed by one of the tails any IBAN country may use; a
    number Stripe lists without a routing (IBANs, MX, NZ) matches whatever routing is sent.
    """
    data, number = _test_banks(), _compact(number)
    if number[:2] == country.upper() and number[2:] in data["iban_tails"]:
        return str(data["iban_tails"][number[2:]])
    for row in data["numbers"].get(country.upper(), []):
        same_routing = "routing" not in row or _compact(row["routing"]) == _compact(routing)
        if _compact(row["account"]) == number and same_routing:
            return str(row["outcome"])
    return None


# English reasons; platforms localize from the code, as Stripe asks.
REASONS = {
    "verification_failed_keyed_identity": "The identity information you entered cannot be verified.",
    "verification_failed_id_number_match": "The ID number provided does not match the person's records.",
    "verification_failed_address_match": "The address could not be verified.",
    "verification_document_failed_test_mode": "A test document that always fails verification was used.",
    "verification_failed_tax_id_match": "The tax ID does not match the company name.",
    "verification_failed_tax_id_not_issued": "The tax ID has not been issued.",
    "invalid_dob_age_under_minimum": "The person must be at least 13 years old.",
    "invalid_dob_age_over_maximum": "The date of birth must be within the past 120 years.",
    "invalid_value_other": "The bank account cannot receive payouts.",
}


def reason(code: str) -> str:
    """Return Stripe's English reason for an error code."""
    if code.startswith("invalid_url_"):
        return "The business website could not be verified."
    return REASONS.get(code, "The information provided could not be verified.")


@dataclass
class Outcome:
    """What verification says about one person or company once it has run."""

    verified: bool = False
    due: dict[str, str] = field(default_factory=dict)  # field -> error code
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    ofac_alert: bool = False
    details_code: str | None = None
    document_details_code: str | None = None


def lookup(data: dict[str, Any], dotted: str) -> Any:
    """Return the value at a dotted path of nested dicts, or None."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def dob_of(data: dict[str, Any]) -> date | None:
    """Return the person's date of birth, or None when incomplete or impossible."""
    dob = data.get("dob") or {}
    try:
        return date(int(dob["year"]), int(dob["month"]), int(dob["day"]))
    except (KeyError, TypeError, ValueError):
        return None


def _age_error(dob: date, today: date) -> str | None:
    if dob in TEST_DOBS:
        return None
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    if age < 13:
        return "invalid_dob_age_under_minimum"
    if age > 120:
        return "invalid_dob_age_over_maximum"
    return None


def document_outcome(data: dict[str, Any], key: str, files: dict[str, str]) -> str | None:
    """Return "success", "failure" or None for the person's `verification.<key>.front`."""
    front = lookup(data, f"verification.{key}.front")
    if not front:
        return None
    return TEST_FILES.get(front) or files.get(front, "success")


def verify_person(data: dict[str, Any], country: str, today: date, files: dict[str, str]) -> Outcome:
    """Run test-mode identity and address verification on a person's data."""
    outcome = Outcome()
    dob = dob_of(data)
    if dob is not None and (code := _age_error(dob, today)):
        outcome.due["dob.day"] = code
    if not (data.get("first_name") and data.get("last_name") and dob):
        return outcome  # nothing to verify yet: the missing fields are due on their own
    document = document_outcome(data, "document", files)
    id_number = data.get("id_number")
    ssn_failed = country == "US" and not id_number and data.get("ssn_last_4") not in (None, SSN_LAST_4_OK)
    keyed_ok = dob in TEST_DOBS and id_number != ID_NUMBER_MISMATCH and not ssn_failed
    outcome.ofac_alert = dob == DOB_OFAC_ALERT
    identity_ok = document == "success" or (keyed_ok and document != "failure")
    if document == "failure":
        outcome.due["verification.document"] = "verification_document_failed_test_mode"
        # The document's own code; the person's `details_code` has no test-mode value (stripe-python
        # 16.1.0 types `document_failed_test_mode` on `verification.document.details_code` only):
        # `failed_other` there is an assumption.
        outcome.details_code = "failed_other"
        outcome.document_details_code = "document_failed_test_mode"
    elif not identity_ok and id_number == ID_NUMBER_MISMATCH:
        outcome.due["id_number"] = "verification_failed_id_number_match"
        outcome.alternatives.append(("id_number", "verification.document"))
        outcome.details_code = "failed_keyed_identity"
    elif not identity_ok and ssn_failed:
        outcome.due["id_number"] = "verification_failed_keyed_identity"
        outcome.details_code = "failed_keyed_identity"
    elif not identity_ok:
        outcome.due["verification.document"] = "verification_failed_keyed_identity"
        outcome.details_code = "failed_keyed_identity"
    address_ok = lookup(data, "address.line1") not in ADDRESS_NO_MATCH or (
        document_outcome(data, "additional_document", files) == "success"
    )
    if not address_ok:
        outcome.due["verification.additional_document"] = "verification_failed_address_match"
    outcome.verified = identity_ok and address_ok and not outcome.due
    return outcome


def verify_company(data: dict[str, Any], files: dict[str, str]) -> Outcome:
    """Run test-mode tax id verification on a company's data."""
    outcome = Outcome()
    tax_id = data.get("tax_id")
    if not tax_id:
        return outcome
    if document_outcome(data, "document", files) == "success":
        outcome.verified = True
    elif tax_id == TAX_ID_MISMATCH:
        outcome.due["tax_id"] = "verification_failed_tax_id_match"
        outcome.alternatives.append(("tax_id", "verification.document"))
    elif tax_id == TAX_ID_NOT_ISSUED:
        outcome.due["tax_id"] = "verification_failed_tax_id_not_issued"
        outcome.alternatives.append(("tax_id", "verification.document"))
    else:
        outcome.verified = True
    return outcome


def person_verifies_immediately(data: dict[str, Any]) -> bool:
    """Return whether the person's test values skip the asynchronous verification step."""
    return dob_of(data) == DOB_VERIFIED_NOW or data.get("id_number") == ID_NUMBER_IMMEDIATE


def url_error(url: str | None) -> str | None:
    """Return the `invalid_url_*` code a test URL stands for."""
    if not url:
        return None
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host.endswith(".stripe.com"):
        return URL_ERRORS.get(host.removesuffix(".stripe.com"))
    return None
