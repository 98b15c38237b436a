"""The list contract, the same on every list endpoint: `limit`, `starting_after`, `ending_before`, `has_more`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from .helpers import US_BANK, create_account

Lister = Callable[[dict[str, Any]], Any]


def make_lister(api: stripe.StripeClient, kind: str) -> tuple[Lister, int]:
    """Create a few objects of a kind; return a function listing them and how many there are."""
    if kind == "accounts":
        for _ in range(5):
            create_account(api)
        return lambda params: api.v1.accounts.list(params=params), 5
    if kind == "country_specs":
        return lambda params: api.v1.country_specs.list(params=params), 45
    account = create_account(api, business_type="company", company={"name": "Rosen"})
    if kind == "persons":
        for n in range(5):
            api.v1.accounts.persons.create(account.id, params={"first_name": f"P{n}"})
        return lambda params: api.v1.accounts.persons.list(account.id, params=params), 5
    if kind == "external_accounts":
        for n in range(5):
            api.v1.accounts.external_accounts.create(account.id, params={
                "external_account": dict(US_BANK, account_number=f"00012345678{n}")})
        return lambda params: api.v1.accounts.external_accounts.list(account.id, params=params), 5
    assert kind == "events"
    for n in range(5):
        api.v1.accounts.update(account.id, params={"metadata": {"n": str(n)}})
    return lambda params: api.v1.events.list(params=params), 5


@pytest.mark.parametrize("kind", ["accounts", "persons", "external_accounts", "country_specs", "events"])
def test_list_contract(api: stripe.StripeClient, kind: str) -> None:
    list_page, total = make_lister(api, kind)

    everything = list_page({"limit": 100})
    ids = [item.id for item in everything.data]
    assert len(ids) == total == len(set(ids)) and everything.has_more is False
    assert everything.object == "list" and everything.url.startswith("/v1/")

    walked: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = list_page(params)
        assert len(page.data) <= 2
        walked += [item.id for item in page.data]
        assert page.has_more == (len(walked) < total)
        if not page.has_more:
            break
        params = {"limit": 2, "starting_after": page.data[-1].id}
    assert walked == ids

    before_last = list_page({"limit": 2, "ending_before": ids[-1]})
    assert [item.id for item in before_last.data] == ids[-3:-1]
    assert before_last.has_more is True  # paging backwards: more before this page
    assert list_page({"limit": 2, "ending_before": ids[2]}).has_more is False
    backwards = list_page({"limit": 2, "ending_before": ids[-1]}).auto_paging_iter()
    assert [item.id for item in backwards] == list(reversed(ids[:-1]))
    assert list_page({"limit": 2, "starting_after": ids[-1]}).data == []
    assert [item.id for item in list_page({}).data] == ids[:10]  # default limit 10

    with pytest.raises(stripe.InvalidRequestError) as excinfo:
        list_page({"starting_after": "obj_unknown"})
    assert excinfo.value.code == "resource_missing" and excinfo.value.param == "starting_after"


def test_accounts_list_by_creation_time(client: stripe.StripeClient) -> None:
    account = create_account(client)
    assert [a.id for a in client.v1.accounts.list(params={"created": {"gte": account.created}}).data] == [account.id]
    assert client.v1.accounts.list(params={"created": {"gt": account.created}}).data == []
    assert client.v1.accounts.list(params={"created": {"lt": account.created}}).data == []
