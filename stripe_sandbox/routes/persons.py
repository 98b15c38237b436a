"""`/v1/accounts/{account}/persons`: the people behind a company."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import Context, route
from ..errors import missing
from ..ids import new_id
from ..objects import merge, render_person
from ..state import Person
from .accounts import update_person_data, use_token
from .common import check_person_data, get_account, paginate

if TYPE_CHECKING:
    from ..core import Sandbox


def _person(sb: Sandbox, account_id: str, person_id: str) -> Person:
    person = sb.store.persons.get(person_id)
    if person is None or person.account != account_id:
        raise missing("person", person_id, "person")
    return person


def _apply(sb: Sandbox, person: Person, params: dict[str, Any]) -> None:
    account = get_account(sb, person.account)
    if token := params.get("person_token"):
        params = merge(use_token(sb, token, "person"), params)
    data = {k: v for k, v in params.items() if k not in ("expand", "person_token")}
    check_person_data(sb, data, "", account.country)
    update_person_data(person, data)
    if (data.get("relationship") or {}).get("representative"):
        # There is one representative: naming another takes the role from the previous one.
        for other in sb.store.persons_of(account.id):
            if other.id != person.id and (other.data.get("relationship") or {}).get("representative"):
                other.data["relationship"]["representative"] = False


def _render(sb: Sandbox, person: Person) -> dict[str, Any]:
    account = get_account(sb, person.account)
    return render_person(person, sb.evaluate(account))


@route("POST", "/v1/accounts/{account}/persons", "persons.create")
def create(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Create a person."""
    account = get_account(sb, ctx.args["account"])
    person = Person(new_id("person"), account.id, ctx.now)
    _apply(sb, person, ctx.params)
    sb.store.persons[person.id] = person
    return 200, _render(sb, person)


@route("POST", "/v1/accounts/{account}/persons/{person}", "persons.update")
def update(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Update a person."""
    get_account(sb, ctx.args["account"])
    person = _person(sb, ctx.args["account"], ctx.args["person"])
    _apply(sb, person, ctx.params)
    return 200, _render(sb, person)


@route("GET", "/v1/accounts/{account}/persons/{person}", "persons.retrieve")
def retrieve(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve a person."""
    get_account(sb, ctx.args["account"])
    return 200, _render(sb, _person(sb, ctx.args["account"], ctx.args["person"]))


@route("GET", "/v1/accounts/{account}/persons", "persons.list")
def list_persons(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """List an account's persons, newest first, optionally by relationship."""
    account = get_account(sb, ctx.args["account"])
    wanted = ctx.params.get("relationship") or {}
    persons = [p for p in sb.store.persons_of(account.id)
               if all(bool((p.data.get("relationship") or {}).get(k)) == v for k, v in wanted.items())]
    evaluation = sb.evaluate(account)
    items = [render_person(p, evaluation) for p in reversed(persons)]
    return 200, paginate(items, ctx.params, f"/v1/accounts/{account.id}/persons")


@route("DELETE", "/v1/accounts/{account}/persons/{person}", "persons.delete")
def delete(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Delete a person."""
    get_account(sb, ctx.args["account"])
    person = _person(sb, ctx.args["account"], ctx.args["person"])
    del sb.store.persons[person.id]
    return 200, {"id": person.id, "object": "person", "deleted": True}
