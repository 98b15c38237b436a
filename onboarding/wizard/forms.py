"""One class per catalog field type, in one registry: its inputs, its answer, its Stripe parameters, its review.

`KINDS[field.type]` is the only place a field type is told apart. Each class knows:

- its inputs (`inputs`), built for the account's country (regions, bank format parts), named by
  Stripe parameter paths so that Stripe's `param` errors land on them;
- how a posted form answers it (`read`) and whether a blank answer keeps what Stripe holds;
- how an answer becomes Stripe parameters (`params`);
- how Stripe's value reads on the review page (`shown`);
- whether it is sensitive (never echoed, shown as provided, kept when left blank), answered with
  files, or replaces the payout account.

Adding a type means adding one class here (and its validation in `requirements_catalog.fieldtypes`).
Validation stays the catalog's: `requirements_catalog.values.check`, run by `StepForm.validate`.

A step's form class is built once per catalog version, country and language (`compiled`), with its
labels already translated: what Flask-Babel's lazy strings do for a class built once for every
language, a class per language does too, and it also carries that language's choices (month names,
region names in the page's script, Babel's country names), which lazy strings would not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar

import phonenumbers
from babel import Locale
from babel.dates import format_date
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField

from requirements_catalog import Field, Version
from requirements_catalog.model import PERSON_PREFIXES
from requirements_catalog.values import N_, Context, bank_parameters, check, compact, regions

from ..gateway import BankAccount

ADDRESS_AUTOCOMPLETE = {"line1": "address-line1", "line2": "address-line2", "city": "address-level2",
                        "state": "address-level1", "postal_code": "postal-code", "town": "address-level3"}
ADDRESS_LABELS = {"line1": N_("Address line 1"), "line2": N_("Address line 2 (optional)"), "city": N_("City"),
                  "town": N_("Town or area"), "state": N_("State or region"), "postal_code": N_("Postal code")}


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
    # What its inputs were built for (catalog version, country, language, field): the same shape renders alike.
    shape: tuple[Any, ...] | None = None

    @property
    def name(self) -> str:
        """Return the question's id (its catalog path)."""
        return self.field.path

    @property
    def is_block(self) -> bool:
        """Return whether the question has several inputs (rendered as a fieldset)."""
        return len(self.inputs) > 1

    @property
    def kind(self) -> FieldKind:
        """Return the class of the question's field type."""
        return KINDS[self.field.type]


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


@dataclass(frozen=True)
class Sending:
    """What turning answers into Stripe parameters needs besides the answer."""

    country: str
    business_type: str | None
    version: Version
    now: datetime
    ip: str
    user_agent: str


