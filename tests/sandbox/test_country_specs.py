"""Country Specs: the 45 countries, paging, retrieval, and a replacement file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stripe

from stripe_sandbox import Sandbox, load_country_specs
from stripe_sandbox.countries import CountrySpecError

from .helpers import Connect, create_account

COUNTRIES = sorted("AU AT BE BR BG CA HR CY CZ DK EE FI FR DE GI GR HK HU IN IE IT JP LV LI LT LU MY MT MX NL NZ NO "
                   "PL PT RO SG SK SI ES SE CH TH AE GB US".split())


def test_all_45_countries_in_one_page(api: stripe.StripeClient) -> None:
    page = api.v1.country_specs.list(params={"limit": 100})

    assert [spec.id for spec in page.data] == COUNTRIES
    assert page.has_more is False
    assert {spec.object for spec in page.data} == {"country_spec"}


def test_paging_by_ten(api: stripe.StripeClient) -> None:
    seen: list[str] = []
    params: dict = {"limit": 10}
    pages = 0
    while True:
        page = api.v1.country_specs.list(params=params)
        pages += 1
        assert len(page.data) == (10 if page.has_more else 5)
        seen += [spec.id for spec in page.data]
        if not page.has_more:
            break
        params = {"limit": 10, "starting_after": page.data[-1].id}
    assert pages == 5 and seen == COUNTRIES
    assert [s.id for s in api.v1.country_specs.list(params={"limit": 10}).auto_paging_iter()] == COUNTRIES
    assert api.v1.country_specs.list().data.__len__() == 10  # Stripe's default limit
    before = api.v1.country_specs.list(params={"limit": 3, "ending_before": "US"})
    assert [s.id for s in before.data] == COUNTRIES[-4:-1]  # the three just before US


def test_limit_out_of_range_is_refused(client: stripe.StripeClient) -> None:
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as excinfo:
            client.v1.country_specs.list(params={"limit": limit})
        assert excinfo.value.param == "limit"


def test_retrieve_us(api: stripe.StripeClient) -> None:
    us = api.v1.country_specs.retrieve("US")

    assert us.id == "US" and us.default_currency == "usd"
    assert "US" in us.supported_bank_account_currencies["usd"]
    individual = us.verification_fields.individual
    assert {"individual.ssn_last_4", "individual.id_number", "business_profile.mcc", "external_account",
            "tos_acceptance.date"} <= set(individual.minimum)
    assert "company.tax_id" in us.verification_fields.company.minimum


def test_retrieve_unknown_country(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        client.v1.country_specs.retrieve("ZZ")
    assert excinfo.value.http_status == 404 and excinfo.value.code == "resource_missing"


def test_a_specs_file_replaces_the_bundled_data(tmp_path: Path, connect: Connect) -> None:
    us = load_country_specs().get("US")
    assert us is not None
    us["verification_fields"]["individual"]["minimum"] = ["individual.first_name", "tos_acceptance.date"]
    path = tmp_path / "specs.json"
    path.write_text(json.dumps({"object": "list", "data": [us], "has_more": False, "url": "/v1/country_specs"}))
    sb = Sandbox(load_country_specs(path))
    client = connect(sb)

    assert [s.id for s in client.v1.country_specs.list(params={"limit": 100}).data] == ["US"]
    account = create_account(client)
    assert account.requirements.currently_due == ["individual.first_name", "tos_acceptance.date"]
    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        create_account(client, country="GB")
    assert excinfo.value.code == "country_unsupported"
    sb.close()


@pytest.mark.parametrize("content", ["not json", '{"object": "list", "data": [{"id": "US"}]}', "[1]"])
def test_a_bad_specs_file_is_reported(tmp_path: Path, content: str) -> None:
    path = tmp_path / "specs.json"
    path.write_text(content)
    with pytest.raises(CountrySpecError, match="specs.json"):
        load_country_specs(path)
