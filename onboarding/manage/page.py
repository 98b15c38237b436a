"""What the account page shows: each step's answers as Stripe holds them, what is needed, and what cannot change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from babel import Locale
from babel.dates import format_date

from requirements_catalog import Version

from ..models import ConnectedAccount
from ..wizard.forms import KINDS, N_, lookup
from ..wizard.persons import ROLE_STEPS
from ..wizard.plan import Step
from ..wizard.review import ReviewRow, step_rows

AGREEMENTS = {"full": N_("Stripe Connected Account Agreement (payments and payouts)"),
              "recipient": N_("Stripe Recipient Agreement (payouts only)")}


@dataclass(frozen=True)
class Section:
    """One step as the account page shows it: its answers, and whether Stripe needs something on it now."""

    step: Step
    rows: list[ReviewRow]
    needed: bool
    people: bool  # a step about people: its page adds, changes and removes them


@dataclass(frozen=True)
class AccountPage:
    """The account page's content (what only this request knows, such as the CSRF token, is the template's)."""

    sections: list[Section]
    fixed: list[ReviewRow]
    saved: Step | None = None
    reconfirm: list[Step] = field(default_factory=list)  # people changed, their list not declared complete again


def account_page(account: ConnectedAccount, steps: list[Step], state: Mapping[str, Any],
                 persons: list[dict[str, Any]], version: Version, locale: str, translate: Callable[[str], str],
                 saved: str | None = None, changed: list[str] | None = None) -> AccountPage:
    """Return the account page of an account: every step the user may change, then what is fixed."""
    sections = [Section(step, step_rows(step, state, persons, version, locale, translate), not step.done,
                        step.id in ROLE_STEPS) for step in steps]
    by_id = {step.id: step for step in steps}
    return AccountPage(sections, fixed_rows(account, state, version, locale, translate), by_id.get(saved or ""),
                       [by_id[s] for s in changed or [] if s in by_id])


def fixed_rows(account: ConnectedAccount, state: Mapping[str, Any], version: Version, locale: str,
               translate: Callable[[str], str]) -> list[ReviewRow]:
    """Return what the account page shows but never changes: country, business type, agreement, terms."""
    rows = [ReviewRow(translate(N_("Country")),
                      Locale.parse(locale).territories.get(account.country, account.country))]
    country = version.country(account.country)
    business_type = next((f for f in country.business_types.get(account.business_type or "", ())
                          if f.path == "business_type"), None) if country else None
    if business_type is not None:
        shown = KINDS[business_type.type].shown(business_type, {"business_type": account.business_type}, version,
                                                locale, translate)
        rows.append(ReviewRow(translate(business_type.label), shown or account.business_type or ""))
    agreement = AGREEMENTS.get(account.service_agreement or "full")
    rows.append(ReviewRow(translate(N_("Service agreement")),
                          translate(agreement) if agreement else str(account.service_agreement)))
    accepted = lookup(state, "tos_acceptance.date")
    if isinstance(accepted, int):
        when = format_date(datetime.fromtimestamp(accepted, timezone.utc), "long", locale=locale)
        rows.append(ReviewRow(translate(N_("Terms of service")), translate(N_("Accepted on %(date)s")) % {"date": when}))
    return rows
