"""The walking skeleton: `flask accounts create` and `flask accounts show`."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from onboarding.db import get_engine
from onboarding.gateway import AccountsV1NotEnabled
from onboarding.models import ConnectedAccount, StripeWrite


def _create(runner: FlaskCliRunner, *args: str) -> Any:
    result = runner.invoke(args=["accounts", "create", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_create_prints_ids_and_currently_due(runner: FlaskCliRunner, app: Flask, sandbox: Any) -> None:
    data = _create(runner, "--country", "US", "--business-type", "individual", "--email", "a@example.com")
    assert data["stripe_id"].startswith("acct_") and data["stripe_id"] in sandbox.store.accounts
    assert data["id"] and data["id"] != data["stripe_id"]
    assert "individual.ssn_last_4" in data["requirements"]["currently_due"]
    assert data["catalog_version"] == app.extensions["catalog"].current_id()  # what its forms are built from
    assert data["requirements"]["disabled_reason"] == "requirements.past_due"
    with Session(get_engine(app)) as session:
        account = session.get(ConnectedAccount, data["id"])
        assert account is not None and account.stripe_id == data["stripe_id"] and account.country == "US"
        write = session.exec(select(StripeWrite)).one()
    assert write.status == "succeeded" and write.result_id == data["stripe_id"]
    assert sandbox.log[-1]["idempotency_key"] == write.idempotency_key


def test_show_by_either_id_and_refresh(runner: FlaskCliRunner, sandbox: Any) -> None:
    created = _create(runner, "--country", "GB", "--business-type", "company")
    for ident in (created["id"], created["stripe_id"]):
        shown = runner.invoke(args=["accounts", "show", ident])
        assert shown.exit_code == 0 and json.loads(shown.output)["id"] == created["id"]
    sandbox.store.accounts[created["stripe_id"]].data["business_profile"] = {"mcc": "5734"}
    refreshed = json.loads(runner.invoke(args=["accounts", "show", created["id"], "--refresh"]).output)
    assert "business_profile.mcc" not in refreshed["requirements"]["currently_due"]
    assert "business_profile.mcc" in created["requirements"]["currently_due"]


def test_unknown_account_and_bad_input_fail_clearly(runner: FlaskCliRunner) -> None:
    missing = runner.invoke(args=["accounts", "show", "nope"])
    assert missing.exit_code == 2 and "no account 'nope'" in missing.output
    bad_country = runner.invoke(args=["accounts", "create", "--country", "USA"])
    assert bad_country.exit_code == 2 and "two-letter" in bad_country.output
    unsupported = runner.invoke(args=["accounts", "create", "--country", "ZZ"])
    assert unsupported.exit_code == 1 and "country_unsupported" in unsupported.output


def test_stripe_refusal_leaves_no_local_account(runner: FlaskCliRunner, app: Flask) -> None:
    result = runner.invoke(args=["accounts", "create", "--country", "DE", "--business-type", "government_entity"])
    assert result.exit_code == 1
    with Session(get_engine(app)) as session:
        assert session.exec(select(ConnectedAccount)).all() == []
        write = session.exec(select(StripeWrite)).one()
    assert write.status == "failed" and write.error_message


def test_a_platform_without_accounts_v1_is_told_what_to_do(runner: FlaskCliRunner, app: Flask, sandbox: Any) -> None:
    sandbox.accounts_v1 = False
    result = runner.invoke(args=["accounts", "create", "--country", "US", "--business-type", "individual"])
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr == f"Error: {AccountsV1NotEnabled('').message}\n"  # one line
    assert "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support" in result.stderr
    assert sandbox.store.accounts == {}
    with Session(get_engine(app)) as session:
        assert session.exec(select(ConnectedAccount)).all() == []
        assert session.exec(select(StripeWrite)).one().status == "failed"


def test_db_upgrade_is_idempotent(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0 and "up to date" in result.output


def test_link_prints_a_single_use_url(runner: FlaskCliRunner, app: Flask) -> None:
    created = _create(runner, "--country", "DE", "--business-type", "individual")
    result = runner.invoke(args=["accounts", "link", created["id"], "--return-url", "https://p.example/back",
                                 "--refresh-url", "https://p.example/again"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["url"].startswith("http://127.0.0.1:5000/onboard/") and data["collect"] == "currently_due"
    assert data["type"] == "account_onboarding"
    opened = app.test_client().get(data["url"].removeprefix("http://127.0.0.1:5000"))
    assert opened.status_code == 303 and opened.headers["Location"] == "/onboarding/start"
    update = runner.invoke(args=["accounts", "link", created["id"], "--return-url", "https://p.example/back",
                                 "--refresh-url", "https://p.example/again", "--type", "account_update"])
    assert update.exit_code == 0 and json.loads(update.output)["type"] == "account_update"
    opened = app.test_client().get(json.loads(update.output)["url"].removeprefix("http://127.0.0.1:5000"))
    assert opened.status_code == 303 and opened.headers["Location"] == "/account"  # the account page
    bad = runner.invoke(args=["accounts", "link", created["id"], "--return-url", "ftp://x",
                              "--refresh-url", "https://p.example/again"])
    assert bad.exit_code == 2 and "return_url must be an absolute https URL" in bad.output
    assert runner.invoke(args=["accounts", "link", "nope", "--return-url", "https://a.example",
                               "--refresh-url", "https://a.example"]).exit_code == 2
