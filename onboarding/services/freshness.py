"""The freshness check: is the current catalog version young enough, and does it still match Stripe?

Three findings, in one report:

- age: stale more than six calendar months after the review (`requirements_catalog.age`);
- drift against Stripe's Country Specs: fields Stripe lists for a country and business type that
  the catalog does not ask (`missing_from_catalog`), and fields the catalog asks, as Stripe's, that
  Stripe no longer lists (`not_required_by_stripe`; fields marked `origin = "platform"` are the
  platform's own and `origin = "conditional"` ones are asked by Stripe only in cases the Country
  Specs cannot express, so neither drifts this way). Country Specs have one `company` entry for
  companies, non-profits and government entities: a role the catalog does not ask of a non-profit
  at all (Canadian and Singaporean non-profits name no owners) is the catalog's documented choice,
  not drift. Roles Stripe asks only in some cases (a minor's legal guardian, an authorizer) never
  appear in Country Specs;
- drift against live accounts: requirement paths in any account's `requirements` or
  `future_requirements` that no catalog field answers, with how many accounts and the earliest
  deadline. Accounts are read page by page, never one call per account.

Paths that no API call can send (not Account or Person parameters of the pinned API version) and
Stripe's risk reviews (`interv_…`) cannot be collected by any form; they are listed as `ignored`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from requirements_catalog import Version
from requirements_catalog.age import age

from ..gateway import Gateway, Page
from ..requirement_strings import general as general_form
from ..requirement_strings import read
from .status import field_for_requirement

ParamChecker = Callable[[str, str], bool]
ROLES = ("representative", "owners", "directors", "executives", "authorizers", "legal_guardians")
SOMETIMES_ROLES = frozenset({"legal_guardians", "authorizers"})  # asked for some accounts only; never in Specs
SPEC_KIND = {"individual": "individual", "company": "company", "non_profit": "company", "government_entity": "company"}


@dataclass(frozen=True)
class Drift:
    """One difference between the catalog and Stripe."""

    source: str  # country_specs | accounts
    country: str
    business_type: str | None
    field: str
    kind: str  # missing_from_catalog | not_required_by_stripe
    accounts: int | None = None
    deadline: str | None = None  # the earliest, ISO 8601
    required: str | None = None  # for Country Specs: minimum or eventually, as Stripe lists it


@dataclass
class Report:
    """What a check found."""

    as_of: date
    catalog_version: str
    reviewed_on: date
    fresh_until: date
    age_days: int
    stale: bool
    warning: bool
    drift: list[Drift] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: {"countries": 0, "accounts": 0})

    @property
    def ok(self) -> bool:
        """Return whether the catalog is fresh and matches Stripe."""
        return not self.stale and not self.drift

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (documented in the README)."""
        data = asdict(self)
        for key in ("as_of", "reviewed_on", "fresh_until"):
            data[key] = data[key].isoformat()
        return data


def collectable(path: str, is_param_path: ParamChecker) -> bool:
    """Return whether a form could send this path: an Account or Person parameter of the pinned API."""
    head, _, rest = path.partition(".")
    if head in ROLES:
        return is_param_path("persons.create", rest)
    return is_param_path("accounts.update", path)


def country_specs_drift(version: Version, specs: Iterable[dict[str, Any]], is_param_path: ParamChecker,
                        report: Report) -> None:
    """Compare every Country Spec with the catalog's countries and business types."""
    ignored = set(report.ignored)
    for spec in specs:
        report.checked["countries"] += 1
        code = spec["id"]
        country = version.country(code)
        if country is None:
            report.drift.append(Drift("country_specs", code, None, "*", "missing_from_catalog"))
            continue
        for business_type, fields in country.business_types.items():
            entry = spec["verification_fields"][SPEC_KIND[business_type]]
            answered: set[str] = set()
            asked_roles = {f.person_role for f in fields if f.person_role}
            for path in sorted(set(entry["minimum"]) | set(entry["additional"])):
                found = country.field_for(business_type, path)
                role = path.split(".", 1)[0]
                if found is not None:
                    answered.add(found.path)
                elif SPEC_KIND[business_type] != business_type and role in ROLES and role not in asked_roles:
                    continue  # the company entry's role, which this catalog does not ask of this business type
                elif not collectable(path, is_param_path):
                    ignored.add(path)
                else:
                    level = "minimum" if path in entry["minimum"] else "eventually"
                    report.drift.append(Drift("country_specs", code, business_type, path, "missing_from_catalog",
                                              required=level))
            report.drift += [Drift("country_specs", code, business_type, f.path, "not_required_by_stripe")
                             for f in fields if f.origin == "stripe" and f.path not in answered
                             and f.person_role not in SOMETIMES_ROLES]
    report.ignored = sorted(ignored)


