"""`settings.payouts`: the payout schedule per country, its checks, and `debit_negative_balances`."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .helpers import create_account, error_of

PARAM = "settings[payouts][schedule]"


def schedule_update(api: stripe.StripeClient, account_id: str, **schedule: Any) -> stripe.Account:
    """Update an account's payout schedule."""
    return api.v1.accounts.update(account_id, params={"settings": {"payouts": {"schedule": schedule}}})


def refusal(api: stripe.StripeClient, account_id: str, **schedule: Any) -> dict[str, Any]:
    """Return the error Stripe's 400 carries for a schedule update."""
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        schedule_update(api, account_id, **schedule)
    assert excinfo.value.http_status == 400
    return error_of(excinfo)


@pytest.mark.parametrize(("country", "delay_days", "interval"), [
    ("US", 2, "daily"), ("GB", 3, "daily"), ("BR", 30, "daily"), ("JP", 4, "manual"), ("SG", 7, "daily"),
])
def test_a_new_account_has_its_countrys_schedule(client: stripe.StripeClient, country: str, delay_days: int,
                                                 interval: str) -> None:
    payouts = create_account(client, country=country).settings.payouts
    assert payouts.schedule.to_dict() == {"delay_days": delay_days, "interval": interval}
    assert payouts.debit_negative_balances is False  # requirement_collection=application
    assert payouts.statement_descriptor is None


def test_debit_negative_balances_defaults_true_where_stripe_collects(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"country": "US", "controller": {
        "requirement_collection": "stripe", "stripe_dashboard": {"type": "express"},
        "fees": {"payer": "application"}, "losses": {"payments": "application"}},
        "capabilities": {"transfers": {"requested": True}}})
    assert account.settings.payouts.debit_negative_balances is True
    updated = client.v1.accounts.update(account.id, params={"settings": {"payouts": {
        "debit_negative_balances": False, "statement_descriptor": "ACME PAYOUT"}}})
    assert updated.settings.payouts.debit_negative_balances is False
    assert updated.settings.payouts.statement_descriptor == "ACME PAYOUT"


def test_weekly_monthly_and_back(api: stripe.StripeClient) -> None:
    account = create_account(api)
    weekly = schedule_update(api, account.id, interval="weekly", weekly_anchor="friday", delay_days=5)
    assert weekly.settings.payouts.schedule.to_dict() == {"delay_days": 5, "interval": "weekly",
                                                          "weekly_anchor": "friday"}
    monthly = schedule_update(api, account.id, interval="monthly", monthly_anchor=31)
    assert monthly.settings.payouts.schedule.to_dict() == {"delay_days": 5, "interval": "monthly",
                                                           "monthly_anchor": 31}
    manual = schedule_update(api, account.id, interval="manual")
    assert manual.settings.payouts.schedule.to_dict() == {"delay_days": 5, "interval": "manual"}  # delay kept
    daily = schedule_update(api, account.id, interval="daily", delay_days="minimum")
    assert daily.settings.payouts.schedule.to_dict() == {"delay_days": 2, "interval": "daily"}
    again = schedule_update(api, account.id, interval="weekly", weekly_payout_days=["monday", "thursday"])
    assert again.settings.payouts.schedule.weekly_payout_days == ["monday", "thursday"]
    assert api.v1.accounts.retrieve(account.id).settings.payouts.schedule.interval == "weekly"


def test_a_schedule_change_is_an_account_updated_event(sandbox: Any, client: stripe.StripeClient) -> None:
    account = create_account(client)
    schedule_update(client, account.id, interval="weekly", weekly_anchor="monday")
    event = list(sandbox.store.events.values())[-1]
    assert event["type"] == "account.updated"
    assert event["data"]["previous_attributes"]["settings"]["payouts"]["schedule"]["interval"] == "daily"


def test_schedule_refusals(client: stripe.StripeClient) -> None:
    account = create_account(client)
    assert refusal(client, account.id, interval="weekly")["param"] == f"{PARAM}[weekly_anchor]"
    assert refusal(client, account.id, interval="weekly")["code"] == "parameter_missing"
    assert refusal(client, account.id, interval="monthly")["param"] == f"{PARAM}[monthly_anchor]"
    assert refusal(client, account.id, interval="monthly", monthly_anchor=32)["param"] == f"{PARAM}[monthly_anchor]"
    assert refusal(client, account.id, interval="monthly", monthly_anchor=0)["param"] == f"{PARAM}[monthly_anchor]"
    assert refusal(client, account.id, interval="daily", weekly_anchor="monday")["param"] == f"{PARAM}[weekly_anchor]"
    assert refusal(client, account.id, delay_days=1)["param"] == f"{PARAM}[delay_days]"  # below the US's 2
    assert refusal(client, account.id, delay_days=32)["param"] == f"{PARAM}[delay_days]"
    assert "must be one of" in refusal(client, account.id, interval="hourly")["message"]
    assert "must be one of" in refusal(client, account.id, weekly_anchor="someday", interval="weekly")["message"]
    # Nothing of a refused update was kept.
    assert client.v1.accounts.retrieve(account.id).settings.payouts.schedule.to_dict() == {
        "delay_days": 2, "interval": "daily"}


@pytest.mark.parametrize(("country", "interval"), [("BR", "weekly"), ("IN", "manual"), ("JP", "daily")])
def test_countries_with_fixed_schedules_refuse_other_intervals(client: stripe.StripeClient, country: str,
                                                              interval: str) -> None:
    account = create_account(client, country=country)
    extra = {"weekly_anchor": "monday"} if interval == "weekly" else {}
    assert refusal(client, account.id, interval=interval, **extra)["param"] == f"{PARAM}[interval]"


def test_delay_days_at_or_above_the_countrys_minimum(client: stripe.StripeClient) -> None:
    account = create_account(client, country="SG")
    assert refusal(client, account.id, delay_days=6)["param"] == f"{PARAM}[delay_days]"
    assert schedule_update(client, account.id, delay_days=10).settings.payouts.schedule.delay_days == 10
    assert schedule_update(client, account.id, delay_days="minimum").settings.payouts.schedule.delay_days == 7


def test_a_schedule_given_at_creation(client: stripe.StripeClient) -> None:
    account = create_account(client, settings={"payouts": {"schedule": {"interval": "monthly", "monthly_anchor": 15}}})
    assert account.settings.payouts.schedule.to_dict() == {"delay_days": 2, "interval": "monthly",
                                                           "monthly_anchor": 15}