class FieldKind:
    """A catalog field type: a single text input unless a subclass says otherwise."""

    type_name: ClassVar[str] = "text"
    input_type: ClassVar[str] = "text"
    autocomplete: ClassVar[str | None] = None
    inputmode: ClassVar[str | None] = None
    sensitive: ClassVar[bool] = False  # Stripe never returns it: "provided", never echoed, blank keeps it
    from_files: ClassVar[bool] = False  # answered by uploads, checked and sent as files
    block: ClassVar[bool] = False  # several inputs answering one object (`<path>.<part>`)
    unchecked_sends_nothing: ClassVar[bool] = False  # a box left unticked is no answer, even when asked
    replaces_payout_account: ClassVar[bool] = False
    # Stripe parameters outside the field's own path that the field answers: a `param` error naming one
    # lands on the field; with the error code, Stripe says the value is attached already and is kept.
    stripe_param: ClassVar[str | None] = None
    already_there_code: ClassVar[str | None] = None

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the field's inputs, prefilled from what Stripe holds (never a sensitive value)."""
        value = "" if current is None or self.sensitive else str(current)
        return [Input(field_.path, self.input_type, setting.translate(field_.label), value,
                      autocomplete=self.autocomplete, inputmode=self.inputmode)]

    def provided(self, field_: Field, state: Mapping[str, Any] | None) -> bool:
        """Return whether Stripe holds a sensitive answer it does not return."""
        return self.sensitive and bool(lookup(state, f"{field_.path}_provided"))

    def prefill(self, field_: Field, current: Any) -> Any:
        """Return the form data that shows what Stripe holds (a block: {part: text}); never a sensitive value."""
        if current is None or self.sensitive or self.from_files:
            return None
        if self.block:
            return {k: str(v) for k, v in current.items() if v not in (None, "")} if isinstance(current, Mapping) \
                else None
        return str(current)

    def wtf_field(self, field_: Field, inputs: list[Input]) -> UnboundField:
        """Return the field's WTForms field: one per input, or a sub-form of its inputs named `<path>.<part>`."""
        if not (self.block or len(inputs) > 1):
            return _wtf_input(inputs[0])
        parts = {i.name.removeprefix(field_.path + "."): _wtf_input(i) for i in inputs}
        return FormField(type(f"Part_{field_.path}", (Form,), parts), label=field_.label, separator=".")

    def read(self, bound: Any) -> Any:
        """Return the answer of the field bound to a posted form, shaped as `values.check` expects."""
        if isinstance(bound, FormField):
            return {part: str(value).strip() for part, value in bound.data.items()
                    if value is not None and str(value).strip()}
        return "" if bound.data is None else str(bound.data).strip()

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return the Stripe value of a checked answer."""
        return answer

    def params(self, field_: Field, answer: Any, sending: Sending) -> dict[str, Any]:
        """Return {Stripe parameter path: value} for a checked answer."""
        return {field_.path: self.value(field_, answer, sending)}

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return what Stripe holds, as the review page shows it (None: nothing yet)."""
        current = lookup(state, field_.path)
        if self.sensitive:
            return translate(N_("Provided")) if self.provided(field_, state) else None
        return str(current) if current not in (None, "", []) else None


class NameKind(FieldKind):
    """A person's or a company's name, with the autocomplete a browser fills it from."""

    type_name = "name"

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the name input with its autocomplete token."""
        tail = field_.path.rsplit(".", 1)[-1]
        autocomplete = {"first_name": "given-name", "last_name": "family-name"}.get(tail.split("_kan")[0], "name")
        if field_.path.endswith(("company.name", "company.name_kana", "company.name_kanji")):
            autocomplete = "organization"
        return [Input(field_.path, "text", setting.translate(field_.label), "" if current is None else str(current),
                      autocomplete=autocomplete)]


class EmailKind(FieldKind):
    type_name, input_type, autocomplete = "email", "email", "email"


class UrlKind(FieldKind):
    type_name, input_type, autocomplete = "url", "url", "url"


class PhoneKind(FieldKind):
    """A phone number, sent in E.164 when it is a valid number of the account's country."""

    type_name, input_type, autocomplete, inputmode = "phone", "tel", "tel", "tel"

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return E.164, or the answer as typed for a test value (0000000000) that passed the checks."""
        try:
            number = phonenumbers.parse(answer, sending.country)
        except phonenumbers.NumberParseException:
            return answer
        valid = phonenumbers.is_valid_number(number)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else answer


class IdNumberKind(FieldKind):
    """A personal ID number: sent compacted, never echoed or stored."""

    type_name, autocomplete, sensitive = "id_number", "off", True

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return the number without spaces and separators."""
        return compact(answer)


class TaxIdKind(IdNumberKind):
    type_name = "tax_id"


