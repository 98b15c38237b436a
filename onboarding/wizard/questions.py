"""Questions: how each catalog field type becomes form inputs, an answer, and Stripe parameters.

A catalog field is one question; blocks (an address, a date, a bank account) have several inputs.
Input names are Stripe parameter paths (`individual.address.line1`), so an error whose `param` is
`individual[address][line1]` lands on that input. Each field type in the registry knows:

- its inputs (`Input`), built for the account's country (regions, bank format parts);
- how to read an answer from the posted form;
- how to turn the answer into Stripe parameters.

Validation is the catalog's (`requirements_catalog.values.check`): one check per question, its
problems mapped to the inputs they name. WTForms' one-field-one-value model does not fit blocks
whose parts depend on the country, so the inputs are described here and rendered by one macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from babel import Locale

from requirements_catalog import Field, Version
from requirements_catalog.values import N_, compact, regions

# Answers Stripe never returns in full: the form shows "provided" and may be left blank to keep it.
SENSITIVE_TYPES = frozenset({"id_number", "tax_id", "bank_account"})
ADDRESS_AUTOCOMPLETE = {"line1": "address-line1", "line2": "address-line2", "city": "address-level2",
                        "state": "address-level1", "postal_code": "postal-code", "town": "address-level3"}


@dataclass
class Input:
    """One HTML input of a question."""

    name: str  # the Stripe parameter path
    kind: str  # text, email, tel, url, number, select, checkbox, file, textarea
    label: str
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    autocomplete: str | None = None
    inputmode: str | None = None
    required: bool = True
    errors: list[str] = field(default_factory=list)


@dataclass
class Question:
    """A catalog field on a page: its inputs, help, errors, and whether Stripe already has the answer."""

    field: Field
    inputs: list[Input]
    provided: bool = False  # a sensitive answer Stripe already holds (shown as provided, never echoed)
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Return the question's id (its catalog path)."""
        return self.field.path

    @property
    def is_block(self) -> bool:
        """Return whether the question has several inputs (rendered as a fieldset)."""
        return len(self.inputs) > 1


@dataclass(frozen=True)
class Setting:
    """What building questions depends on besides the field."""

    country: str
    version: Version
    locale: str
    translate: Callable[[str], str]


