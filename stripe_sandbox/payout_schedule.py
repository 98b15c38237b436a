"""`settings.payouts` of an account: the payout schedule, checked as Stripe checks it, per country.

What a schedule may be comes from stripe-python 16.1.0's `AccountUpdateParamsSettingsPayoutsSchedule`
(read 2026-12-07): `interval` is daily, weekly, monthly or manual (default daily); `weekly_anchor` (or
`weekly_payout_days`) is "required and applicable only if `interval` is `weekly`", `monthly_anchor` (1-31,
or `monthly_payout_days`) likewise for `monthly`; `delay_days` may be `minimum`, "the lowest available value
for the account country", which is also the default, and it "remains at the last configured value if
`interval` is `manual`". The answer (`Account.Settings.Payouts.Schedule`) shows the anchors "only if
`interval` is" theirs. Per country (`data/payout_schedules.json`): the lowest `delay_days`, and the
intervals a country allows. The wording of every refusal is ours.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .errors import invalid

PARAM = "settings[payouts][schedule]"
INTERVALS = ("daily", "weekly", "monthly", "manual")
# Which anchors go with which interval: kept while the interval is theirs, dropped when it changes.
ANCHORS = {"weekly": ("weekly_anchor", "weekly_payout_days"), "monthly": ("monthly_anchor", "monthly_payout_days")}


@cache
def _data() -> dict[str, Any]:
    path = resources.files("stripe_sandbox") / "data" / "payout_schedules.json"
    return json.loads(path.read_text(encoding="utf-8"))


def country_rules(country: str) -> dict[str, Any]:
    """Return a country's payout rules: lowest delay, allowed intervals, default interval.

    A country the file does not list gets 2 days and every interval (an assumption: the US rules).
    """
    row = _data()["countries"].get(country.upper(), {})
    return {"minimum_delay_days": row.get("minimum_delay_days", 2), "intervals": row.get("intervals", list(INTERVALS)),
            "default_interval": row.get("default_interval", "daily"), "delay_unit": row.get("delay_unit", "business")}


def default_schedule(country: str) -> dict[str, Any]:
    """Return the schedule of a new account in a country."""
    rules = country_rules(country)
    return {"delay_days": rules["minimum_delay_days"], "interval": rules["default_interval"]}


def updated_schedule(country: str, current: dict[str, Any] | None, update: dict[str, Any]) -> dict[str, Any]:
    """Return the schedule after an update, or raise Stripe's 400; nothing is changed here."""
    rules = country_rules(country)
    schedule = dict(current or default_schedule(country))
    interval = update.get("interval") or schedule["interval"]
    if interval not in rules["intervals"]:
        raise invalid(f"Payouts of accounts in {country} cannot be `{interval}`: the interval must be one of "
                      f"{', '.join(rules['intervals'])}.", f"{PARAM}[interval]")
    for other, names in ANCHORS.items():
        given = [n for n in names if update.get(n) not in (None, "")]
        if given and interval != other:
            raise invalid(f"`{given[0]}` applies only when `interval` is `{other}`.", f"{PARAM}[{given[0]}]")
    if interval != schedule["interval"]:
        for name in (n for names in ANCHORS.values() for n in names):
            schedule.pop(name, None)  # the old interval's anchors go with it
    for name in ANCHORS.get(interval, ()):
        if update.get(name) not in (None, ""):
            schedule[name] = update[name]
    _check_anchors(interval, schedule, update)
    schedule["interval"] = interval
    if "delay_days" in update:
        schedule["delay_days"] = _delay_days(update["delay_days"], rules, country)
    return schedule


def _check_anchors(interval: str, schedule: dict[str, Any], update: dict[str, Any]) -> None:
    names = ANCHORS.get(interval)
    if names is None:
        return
    if not any(schedule.get(n) not in (None, "", []) for n in names):
        raise invalid(f"Missing required param: {PARAM}[{names[0]}].", f"{PARAM}[{names[0]}]", "parameter_missing")
    days = schedule.get("monthly_payout_days") or []
    anchor = schedule.get("monthly_anchor")
    if interval == "monthly" and any(not 1 <= day <= 31 for day in ([anchor] if anchor is not None else []) + days):
        name = "monthly_anchor" if "monthly_anchor" in update else "monthly_payout_days"
        raise invalid("The day of the month must be between 1 and 31.", f"{PARAM}[{name}]")


def _delay_days(value: Any, rules: dict[str, Any], country: str) -> int:
    lowest, highest = rules["minimum_delay_days"], _data()["maximum_delay_days"]
    if value == "minimum":
        return int(lowest)
    if not lowest <= int(value) <= highest:
        raise invalid(f"`delay_days` for accounts in {country} must be between {lowest} and {highest} "
                      "(or `minimum`).", f"{PARAM}[delay_days]")
    return int(value)


def render(stored: dict[str, Any] | None, country: str, requirement_collection: str) -> dict[str, Any]:
    """Return the account's `settings.payouts` object."""
    stored = stored or {}
    schedule = dict(stored.get("schedule") or default_schedule(country))
    for interval, names in ANCHORS.items():
        if schedule.get("interval") != interval:
            for name in names:
                schedule.pop(name, None)
    # "The default value is `false` when `controller.requirement_collection` is `application` ... otherwise
    # `true`" (stripe-python 16.1.0 `Account.Settings.Payouts.debit_negative_balances`).
    debit = stored.get("debit_negative_balances")
    return {"debit_negative_balances": (requirement_collection != "application") if debit is None else bool(debit),
            "schedule": schedule, "statement_descriptor": stored.get("statement_descriptor")}