def _deadline(hash_: dict[str, Any]) -> str | None:
    moment = hash_.get("current_deadline")
    return datetime.fromtimestamp(moment, timezone.utc).isoformat() if moment else None


def accounts_drift(version: Version, accounts: Iterator[dict[str, Any]], report: Report) -> None:
    """Count the requirement paths of live accounts that no catalog field answers."""
    found: dict[tuple[str, str | None, str], tuple[int, str | None]] = {}
    ignored = set(report.ignored)
    # Accounts of a country and business type ask much the same paths: answer each combination once.
    answered: dict[tuple[str, str, str], bool] = {}
    for account in accounts:
        report.checked["accounts"] += 1
        code = account.get("country") or ""
        country = version.country(code)
        business_type = account.get("business_type") or "individual"
        for hash_name in ("requirements", "future_requirements"):
            hash_ = account.get(hash_name) or {}
            paths = {p for key in ("currently_due", "eventually_due", "past_due") for p in hash_.get(key) or []}
            for path in sorted(paths):
                read_as = read(path)
                if not read_as.answerable_by_form:  # a risk review or a Stripe-only check: Stripe's own flow
                    ignored.add("interv_*" if read_as.kind == "risk_review" else path)
                    continue
                general = general_form(path)  # any person's path is answered alike
                memo = (code, business_type, general)
                if memo not in answered:
                    answered[memo] = country is not None and field_for_requirement(
                        country, business_type, path) is not None
                if answered[memo]:
                    continue
                key = (code, account.get("business_type"), general)
                count, deadline = found.get(key, (0, None))
                new = _deadline(hash_)
                found[key] = (count + 1, min(filter(None, (deadline, new)), default=None))
    report.drift += [Drift("accounts", country, business_type, path, "missing_from_catalog", count, deadline)
                     for (country, business_type, path), (count, deadline) in sorted(
                         found.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2]))]
    report.ignored = sorted(ignored)


def every_account(gateway: Gateway) -> Iterator[dict[str, Any]]:
    """Yield every connected account, one page of 100 at a time.

    A reader thread asks for the next page while this one is compared with the catalog: the pages
    still come one after another (each needs the last id of the one before), but the waiting for
    Stripe and the comparing overlap. Errors reach the caller as they happen.
    """
    pages: queue.Queue[Page | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        starting_after = None
        try:
            while not stop.is_set():
                page = gateway.list_accounts(limit=100, starting_after=starting_after)
                _offer(pages, page, stop)
                if not page.has_more or not page.data:
                    break
                starting_after = page.data[-1]["id"]
        except BaseException as exc:  # noqa: BLE001 (handed to the consumer, which raises it)
            _offer(pages, exc, stop)
            return
        _offer(pages, None, stop)

    reader = threading.Thread(target=read, name="catalog-check-accounts", daemon=True)
    reader.start()
    try:
        while (item := pages.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield from item.data
    finally:
        stop.set()  # the consumer stopped early (or failed): let the reader end
        reader.join(timeout=5)


def _offer(pages: queue.Queue[Any], item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def check(version: Version, gateway: Gateway, as_of: date, is_param_path: ParamChecker, *, warn_days: int = 30,
          accounts: Callable[[Iterator[dict[str, Any]]], Iterator[dict[str, Any]]] = lambda it: it) -> Report:
    """Run the whole check; `accounts` may wrap the account stream (a progress bar). Gateway errors propagate."""
    years = age(version.info.reviewed_on, as_of, warn_days)
    report = Report(as_of, version.id, version.info.reviewed_on, years.fresh_until, years.days, years.stale,
                    years.warning)
    country_specs_drift(version, gateway.list_country_specs(), is_param_path, report)
    accounts_drift(version, accounts(every_account(gateway)), report)
    return report


def render_text(report: Report) -> str:
    """Render a report for people reading cron mail."""
    state = "STALE" if report.stale else ("fresh, review due soon" if report.warning else "fresh")
    lines = [f"Catalog {report.catalog_version}, reviewed {report.reviewed_on}: {state} "
             f"({report.age_days} days old on {report.as_of}; fresh until {report.fresh_until})",
             f"Checked {report.checked['countries']} Country Specs and {report.checked['accounts']} accounts: "
             f"{len(report.drift)} difference(s)"]
    for drift in report.drift:
        where = f"{drift.country} {drift.business_type or '*'}"
        extra = f" ({drift.accounts} account(s), earliest deadline {drift.deadline or 'none'})" \
            if drift.source == "accounts" else ""
        lines.append(f"  [{drift.source}] {where}: {drift.field} {drift.kind.replace('_', ' ')}{extra}")
    if report.ignored:
        lines.append(f"Not collectable by any form (ignored): {', '.join(report.ignored)}")
    return "\n".join(lines) + "\n"