def lookup(data: Mapping[str, Any] | None, path: str) -> Any:
    """Return the value at a dotted path of Stripe's object, or None."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _options(setting: Setting, field_: Field) -> list[tuple[str, str]]:
    source = field_.validation["source"]
    options = setting.version.options(source)
    allowed = field_.validation.get("choices")
    if setting.version.names_from.get(source) == "babel-territories":
        names = Locale.parse(setting.locale).territories
        pairs = [(o.value, names.get(o.value, o.label)) for o in options]
        return sorted(pairs, key=lambda pair: pair[1])
    return [(o.value, setting.translate(o.label)) for o in options if not allowed or o.value in allowed]


# -- inputs per field type ---------------------------------------------------------------------

def _single(kind: str, autocomplete: str | None = None, inputmode: str | None = None
            ) -> Callable[[Field, Setting, Any], list[Input]]:
    def build(field_: Field, setting: Setting, current: Any) -> list[Input]:
        value = "" if current is None or field_.type in SENSITIVE_TYPES else str(current)
        return [Input(field_.path, kind, setting.translate(field_.label), value, autocomplete=autocomplete,
                      inputmode=inputmode)]
    return build


def _name_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    tail = field_.path.rsplit(".", 1)[-1]
    autocomplete = {"first_name": "given-name", "last_name": "family-name"}.get(tail.split("_kan")[0], "name")
    if field_.path.endswith(("company.name", "company.name_kana", "company.name_kanji")):
        autocomplete = "organization"
    return _single("text", autocomplete)(field_, setting, current)


def _select_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    choices = [("", setting.translate(N_("Choose…")))] + _options(setting, field_)
    return [Input(field_.path, "select", setting.translate(field_.label), str(current or ""), choices)]


def _date_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    current = current if isinstance(current, Mapping) else {}
    months = Locale.parse(setting.locale).months["format"]["wide"]
    return [
        Input(f"{field_.path}.day", "number", setting.translate(N_("Day")), str(current.get("day") or ""),
              autocomplete="bday-day", inputmode="numeric"),
        Input(f"{field_.path}.month", "select", setting.translate(N_("Month")), str(current.get("month") or ""),
              [("", setting.translate(N_("Choose…")))] + [(str(n), months[n]) for n in range(1, 13)],
              autocomplete="bday-month"),
        Input(f"{field_.path}.year", "number", setting.translate(N_("Year")), str(current.get("year") or ""),
              autocomplete="bday-year", inputmode="numeric"),
    ]


ADDRESS_LABELS = {"line1": N_("Address line 1"), "line2": N_("Address line 2 (optional)"), "city": N_("City"),
                  "town": N_("Town or area"), "state": N_("State or region"), "postal_code": N_("Postal code")}


def _address_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    current = current if isinstance(current, Mapping) else {}
    inputs = []
    for part in field_.validation["parts"]:
        label = setting.translate(ADDRESS_LABELS[part])
        value = str(current.get(part) or "")
        # Region lists are in the country's script; a kana address spells its prefecture in kana.
        script = field_.validation.get("script")
        choices = regions(setting.country, setting.locale, script) if part == "state" and script != "kana" else []
        kind = "select" if choices else "text"
        choices = [("", setting.translate(N_("Choose…")))] + choices if choices else []
        inputs.append(Input(f"{field_.path}.{part}", kind, label, value, choices,
                            autocomplete=ADDRESS_AUTOCOMPLETE[part], required=part != "line2"))
    return inputs


def _bank_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    spec = setting.version.bank_formats[field_.validation["format"]]
    inputs = [Input(f"{field_.path}.{part['name']}", "text", setting.translate(part["label"]),
                    inputmode="numeric" if "[0-9]" in part["pattern"] and "A-Z" not in part["pattern"] else None,
                    autocomplete="off") for part in spec["parts"]]
    if spec.get("needs_holder_name"):
        inputs.append(Input(f"{field_.path}.account_holder_name", "text", setting.translate(N_("Account holder name")),
                            autocomplete="name"))
    currencies = field_.validation["currencies"]
    if len(currencies) > 1:
        default = setting.version.country(setting.country).default_currency
        inputs.append(Input(f"{field_.path}.currency", "select", setting.translate(N_("Payout currency")),
                            default, [(c, c.upper()) for c in currencies]))
    return inputs


def _checkbox_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    checked = "yes" if current in (True, "true") else ""
    return [Input(field_.path, "checkbox", setting.translate(field_.label), checked, required=field_.type != "boolean")]


def _document_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    sides = field_.validation.get("sides")
    if not sides:
        return [Input(field_.path, "file", setting.translate(field_.label))]
    labels = {"front": setting.translate(N_("Front of the document")),
              "back": setting.translate(N_("Back of the document"))}
    return [Input(f"{field_.path}.{side}", "file", labels[side], required=side == "front") for side in sides]


def _text_list_inputs(field_: Field, setting: Setting, current: Any) -> list[Input]:
    value = "\n".join(current) if isinstance(current, list) else ""
    return [Input(field_.path, "textarea", setting.translate(field_.label), value, required=False)]


BUILDERS: dict[str, Callable[[Field, Setting, Any], list[Input]]] = {
    "text": _single("text"), "name": _name_inputs, "email": _single("email", "email"),
    "phone": _single("tel", "tel", "tel"), "url": _single("url", "url"), "date": _date_inputs,
    "address": _address_inputs, "id_number": _single("text", "off"), "tax_id": _single("text", "off"),
    "select": _select_inputs, "boolean": _checkbox_inputs, "attestation": _checkbox_inputs,
    "percentage": _single("number", inputmode="decimal"), "document": _document_inputs,
    "bank_account": _bank_inputs, "text_list": _text_list_inputs,
}


def build_question(field_: Field, setting: Setting, stripe_state: Mapping[str, Any] | None) -> Question:
    """Build a question for a field, prefilled from what Stripe holds (never sensitive numbers)."""
    current = lookup(stripe_state, field_.path)
    provided = _is_provided(field_, stripe_state)
    return Question(field_, BUILDERS[field_.type](field_, setting, current), provided=provided)


def _is_provided(field_: Field, stripe_state: Mapping[str, Any] | None) -> bool:
    if field_.type == "bank_account":
        return bool(lookup(stripe_state, "external_accounts.data"))
    if field_.type in ("id_number", "tax_id"):
        return bool(lookup(stripe_state, f"{field_.path}_provided"))
    return False


# -- reading answers ---------------------------------------------------------------------------

def read_answer(question: Question, form: Mapping[str, str]) -> Any:
    """Return the answer a posted form gives to a question, shaped as `values.check` expects."""
    kind = question.field.type
    if kind in ("boolean", "attestation"):
        return form.get(question.name) == "yes"
    if kind == "text_list":
        return [line.strip() for line in form.get(question.name, "").splitlines() if line.strip()]
    if question.is_block or kind in ("date", "address", "bank_account"):
        prefix = question.name + "."
        return {i.name.removeprefix(prefix): form.get(i.name, "").strip() for i in question.inputs
                if form.get(i.name, "").strip()}
    return form.get(question.name, "").strip()


def to_params(question: Question, answer: Any, country: str) -> Any:
    """Return the Stripe value for an answer (a string, a number or a nested object); not for bank accounts."""
    kind = question.field.type
    if kind == "date":
        return {part: int(answer[part]) for part in ("day", "month", "year")}
    if kind == "phone":
        try:
            number = phonenumbers.parse(answer, country)
        except phonenumbers.NumberParseException:
            return answer
        # A number that passed the checks without being valid is a test value (0000000000): send it as typed.
        valid = phonenumbers.is_valid_number(number)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else answer
    if kind in ("id_number", "tax_id"):
        return compact(answer)
    if kind == "percentage":
        return float(str(answer).rstrip("%"))
    if kind == "text_list" and not answer:
        return ""  # "none": the empty value Stripe's list parameters take (the SDK's `Literal['']`)
    return answer
