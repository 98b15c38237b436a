"""Compute an account's `requirements`, `future_requirements` and capability states.

Stripe's Country Specs list, per country and business type, the fields an account must give
(`minimum`) and may be asked later (`additional`). This module turns those lists and what
the account has provided into the hashes Stripe returns:

- `minimum` fields not yet provided are `currently_due`; `additional` ones `eventually_due`.
- Role fields are named in one of two ways (`NAMINGS`), because real responses differ:
  - `documented` (the default), as Stripe's testing-verification walk-through shows for Accounts v1
    (docs.stripe.com/connect/testing-verification, read 2026-12-06): while nobody holds a role the
    account lists `relationship.representative` / `relationship.owner` / ..., never the role's
    fields; once a person holds it, that person's fields as `person_xxx.<field>` (or, with
    `person_prefix`, `person.person_xxx.<field>`, as the page prints them). What a person of each role
    is asked comes from Stripe's per-country documentation (`data/person_requirements.json`, read
    by `person_requirements.py`) where it is known, else from the Country Spec. `company.owners_provided` is asked only once owners exist and their
    `relationship.percent_ownership` adds up to less than 100%.
  - `country_specs`: the Country Specs naming, `representative.*`, `owners.*`, ... until such a
    person exists, then `person_xxx.<field>`; `company.<role>_provided` from the start.
  In both, owners, directors and executives stop being asked for once `company.<role>_provided` is true.
- `verification.document` and `verification.additional_document` are asked only when
  verification needs them; in the US the SSN's last four digits are asked first and the full
  ID number only eventually, or when the last four fail.
- Before an account is first enabled every due field is also past due (Stripe disables new
  accounts until the minimum is in); afterwards a new requirement has `GRACE_SECONDS` until
  it becomes past due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import testvalues
from .testvalues import lookup
from .countries import CountrySpecs
from .person_requirements import PersonRequirements
from .state import Account, BankAccount, Person

ROLES = ("representative", "owners", "directors", "executives", "authorizers", "legal_guardians")
ROLE_FLAG = {"owners": "owner", "directors": "director", "executives": "executive", "representative": "representative",
             "authorizers": "authorizer", "legal_guardians": "legal_guardian"}
CONDITIONAL = {"verification.document", "verification.additional_document"}
GRACE_SECONDS = 14 * 24 * 3600
# Stripe's test mode: an e-mail containing this gets every future requirement now (docs.stripe.com/connect/
# testing, read 2026-12-06, asks for the words, not a `+`; `jenny+enforce_future_requirements@...` has them too).
ENFORCE_FUTURE = "enforce_future_requirements"
NAMINGS = ("documented", "country_specs")
PROVIDED_FLAG = {f"company.{role}_provided": role for role in ("owners", "directors", "executives")}


@dataclass
class Lists:
    """One requirements hash being assembled."""

    currently_due: set[str] = field(default_factory=set)
    eventually_due: set[str] = field(default_factory=set)
    pending_verification: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)  # requirement -> code
    alternatives: list[tuple[list[str], list[str]]] = field(default_factory=list)

    def due(self, path: str, current: bool) -> None:
        """Record a field as due now or eventually."""
        self.eventually_due.add(path)
        if current:
            self.currently_due.add(path)


@dataclass
class Evaluation:
    """Everything the requirements pass derives for an account."""

    requirements: dict[str, Any]
    future_requirements: dict[str, Any]
    persons: dict[str, dict[str, Any]]  # person id -> its own requirements hash
    person_verification: dict[str, dict[str, Any]]
    capabilities: dict[str, str]
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool


def provided(data: dict[str, Any], path: str) -> bool:
    """Return whether a field counts as given."""
    if path == "ssn_last_4" and data.get("id_number"):
        return True
    value = lookup(data, path)
    if isinstance(value, bool):
        return value
    if path.endswith("full_name_aliases"):
        return value is not None  # asked "if any": an empty list sent on purpose answers it (README)
    return value not in (None, "", [], {})


class Evaluator:
    """Evaluate one account against the Country Specs at a moment in time."""

    def __init__(
        self,
        specs: CountrySpecs,
        account: Account,
        persons: list[Person],
        banks: list[BankAccount],
        files: dict[str, str],
        now: int,
        *,
        naming: str = "documented",
        person_requirements: PersonRequirements | None = None,
        person_prefix: bool = False,
    ) -> None:
        if naming not in NAMINGS:
            raise ValueError(f"unknown requirement naming {naming!r}; expected one of {NAMINGS}")
        self.specs = specs
        self.naming = naming
        self.person_requirements = person_requirements
        self.person_prefix = person_prefix
        self.minimum: list[str] = []
        self.conditional: set[tuple[str, str]] = set()  # (role, field) due only when verification asks it
        self.account = account
        self.persons = persons
        self.banks = banks
        self.files = files
        self.now = now
        self.today = datetime.fromtimestamp(now, timezone.utc).date()
        self.person_lists: dict[str, Lists] = {p.id: Lists() for p in persons}
        self.person_verification: dict[str, dict[str, Any]] = {}
        self.ofac = False
        self._outcomes: dict[str, testvalues.Outcome] = {}  # each person is verified once per evaluation

    # -- the account's data -------------------------------------------------------------
    @property
    def business_type(self) -> str | None:
        return self.account.data.get("business_type")

    def _future_fields(self) -> tuple[list[str], int | None, bool]:
        email = self.account.data.get("email") or ""
        fields: list[str] = []
        deadline: int | None = None
        enforced = ENFORCE_FUTURE in email
        for entry in self.specs.future:
            if entry.applies(self.account.country, self.business_type):
                fields.extend(entry.fields)
                deadline = entry.effective if deadline is None else min(deadline, entry.effective)
                enforced = enforced or self.now >= entry.effective
        return fields, deadline, enforced

    # -- evaluation ---------------------------------------------------------------------
    def evaluate(self) -> Evaluation:
        """Return the requirements, capability states and flags for the account."""
        minimum, additional = self._fields(*self.specs.fields(self.account.country, self.business_type))
        future, future_deadline, enforced = self._future_fields()
        self.minimum = minimum + future if enforced else minimum
        if enforced:
            minimum = minimum + future
        current = self._collect(minimum, additional)
        for path in self.account.hosted_requirements:  # only Stripe's hosted flow answers these (hosted.py)
            current.due(path, True)
        upcoming = Lists() if enforced else self._collect(future, [], person_lists=False)
        upcoming.currently_due -= current.eventually_due
        upcoming.eventually_due -= current.eventually_due
        requirements = self._finish(current)
        future_hash = _hash(upcoming)
        future_hash["current_deadline"] = future_deadline if upcoming.eventually_due else None
        return self._capabilities(requirements, future_hash)

    def _fields(self, minimum: list[str], additional: list[str]) -> tuple[list[str], list[str]]:
        """Return the fields to evaluate: in the documented naming, each role's from Stripe's per-country docs.

        A role's conditional fields (documents, the full US SSN) join `additional` but are due only when
        verification asks for them, like the `CONDITIONAL` documents of every role.
        """
        docs = self.person_requirements
        country, business_type = self.account.country, self.business_type
        if self.naming != "documented" or docs is None or country not in docs or business_type in (None, "individual"):
            return minimum, additional
        flags = docs.provided_flags(country, business_type)
        minimum = [p for p in minimum if p not in PROVIDED_FLAG or p in flags]
        additional = [p for p in additional if p not in PROVIDED_FLAG or p in flags]
        for role in ROLES:
            minimum = [p for p in minimum if not p.startswith(f"{role}.")]
            additional = [p for p in additional if not p.startswith(f"{role}.")]
            if not docs.asked(country, business_type, role):
                continue
            now, later = docs.fields(country, business_type, role)
            conditional = docs.conditional(country, business_type, role)
            self.conditional |= {(role, rest) for rest in conditional}
            minimum += [f"{role}.{f}" for f in now]
            additional += [f"{role}.{f}" for f in later + conditional]
        return minimum, additional

    def _members(self, role: str) -> list[Person]:
        return [p for p in self.persons if (p.data.get("relationship") or {}).get(ROLE_FLAG[role])]

    def _collect(self, minimum: list[str], additional: list[str], person_lists: bool = True) -> Lists:
        lists = Lists()
        seen: set[str] = set()
        # Verification asks for documents wherever it fails, whether or not the Country Spec lists
        # them (the US spec has no `verification.additional_document`); they are due only then.
        heads = {path.partition(".")[0] for path in minimum + additional} & {"individual", *ROLES}
        additional = additional + [f"{head}.{rest}" for head in sorted(heads) for rest in sorted(CONDITIONAL)]
        for level, fields in ((True, minimum), (False, additional)):
            for path in fields:
                if path in seen:
                    continue
                seen.add(path)
                head, _, rest = path.partition(".")
                if head == "individual":
                    self._individual_field(lists, rest, level, person_lists)
                elif head in ROLES:
                    self._role_field(lists, head, rest, level, person_lists)
                else:
                    self._account_field(lists, path, level)
        return lists

    def _account_field(self, lists: Lists, path: str, current: bool) -> None:
        data = self.account.data
        if path == "external_account":
            if not any(b.status != "errored" for b in self.banks):
                lists.due(path, current or bool(self.banks))
                if self.banks:  # every bank account given has failed
                    lists.errors[path] = "invalid_value_other"
            return
        if path == "company.verification.document":
            return  # asked only when the tax id fails; see _company
        if path == "business_profile.url" and (code := testvalues.url_error(lookup(data, path))):
            lists.due(path, True)
            lists.errors[path] = code
            return
        if path in PROVIDED_FLAG:
            if not lookup(data, path) and self._provided_flag_needed(PROVIDED_FLAG[path]):
                lists.due(path, current)
            return
        if not provided(data, path):
            lists.due(path, current)

    def _individual_field(self, lists: Lists, rest: str, current: bool, person_lists: bool) -> None:
        person = next((p for p in self.persons if p.id == self.account.individual), None)
        self._person_field(lists, "individual", person, rest, current, "individual", person_lists)

    def _provided_flag_needed(self, role: str) -> bool:
        """Tell whether `company.<role>_provided` is asked (it is not yet true).

        Country Specs naming: always. Documented naming: only once somebody holds the role (before,
        `relationship.<role>` asks for them), and for owners only while their shares add up to less
        than 100% (the walk-through). Asking it of directors and executives once one exists is an
        assumption: no document says when Stripe stops asking it.
        """
        if self.naming != "documented":
            return True
        members = self._members(role)
        if not members:
            return False
        if role == "owners":
            shares = sum(float((p.data.get("relationship") or {}).get("percent_ownership") or 0) for p in members)
            return shares < 100
        return True

    def _role_field(self, lists: Lists, role: str, rest: str, current: bool, person_lists: bool) -> None:
        members = self._members(role)
        if not members:
            if role != "representative" and lookup(self.account.data, f"company.{role}_provided"):
                return
            if self.naming == "documented":
                if not self._conditional(role, rest):  # a document is asked of a person, never of a role to fill
                    lists.due(f"relationship.{ROLE_FLAG[role]}", current)
                return
            if rest not in CONDITIONAL:  # the full ID number after the last four: eventually, as for a person
                lists.due(f"{role}.{rest}", current and not (rest == "id_number" and self._ssn_first(role)))
            return
        for person in members:
            prefix = f"person.{person.id}" if self.person_prefix else person.id
            self._person_field(lists, prefix, person, rest, current, role, person_lists)

    def _conditional(self, role: str, rest: str) -> bool:
        return rest in CONDITIONAL or (role, rest) in self.conditional

    def _ssn_first(self, role: str) -> bool:
        return f"{role}.ssn_last_4" in self.minimum

    def _person_field(
        self,
        lists: Lists,
        prefix: str,
        person: Person | None,
        rest: str,
        current: bool,
        role: str,
        person_lists: bool,
    ) -> None:
        data = person.data if person else {}
        own = self.person_lists.get(person.id) if person and person_lists else None
        outcome = self._verify(person) if person else None

        def due(now: bool, code: str | None = None) -> None:
            lists.due(f"{prefix}.{rest}", now)
            if own is not None:
                own.due(rest, now)
            if code:
                lists.errors[f"{prefix}.{rest}"] = code
                if own is not None:
                    own.errors[rest] = code

        if outcome and rest in outcome.due:
            due(True, outcome.due[rest])
            for original, alternative in outcome.alternatives:
                if original == rest:
                    lists.alternatives.append(([f"{prefix}.{rest}"], [f"{prefix}.{alternative}"]))
            return
        # While verification runs only the age checks (made on submission) can already fail.
        if person and person.pending and rest in _VERIFIED_FIELDS and provided(data, rest):
            lists.pending_verification.add(f"{prefix}.{rest}")
            if own is not None:
                own.pending_verification.add(rest)
            return
        if self._conditional(role, rest):
            return
        if rest == "id_number" and self._ssn_first(role):
            if not provided(data, rest):
                due(False)
            return
        if not provided(data, rest):
            due(current)

    def _verify(self, person: Person) -> testvalues.Outcome:
        if person.id in self._outcomes:
            return self._outcomes[person.id]
        outcome = testvalues.verify_person(person.data, self.account.country, self.today, self.files)
        if person.pending:
            outcome = testvalues.Outcome(due={k: v for k, v in outcome.due.items() if k == "dob.day"})
            status = "pending"
        else:
            status = "verified" if outcome.verified else "unverified"
            self.ofac = self.ofac or outcome.ofac_alert
        self.person_verification[person.id] = {"status": status, "details_code": outcome.details_code,
                                               "document_details_code": outcome.document_details_code}
        self._outcomes[person.id] = outcome
        return outcome

    def _company(self, lists: Lists) -> None:
        company = self.account.data.get("company") or {}
        if self.account.company_pending:
            if company.get("tax_id"):
                lists.pending_verification.add("company.tax_id")
            return
        outcome = testvalues.verify_company(company, self.files)
        for rest, code in outcome.due.items():
            lists.due(f"company.{rest}", True)
            lists.errors[f"company.{rest}"] = code
            lists.alternatives.append(([f"company.{rest}"], ["company.verification.document"]))

    def _finish(self, lists: Lists) -> dict[str, Any]:
        if self.business_type not in (None, "individual"):
            self._company(lists)
        requirements = _hash(lists)
        currently = requirements["currently_due"]
        enabled_at = self.account.enabled_at
        past_due: list[str] = []
        deadline: int | None = None
        if enabled_at is None:
            past_due = list(currently)
        else:
            for path in currently:
                since = self.account.due_since.setdefault(path, self.now)
                if self.now >= since + GRACE_SECONDS:
                    past_due.append(path)
                deadline = since + GRACE_SECONDS if deadline is None else min(deadline, since + GRACE_SECONDS)
        for path in list(self.account.due_since):
            if path not in currently:
                del self.account.due_since[path]
        requirements["past_due"] = past_due
        requirements["current_deadline"] = deadline
        if self.ofac:
            requirements["disabled_reason"] = "under_review"
        elif past_due:
            requirements["disabled_reason"] = "requirements.past_due"
        elif requirements["pending_verification"] and enabled_at is None:
            requirements["disabled_reason"] = "requirements.pending_verification"
        else:
            requirements["disabled_reason"] = None
        return requirements

    def _capabilities(self, requirements: dict[str, Any], future_hash: dict[str, Any]) -> Evaluation:
        requested = {
            name: bool((settings or {}).get("requested"))
            for name, settings in (self.account.data.get("capabilities") or {}).items()
        }
        reason = requirements["disabled_reason"]
        if reason is None:
            status = "active"
        elif reason == "requirements.pending_verification":
            status = "pending"
        else:
            status = "inactive"
        capabilities = {name: status for name, wanted in sorted(requested.items()) if wanted}
        active = bool(capabilities) and all(s == "active" for s in capabilities.values())
        if active and self.account.enabled_at is None:
            self.account.enabled_at = self.now
        has_payout_account = any(b.status != "errored" for b in self.banks)
        persons = {pid: _person_hash(lists, reason == "requirements.past_due")
                   for pid, lists in self.person_lists.items()}
        tos = self.account.data.get("tos_acceptance") or {}
        return Evaluation(
            requirements=requirements,
            future_requirements=future_hash,
            persons=persons,
            person_verification=self.person_verification,
            capabilities=capabilities,
            charges_enabled=capabilities.get("card_payments") == "active",
            payouts_enabled=active and has_payout_account,
            details_submitted=bool(tos.get("date")) and not requirements["past_due"],
        )


# Person fields whose submission starts asynchronous verification.
_VERIFIED_FIELDS = {
    "dob.day", "dob.month", "dob.year", "id_number", "ssn_last_4", "first_name", "last_name",
    "address.line1", "address.city", "address.postal_code", "address.state",
    "verification.document", "verification.additional_document",
}


def _person_hash(lists: Lists, past_due: bool) -> dict[str, Any]:
    """Return a person's requirements: the account's shape without `current_deadline` and `disabled_reason`."""
    body = {k: v for k, v in _hash(lists).items() if k not in ("current_deadline", "disabled_reason")}
    body["past_due"] = sorted(lists.currently_due) if past_due else []
    return body


def _hash(lists: Lists) -> dict[str, Any]:
    return {
        "alternatives": [
            {"original_fields_due": original, "alternative_fields_due": alternative}
            for original, alternative in lists.alternatives
        ],
        "current_deadline": None,
        "currently_due": sorted(lists.currently_due),
        "disabled_reason": None,
        "errors": [
            {"code": code, "reason": testvalues.reason(code), "requirement": requirement}
            for requirement, code in sorted(lists.errors.items())
        ],
        "eventually_due": sorted(lists.eventually_due | lists.currently_due),
        "past_due": [],
        "pending_verification": sorted(lists.pending_verification),
    }


