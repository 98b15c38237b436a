"""Helpers the handlers share: lookups, pagination, field checks."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import phonenumbers

from ..errors import bracket, invalid, no_access
from ..state import Account
from ..testvalues import TEST_FILES

if TYPE_CHECKING:
    from ..core import Sandbox

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/\S*)?$")
TEST_PHONE = "0000000000"


def get_account(sb: Sandbox, account_id: str) -> Account:
    """Return a live account, or raise Stripe's 403 for one the key cannot reach (unknown or deleted)."""
    account = sb.store.accounts.get(account_id)
    if account is None or account.deleted:
        raise no_access(account_id)
    return account


def paginate(items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Return a Stripe list page; `items` are in the list's order."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", "limit")
    ids = [item["id"] for item in items]
    if after := params.get("starting_after"):
        if after not in ids:
            raise invalid(f"No such object: '{after}'", "starting_after", "resource_missing")
        items = items[ids.index(after) + 1:]
    elif before := params.get("ending_before"):
        if before not in ids:
            raise invalid(f"No such object: '{before}'", "ending_before", "resource_missing")
        items = items[: ids.index(before)]
        # Paging backwards, `has_more` says whether there are more before this page (the SDK's
        # `previous_page` and `auto_paging_iter` rely on it).
        return {"object": "list", "data": items[-limit:], "has_more": len(items) > limit, "url": url}
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def in_range(value: int, bounds: dict[str, Any]) -> bool:
    """Return whether a value is within a list filter's `gt`/`gte`/`lt`/`lte` bounds."""
    return all((
        "gt" not in bounds or value > bounds["gt"], "gte" not in bounds or value >= bounds["gte"],
        "lt" not in bounds or value < bounds["lt"], "lte" not in bounds or value <= bounds["lte"],
    ))


def check_email(value: Any, path: str) -> None:
    """Reject an e-mail address Stripe would reject."""
    if value not in (None, "") and not EMAIL.match(str(value)):
        raise invalid(f"Invalid email address: {value}", bracket(path), "email_invalid")


def check_url(value: Any, path: str) -> None:
    """Reject a malformed URL."""
    if value not in (None, "") and not URL.match(str(value)):
        raise invalid("Not a valid URL", bracket(path), "url_invalid")


def check_phone(value: Any, path: str, country: str) -> None:
    """Reject a phone number that cannot exist in the account's country (Stripe's test number passes)."""
    if value in (None, "") or re.sub(r"\D", "", str(value)) == TEST_PHONE:
        return
    try:
        number = phonenumbers.parse(str(value), country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise invalid(f"Invalid phone number: {value}", bracket(path))


def check_dob(dob: Any, path: str) -> None:
    """Reject a date of birth that is not a calendar date."""
    if not isinstance(dob, dict) or not dob:
        return
    try:
        date(int(dob["year"]), int(dob["month"]), int(dob["day"]))
    except KeyError as exc:
        raise invalid(f"Missing required param: {bracket(path)}[{exc.args[0]}].", f"{bracket(path)}[{exc.args[0]}]",
                      "parameter_missing") from exc
    except ValueError as exc:
        raise invalid("The date of birth you provided is not a valid date.", f"{bracket(path)}[day]") from exc


def check_ip(value: Any, path: str) -> None:
    """Reject a malformed IP address."""
    if value in (None, ""):
        return
    try:
        ipaddress.ip_address(str(value))
    except ValueError as exc:
        raise invalid(f"Invalid IP address: {value}", bracket(path)) from exc


def check_file(sb: Sandbox, file_id: Any, path: str, purposes: set[str]) -> None:
    """Reject a file id that does not exist or was uploaded for another purpose."""
    if file_id in (None, "") or file_id in TEST_FILES:
        return
    file = sb.store.files.get(str(file_id))
    if file is None:
        raise invalid(f"No such file upload: '{file_id}'", bracket(path), "resource_missing")
    if file.purpose not in purposes:
        raise invalid(f"The file '{file_id}' has purpose '{file.purpose}'; this field needs one of "
                      f"{', '.join(sorted(purposes))}.", bracket(path))


def check_person_data(sb: Sandbox, data: dict[str, Any], prefix: str, country: str) -> None:
    """Check the values of a person hash that Stripe checks on write."""

    def at(field: str) -> str:
        return f"{prefix}.{field}" if prefix else field

    check_email(data.get("email"), at("email"))
    check_phone(data.get("phone"), at("phone"), country)
    check_dob(data.get("dob"), at("dob"))
    ssn = data.get("ssn_last_4")
    if ssn not in (None, "") and not re.fullmatch(r"\d{4}", str(ssn)):
        raise invalid("The SSN last 4 must be 4 digits.", bracket(at("ssn_last_4")))
    id_number = data.get("id_number")
    if country == "US" and id_number not in (None, "") and not re.fullmatch(r"\d{9}", str(id_number).replace("-", "")):
        raise invalid("The ID number for a US person must be a 9-digit SSN or ITIN.", bracket(at("id_number")))
    for side in ("document", "additional_document"):
        for face in ("front", "back"):
            check_file(sb, ((data.get("verification") or {}).get(side) or {}).get(face),
                       at(f"verification.{side}.{face}"), {"identity_document", "additional_verification"})