class PercentageKind(FieldKind):
    type_name, input_type, inputmode = "percentage", "number", "decimal"

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return the percentage as a number."""
        return float(str(answer).rstrip("%"))


class SelectKind(FieldKind):
    """A choice from a catalog list (or Babel's country names), labelled in the user's language."""

    type_name = "select"

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the select with its options."""
        choices = [("", setting.translate(N_("Choose…")))] + options(setting, field_)
        return [Input(field_.path, "select", setting.translate(field_.label), str(current or ""), choices)]

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return the chosen option's label."""
        current = lookup(state, field_.path)
        if not current:
            return None
        labels = {o.value: o.label for o in version.options(field_.validation["source"])}
        return translate(labels[current]) if current in labels else str(current)


class DateKind(FieldKind):
    """A date as day, month (named in the user's language) and year."""

    type_name, block = "date", True

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the day, month and year inputs."""
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

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return Stripe's {day, month, year} of numbers."""
        return {part: int(answer[part]) for part in ("day", "month", "year")}

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return the date in the user's long format."""
        current = lookup(state, field_.path)
        if isinstance(current, Mapping) and current.get("year"):
            return format_date(date(current["year"], current["month"], current["day"]), "long", locale=locale)
        return None


class AddressKind(FieldKind):
    """An address in the parts (and order) the catalog gives the country, with its regions as a select."""

    type_name, block = "address", True

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return one input per address part."""
        current = current if isinstance(current, Mapping) else {}
        inputs = []
        for part in field_.validation["parts"]:
            # Region lists are in the country's script; a kana address spells its prefecture in kana.
            script = field_.validation.get("script")
            choices = regions(setting.country, setting.locale, script) if part == "state" and script != "kana" else []
            inputs.append(Input(f"{field_.path}.{part}", "select" if choices else "text",
                                setting.translate(ADDRESS_LABELS[part]), str(current.get(part) or ""),
                                [("", setting.translate(N_("Choose…")))] + choices if choices else [],
                                autocomplete=ADDRESS_AUTOCOMPLETE[part], required=part != "line2"))
        return inputs

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return the address on one line."""
        current = lookup(state, field_.path)
        if not isinstance(current, Mapping):
            return None
        return ", ".join(str(current[p]) for p in field_.validation["parts"] if current.get(p)) or None


class CheckboxKind(FieldKind):
    """A yes/no question: an unticked box is no answer (nothing is sent)."""

    type_name, unchecked_sends_nothing = "boolean", True

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the checkbox, ticked when Stripe holds true."""
        checked = "yes" if current in (True, "true") else ""
        return [Input(field_.path, "checkbox", setting.translate(field_.label), checked,
                      required=not self.unchecked_sends_nothing)]

    def read(self, bound: Any) -> Any:
        """Return whether the box was ticked."""
        return bool(bound.data)

    def prefill(self, field_: Field, current: Any) -> Any:
        """Return a ticked box for true."""
        return current in (True, "true")

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return "Yes" for a ticked box."""
        return translate(N_("Yes")) if lookup(state, field_.path) else None


class AttestationKind(CheckboxKind):
    """An acceptance (terms, a declaration): sent as when, from where and with which browser it was given."""

    type_name, unchecked_sends_nothing = "attestation", False

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return Stripe's {date, ip, user_agent} of the acceptance."""
        return {"date": int(sending.now.timestamp()), "ip": sending.ip, "user_agent": sending.user_agent}


class DocumentKind(FieldKind):
    """A document: one file, or a front and a back; uploaded to Stripe and sent as file ids."""

    type_name, from_files = "document", True

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the file inputs."""
        sides = field_.validation.get("sides")
        if not sides:
            return [Input(field_.path, "file", setting.translate(field_.label))]
        labels = {"front": setting.translate(N_("Front of the document")),
                  "back": setting.translate(N_("Back of the document"))}
        return [Input(f"{field_.path}.{side}", "file", labels[side], required=side == "front") for side in sides]

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return "Uploaded" once Stripe holds a file."""
        current = lookup(state, field_.path)
        # Stripe returns the document object ({front, back, details, ...}) whether or not a file is in it.
        held = (current.get("front") or current.get("back")) if isinstance(current, Mapping) else current
        return translate(N_("Uploaded")) if held else None


class TextListKind(FieldKind):
    """A list of texts, one per line (other names); an empty list is Stripe's empty value."""

    type_name = "text_list"

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the text area, one entry per line."""
        value = "\n".join(current) if isinstance(current, list) else ""
        return [Input(field_.path, "textarea", setting.translate(field_.label), value, required=False)]

    def prefill(self, field_: Field, current: Any) -> Any:
        """Return the list, one entry per line."""
        return "\n".join(current) if isinstance(current, list) else None

    def read(self, bound: Any) -> Any:
        """Return the non-empty lines."""
        return [line.strip() for line in (bound.data or "").splitlines() if line.strip()]

    def value(self, field_: Field, answer: Any, sending: Sending) -> Any:
        """Return the list, or "" for none (the empty value Stripe's list parameters take, the SDK's `Literal['']`)."""
        return answer or ""


class BankAccountKind(FieldKind):
    """The payout bank account: the format's parts, sent as the account update's `external_account`.

    Through the account update, not `external_accounts.create`: it replaces the default account for
    the currency instead of adding one, so a retry with other numbers cannot leave two, and the answer
    is the whole account. Stripe holds it as an external account and shows its last four digits.
    """

    type_name, block, sensitive, replaces_payout_account = "bank_account", True, True, True
    stripe_param = "external_account"
    already_there_code = "bank_account_exists"  # this very account is attached already: kept

    def inputs(self, field_: Field, setting: Setting, current: Any) -> list[Input]:
        """Return the format's parts, the holder's name where the format needs it, and the currency if several."""
        spec = setting.version.bank_formats[field_.validation["format"]]
        inputs = [Input(f"{field_.path}.{part['name']}", "text", setting.translate(part["label"]),
                        inputmode="numeric" if "[0-9]" in part["pattern"] and "A-Z" not in part["pattern"] else None,
                        autocomplete="off") for part in spec["parts"]]
        if spec.get("needs_holder_name"):
            inputs.append(Input(f"{field_.path}.account_holder_name", "text",
                                setting.translate(N_("Account holder name")), autocomplete="name"))
        currencies = field_.validation["currencies"]
        if len(currencies) > 1:
            default = setting.version.country(setting.country).default_currency
            inputs.append(Input(f"{field_.path}.currency", "select", setting.translate(N_("Payout currency")),
                                default, [(c, c.upper()) for c in currencies]))
        return inputs

    def provided(self, field_: Field, state: Mapping[str, Any] | None) -> bool:
        """Return whether the account has a payout account."""
        return bool(lookup(state, "external_accounts.data"))

    def params(self, field_: Field, answer: Any, sending: Sending) -> dict[str, Any]:
        """Return `external_account` as Stripe's hash."""
        version = sending.version
        spec = version.bank_formats[answer.get("format", field_.validation["format"])]
        numbers = bank_parameters(spec, answer)
        country = version.country(sending.country)
        currency = answer.get("currency") or (country.default_currency if country else "")
        bank = BankAccount(country=sending.country, currency=currency, account_number=numbers["account_number"],
                           routing_number=numbers.get("routing_number"),
                           account_holder_name=answer.get("account_holder_name") or None,
                           account_holder_type="individual" if sending.business_type in (None, "individual")
                           else "company")
        return {self.stripe_param: bank.params()}

    def shown(self, field_: Field, state: Mapping[str, Any], version: Version, locale: str,
              translate: Callable[[str], str]) -> str | None:
        """Return the last four digits of the payout account (of each, with its currency, when there are several)."""
        banks = lookup(state, "external_accounts.data") or []
        if len(banks) > 1:  # one default per currency: say which is which
            return ", ".join(f"•••• {b.get('last4')} ({str(b.get('currency') or '').upper()})" for b in banks)
        return f"•••• {banks[0].get('last4')}" if banks else None


KINDS: dict[str, FieldKind] = {kind.type_name: kind() for kind in (
    FieldKind, NameKind, EmailKind, UrlKind, PhoneKind, IdNumberKind, TaxIdKind, PercentageKind, SelectKind,
    DateKind, AddressKind, CheckboxKind, AttestationKind, DocumentKind, TextListKind, BankAccountKind)}


def options(setting: Setting, field_: Field) -> list[tuple[str, str]]:
    """Return a select's (value, label) options in the user's language."""
    source = field_.validation["source"]
    found = setting.version.options(source)
    allowed = field_.validation.get("choices")
    if setting.version.names_from.get(source) == "babel-territories":
        names = Locale.parse(setting.locale).territories
        return sorted(((o.value, names.get(o.value, o.label)) for o in found), key=lambda pair: pair[1])
    return [(o.value, setting.translate(o.label)) for o in found if not allowed or o.value in allowed]


# -- the step's Flask-WTF form ---------------------------------------------------------------------

REQUIRED = N_("This field is required.")


@dataclass(frozen=True)
class Asking:
    """How a step asks its questions: what Stripe needs now, the checks' context, and what Stripe holds."""

    needed: set[str]
    context: Context
    known: Mapping[str, Any]
    required: frozenset[str] = frozenset()  # answered in this post whatever Stripe holds, a ticked box included


@dataclass(frozen=True)
class Problem:
    """A refused answer: the input (or question) it names, the message id and its values."""

    name: str
    message: str
    params: dict[str, Any]


class StepForm(FlaskForm):
    """A wizard step's form; `compiled` adds one WTForms field (or sub-form) per catalog field at run time."""

    class Meta:
        csrf = False  # onboarding/csrf.py's CSRFProtect checks every form post before a view runs

    questions: list[Question]
    answers: dict[str, Any]
    problems: list[Problem]

    def validate(self, extra_validators: Any = None, *, asking: Asking | None = None) -> bool:  # type: ignore[override]
        """Check the posted answers with the catalog (`values.check`), as the step asks them.

        A question ruled out by another answer (the catalog's `condition`) is neither checked nor
        sent; one left blank keeps what Stripe holds unless Stripe needs it now (an unticked box is
        never an answer; a sensitive number Stripe holds may stay blank). Keeps the checked answers
        in `answers` and the refusals in `problems` (also on the fields' `errors`).
        """
        if asking is None:
            raise TypeError("a step form is checked as its step asks it: validate(asking=Asking(...))")
        self.answers, self.problems = {}, []
        posted = {q.name: q.kind.read(self[q.name]) for q in self.questions if not q.kind.from_files}

        def value_of(path: str) -> Any:  # this form's answer, else what Stripe holds
            return posted[path] if not blank(posted.get(path)) else lookup(asking.known, path)

        for question in self.questions:
            if question.kind.from_files or not condition_met(question.field, value_of):
                continue
            answer = posted[question.name]
            if blank(answer) and question.name in asking.required:
                self._refuse(Problem(question.name, REQUIRED, {}))
                continue
            if blank(answer) and (question.provided or question.name not in asking.needed
                                  or question.kind.unchecked_sends_nothing):
                continue  # nothing to change: kept as Stripe has it
            for problem in check(question.field, answer, asking.context):
                name = f"{question.name}.{problem.part}" if problem.part else question.name
                self._refuse(Problem(name, problem.message, dict(problem.params or {})))
            self.answers[question.name] = answer
        return not self.problems

    def _refuse(self, problem: Problem) -> None:
        """Keep a refusal, and put it on the field (or the block) it names."""
        self.problems.append(problem)
        named = self._field_named(problem.name)
        if isinstance(named, FormField):  # a block's own problem (a date that does not exist)
            named.form.form_errors.append(problem.message)
        elif named is not None:
            named.errors = [*named.errors, problem.message]

    def _field_named(self, name: str) -> Any:
        """Return the bound field (or sub-field) an input name names, or None (the problem stays in `problems`)."""
        for question in self.questions:
            if name == question.name:
                return self[name]
            bound = self[question.name]
            if name.startswith(question.name + ".") and isinstance(bound, FormField):
                part = name.removeprefix(question.name + ".")
                return bound.form[part] if part in bound.form else None
        return None


def condition_met(field: Field, value_of: Callable[[str], Any]) -> bool:
    """Tell whether a field's catalog condition holds: each named answer is one of its values, or not given yet.

    Only answers of the account are known here; a condition on a person's answer (`representative.
    relationship.owner`) is left to the person's own form and counts as met.
    """
    for path, values in field.condition.items():
        head = path.split(".", 1)[0]
        if head in PERSON_PREFIXES:
            continue
        given = value_of(path)
        if given not in (None, "") and given not in values:
            return False
    return True


def blank(answer: Any) -> bool:
    """Return whether an answer says nothing (an empty text, list or block, an unticked box)."""
    return answer in (None, "", [], {}, False)


WTF_INPUTS: dict[str, type] = {"select": SelectField, "checkbox": BooleanField, "textarea": TextAreaField,
                               "file": FileField}


def _wtf_input(input_: Input) -> UnboundField:
    kind = WTF_INPUTS.get(input_.kind, StringField)
    if kind is SelectField:
        # The catalog checks the choice (values.check); WTForms' own check would duplicate it, untranslated.
        return SelectField(input_.label, choices=[SelectChoice(value, label) for value, label in input_.choices],
                           validate_choice=False)
    if kind is BooleanField:
        return BooleanField(input_.label, false_values=(False, "false", ""))
    return kind(input_.label)


@dataclass(frozen=True)
class Compiled:
    """What a step's fields compile to for one country, language and catalog version: the form class and
    the inputs (labels, choices, attributes) its pages show."""

    form: type[StepForm]
    inputs: dict[str, list[Input]]
    fields: tuple[Field, ...]  # kept alive: the cache's key holds their ids


_COMPILED: dict[tuple[Any, ...], Compiled] = {}
_COMPILED_MAX = 2048


def compiled(fields: list[Field] | tuple[Field, ...], setting: Setting) -> Compiled:
    """Return the step form class and inputs for these fields, built once per catalog version, country and language."""
    # Catalog fields are unhashable (their validation is a dict); a version's resolved fields live as long as
    # the version, so their ids name them (and the entry keeps them alive, so no id is reused meanwhile).
    key = (setting.version.id, setting.country, setting.locale, tuple(id(f) for f in fields))
    found = _COMPILED.get(key)
    if found is None:
        inputs = {f.path: KINDS[f.type].inputs(f, setting, None) for f in fields}
        form = type("StepForm", (StepForm,), {f.path: KINDS[f.type].wtf_field(f, inputs[f.path]) for f in fields})
        found = Compiled(form, inputs, tuple(fields))
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


def bind(fields: list[Field] | tuple[Field, ...], setting: Setting, stripe_state: Mapping[str, Any] | None,
         formdata: Any = None) -> tuple[StepForm, list[Question]]:
    """Return the step's form, filled from what Stripe holds or from a posted form, and its questions to render.

    A posted form shows what was typed again, except sensitive numbers and files, which are never echoed.
    """
    built = compiled(fields, setting)
    data = {f.path: KINDS[f.type].prefill(f, lookup(stripe_state, f.path)) for f in fields}
    form = built.form(formdata=formdata, data={k: v for k, v in data.items() if v is not None})
    form.questions = questions = []
    for f in fields:
        kind = KINDS[f.type]
        bound = form[f.path]
        inputs = [replace(i, errors=[], value=_shown_value(kind, bound, f.path, i))
                  for i in built.inputs[f.path]]
        questions.append(Question(f, inputs, provided=kind.provided(f, stripe_state),
                                  shape=(setting.version.id, setting.country, setting.locale, id(f))))
    return form, questions


def posted(fields: list[Field] | tuple[Field, ...], setting: Setting, stripe_state: Mapping[str, Any] | None,
           formdata: Any) -> StepForm:
    """Return the step's form bound to a post alone (a missing input is blank, never Stripe's value), to check."""
    built = compiled(fields, setting)
    form = built.form(formdata=formdata)
    form.questions = [Question(f, [replace(i) for i in built.inputs[f.path]],
                               provided=KINDS[f.type].provided(f, stripe_state)) for f in fields]
    return form


def _shown_value(kind: FieldKind, bound: Any, path: str, input_: Input) -> str:
    if kind.sensitive or kind.from_files:
        return ""
    if isinstance(bound, FormField):
        bound = bound.form[input_.name.removeprefix(path + ".")]
    if isinstance(bound, BooleanField):
        return "yes" if bound.data else ""
    data = bound.data
    return "" if data is None else str(data)
