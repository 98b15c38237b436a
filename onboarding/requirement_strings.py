"""Read the requirement strings Stripe sends: what each one asks, and whether a form, a person or only Stripe answers it.

Stripe names one need in several ways, depending on the API version, the account and where the
string appears (`requirements`, `future_requirements`, a person's own `requirements`,
`errors[].requirement`). The forms met so far, with where each was read (2026-12-06):

| form | example | meaning |
|---|---|---|
| an account field | `company.tax_id`, `business_profile.url`, `settings.payments.statement_descriptor`, `documents.proof_of_registration.files`, `external_account`, `tos_acceptance.date` | a form field with that Stripe parameter path answers it |
| a role, Country Specs naming | `representative.dob.day`, `owners.first_name`, `directors.*`, `executives.*` | a person field, asked of whoever holds the role (Country Specs; our catalog's own naming) |
| a role to fill | `relationship.representative`, `relationship.owner`, ... | a person with that role must be added (docs.stripe.com/connect/testing-verification, Accounts v1) |
| one person's field | `person_xxx.address.city`, `person.person_xxx.address.city` | that existing person's field (the walk-through prints the second form; responses elsewhere the first) |
| a risk review | `interv_<id>.<description>.<resolution_path>` | answered through Stripe, never through the API (Stripe's requirements docs) |
| a Stripe-only check | `proof_of_liveness` (and a person's `....proof_of_liveness`) | collected by Stripe Identity, not by an Account or Person parameter |

`relationship.account_opener` appears on older accounts; reading it as the representative is an
assumption (the account opener is who Stripe asked to represent the account before representatives
existed). Strings of none of these forms are read as account fields: whether the catalog answers them
decides whether they are known, and the callers log and count the ones it does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `relationship.<flag>` names the Person API's relationship flag; the catalog names the role's people.
ROLE_OF_RELATIONSHIP = {
    "representative": "representative",
    "account_opener": "representative",
    "owner": "owners",
    "director": "directors",
    "executive": "executives",
    "authorizer": "authorizers",
    "legal_guardian": "legal_guardians",
}
ROLES = ("representative", "owners", "directors", "executives", "authorizers", "legal_guardians")
STRIPE_ONLY = frozenset({"proof_of_liveness"})
_PERSON = re.compile(r"^(?:person\.)?(person_[A-Za-z0-9]+)(?:\.(.+))?$")


@dataclass(frozen=True)
class Requirement:
    """One requirement string, read.

    `kind` is `field` (an account field at `path`), `person` (the field `path` of the existing person
    `person`), `role` (a person holding the role `path` must be added), `risk_review` or `stripe_only`
    (no API call answers it: Stripe's own flow does).
    """

    raw: str
    kind: str
    path: str
    person: str | None = None

    @property
    def answerable_by_form(self) -> bool:
        """Tell whether any form could answer it (risk reviews and Stripe-only checks cannot)."""
        return self.kind not in ("risk_review", "stripe_only")


def read(requirement: str) -> Requirement:
    """Read one requirement string."""
    if requirement.startswith("interv_"):
        return Requirement(requirement, "risk_review", requirement)
    if requirement.rsplit(".", 1)[-1] in STRIPE_ONLY:
        return Requirement(requirement, "stripe_only", requirement)
    head, _, rest = requirement.partition(".")
    if head == "relationship" and rest in ROLE_OF_RELATIONSHIP:
        return Requirement(requirement, "role", ROLE_OF_RELATIONSHIP[rest])
    person = _PERSON.match(requirement)
    if person is not None and person.group(2):
        return Requirement(requirement, "person", person.group(2), person.group(1))
    return Requirement(requirement, "field", requirement)


def general(requirement: str) -> str:
    """Return the string with any person's id replaced, so that every person's need reads alike."""
    found = read(requirement)
    return f"person.{found.path}" if found.kind == "person" else requirement
