"""The independent SDK-parameter checker that guards every sandbox log in the suite."""

from __future__ import annotations

import pytest

from tests.support.sdk_params import check_log, unknown_params


def test_known_parameters_pass() -> None:
    params = {"country": "US", "individual": {"dob": {"day": 1, "month": 1, "year": 1901},
                                              "address": {"line1": "x"}, "verification": {"document": {"front": "f"}}},
              "metadata": {"anything": "goes"}, "capabilities": {"transfers": {"requested": True}},
              "controller": {"stripe_dashboard": {"type": "none"}}, "tos_acceptance": {"service_agreement": "full"}}
    assert unknown_params("accounts.create", params) == []
    assert unknown_params("persons.update", {"relationship": {"percent_ownership": 25.5, "owner": True}}) == []


@pytest.mark.parametrize("operation, params, unknown", [
    ("accounts.create", {"individual": {"shoe_size": 9}}, ["individual.shoe_size"]),
    ("accounts.update", {"country": "US"}, ["country"]),  # the country cannot change
    ("persons.create", {"relationship": {"ceo": True}}, ["relationship.ceo"]),
    ("external_accounts.create", {"external_account": {"object": "bank_account", "iban": "x"}},
     ["external_account.iban"]),
])
def test_unknown_parameters_are_named(operation: str, params: dict, unknown: list[str]) -> None:
    assert unknown_params(operation, params) == unknown


def test_check_log_reports_each_offending_request() -> None:
    log = [{"operation": "accounts.update", "method": "POST", "path": "/v1/accounts/acct_1",
            "params": {"individual": {"first_name": "A", "nickname": "B"}}},
           {"operation": "accounts.retrieve", "method": "GET", "path": "/v1/accounts/acct_1", "params": {}}]
    assert check_log(log) == ["POST /v1/accounts/acct_1 (accounts.update): individual.nickname"]
