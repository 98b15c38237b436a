"""Any value of the wrong type anywhere in a catalog file is a reported problem, never a crash."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import rtoml

from requirements_catalog import CatalogError
from tests.catalog.conftest import VERSION, MiniCatalog

WRONG = (5, "x", [], {}, [1], {"a": 1}, True)
# rtoml reads dates into freezegun's date class while the clock is set, and cannot write that class back.
pytestmark = pytest.mark.own_clock


def _places(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from _places(value, (*prefix, key))


def _replace(data: Any, place: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(data)
    target = changed
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = value
    return changed


@pytest.mark.parametrize("file", ["version.toml", "fields.toml", "countries/DE.toml", "lists/mcc.toml",
                                  "bank_formats.toml"])
def test_every_value_replaced_by_a_wrong_type_is_reported(mini: MiniCatalog, file: str) -> None:
    original = rtoml.loads(mini.path(file).read_text(encoding="utf-8"))
    tried = 0
    for place in list(_places(original)):
        for wrong in WRONG:
            mutated = _replace(original, place, wrong)
            if mutated == original:
                continue
            mini.path(file).write_text(rtoml.dumps(mutated), encoding="utf-8")
            try:
                mini.catalog().version(VERSION)
            except CatalogError as exc:
                assert exc.problems and all(p.file.startswith(VERSION) for p in exc.problems)
            tried += 1
    assert tried > 20
