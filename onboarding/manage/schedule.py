"""The payout schedule on the account page: shown always, changed only within the platform's choices.

Stripe's `settings.payouts.schedule` (stripe-python 16.1.0 `AccountUpdateParamsSettingsPayoutsSchedule`):
`interval` (`daily`, `weekly`, `monthly`, `manual`), `weekly_anchor` for a weekly one (a day's name),
`monthly_anchor` for a monthly one (1-31; a shorter month pays on its last day), and `delay_days`
(`minimum` or a number of days, which Stripe refuses below the country's minimum). The platform
decides what its users may choose (`PAYOUT_SCHEDULE_INTERVALS`, `PAYOUT_DELAY_DAYS`); with none, the
page shows the schedule and no form. The form is a Flask-WTF form built from those settings, its
inputs named by Stripe's parameter paths so that Stripe's `param` errors land on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from ..wizard.forms import N_

INTERVALS = {"daily": N_("Every business day"), "weekly": N_("Every week"), "monthly": N_("Every month"),
             "manual": N_("Only when requested")}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PREFIX = "settings.payouts.schedule."


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse payout schedule settings Stripe would never accept."""
    unknown = [i for i in config.get("PAYOUT_SCHEDULE_INTERVALS") or [] if i not in INTERVALS]
    if unknown:
        raise ValueError(f"PAYOUT_SCHEDULE_INTERVALS: {', '.join(unknown)} is not one of {', '.join(INTERVALS)}")
    for delay in config.get("PAYOUT_DELAY_DAYS") or []:
        if delay != "minimum" and not (delay.isdigit() and int(delay) <= 31):
            raise ValueError(f"PAYOUT_DELAY_DAYS: {delay!r} is neither `minimum` nor a number of days up to 31")


@dataclass(frozen=True)
class Schedule:
    """A payout schedule as the page shows it."""

    interval: str
    anchor: str | None  # the weekday's or the day of the month's words, for weekly and monthly ones
    delay_days: int | None


def current(state: Mapping[str, Any], locale: str, translate: Callable[[str], str]) -> Schedule | None:
    """Return the account's schedule in words, or None when Stripe's answer had none."""
    schedule = ((state.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    interval = schedule.get("interval")
    if not interval:
        return None
    anchor = None
    if interval == "weekly" and schedule.get("weekly_anchor") in WEEKDAYS:
        anchor = _weekday_names(locale)[schedule["weekly_anchor"]]
    elif interval == "monthly" and schedule.get("monthly_anchor"):
        anchor = translate(N_("on day %(day)d of the month")) % {"day": int(schedule["monthly_anchor"])}
    words = translate(INTERVALS[interval]) if interval in INTERVALS else str(interval)  # a new one: as it is
    delay = schedule.get("delay_days")
    return Schedule(words, anchor, delay if isinstance(delay, int) else None)


def _weekday_names(locale: str) -> dict[str, str]:
    names = Locale.parse(locale).days["format"]["wide"]  # 0 is Monday in CLDR's numbering
    return {day: names[index] for index, day in enumerate(WEEKDAYS)}


class ScheduleForm(FlaskForm):
    """The payout schedule form; its fields are added per platform settings and language (`schedule_form`)."""


def schedule_form(intervals: list[str], delays: list[str], locale: str, translate: Callable[[str], str],
                  state: Mapping[str, Any], formdata: Any = None) -> ScheduleForm:
    """Return the form with the platform's choices, in the user's language, showing Stripe's schedule."""
    names = _weekday_names(locale)
    fields: dict[str, Any] = {
        "interval": SelectField(translate(N_("How often")), name=PREFIX + "interval",
                                choices=[SelectChoice(i, translate(INTERVALS[i])) for i in intervals]),
        "weekly_anchor": SelectField(translate(N_("Day of the week (weekly payouts)")), name=PREFIX + "weekly_anchor",
                                     choices=[SelectChoice(d, names[d]) for d in WEEKDAYS]),
        "monthly_anchor": SelectField(translate(N_("Day of the month (monthly payouts)")),
                                      name=PREFIX + "monthly_anchor",
                                      choices=[SelectChoice(str(d), str(d)) for d in range(1, 32)]),
    }
    if delays:
        fields["delay_days"] = SelectField(
            translate(N_("Days before funds are paid out")), name=PREFIX + "delay_days",
            choices=[SelectChoice(d, translate(N_("The shortest your country allows")) if d == "minimum" else d)
                     for d in delays])
    form_class = type("ScheduleFormFor", (ScheduleForm,), fields)
    schedule = ((state.get("settings") or {}).get("payouts") or {}).get("schedule") or {}
    shown = {"interval": schedule.get("interval"), "weekly_anchor": schedule.get("weekly_anchor") or "monday",
             "monthly_anchor": str(schedule.get("monthly_anchor") or 1),
             "delay_days": str(schedule.get("delay_days")) if str(schedule.get("delay_days")) in delays else None}
    return form_class(formdata=formdata, data=None if formdata is not None else shown)


def schedule_params(form: ScheduleForm) -> dict[str, Any]:
    """Return the account update's `settings.payouts.schedule` for a checked form (only its interval's anchor)."""
    interval = form.interval.data
    schedule: dict[str, Any] = {"interval": interval}
    if interval == "weekly":
        schedule["weekly_anchor"] = form.weekly_anchor.data
    elif interval == "monthly":
        schedule["monthly_anchor"] = int(form.monthly_anchor.data)
    if "delay_days" in form:
        delay = form.delay_days.data
        schedule["delay_days"] = delay if delay == "minimum" else int(delay)
    return {"settings": {"payouts": {"schedule": schedule}}}
