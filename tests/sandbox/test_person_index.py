"""The store's persons are indexed by account: `persons_of` answers what a scan of every person would."""

from __future__ import annotations

import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.state import Person, PersonTable, Store

from .helpers import create_account


def _scan(table: PersonTable, account: str) -> list[str]:
    return [p.id for p in table.values() if p.account == account]


def test_the_index_follows_every_change_in_creation_order() -> None:
    table = PersonTable()
    for n, account in enumerate(["acct_a", "acct_b", "acct_a", "acct_c", "acct_a", "acct_b"]):
        table[f"person_{n}"] = Person(f"person_{n}", account, n)
    table["person_2"] = Person("person_2", "acct_a", 2, {"first_name": "Ada"})  # an update keeps its place
    del table["person_0"]
    assert table.pop("person_3").account == "acct_c"
    assert table.pop("missing", None) is None
    table.update({"person_9": Person("person_9", "acct_c", 9)})
    table.setdefault("person_10", Person("person_10", "acct_b", 10))
    table.setdefault("person_10", Person("person_10", "acct_z", 11))  # present: not replaced
    for account in ("acct_a", "acct_b", "acct_c", "acct_z"):
        assert [p.id for p in table.of(account)] == _scan(table, account)
    assert [p.id for p in table.of("acct_a")] == ["person_2", "person_4"]
    assert table.of("acct_a")[0].data == {"first_name": "Ada"}
    person_id, _ = table.popitem()
    assert person_id == "person_10" and table.of("acct_b") == [table["person_1"], table["person_5"]]
    table.clear()
    assert table.of("acct_a") == [] and len(table) == 0


def test_a_person_moved_to_another_account_is_reindexed() -> None:
    table = PersonTable()
    table["person_1"] = Person("person_1", "acct_a", 1)
    table["person_1"] = Person("person_1", "acct_b", 1)
    assert table.of("acct_a") == [] and [p.id for p in table.of("acct_b")] == ["person_1"]


def test_the_store_uses_the_index(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    assert isinstance(Store().persons, PersonTable)
    first, second = create_account(client, business_type="company"), create_account(client, business_type="company")
    made = [client.v1.accounts.persons.create(account.id, params={"first_name": name})
            for account, name in ((first, "Ada"), (second, "Alan"), (first, "Grace"))]
    client.v1.accounts.persons.delete(first.id, made[0].id)
    assert [p.id for p in sandbox.store.persons_of(first.id)] == [made[2].id] == _scan(sandbox.store.persons, first.id)
    assert [p.id for p in client.v1.accounts.persons.list(second.id).data] == [made[1].id]
