"""The catalog inside the app, and the loader's resolution checked against a plain re-implementation."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

from onboarding.catalog import get_catalog
from onboarding.config import load
from requirements_catalog import DEFAULT_ROOT, Catalog
from requirements_catalog.model import PERSON_PREFIXES


def test_the_app_keeps_one_catalog_and_loads_it_on_first_use(catalog_app: Flask) -> None:
    catalog = get_catalog(catalog_app)
    assert catalog.root == Path(catalog_app.config["CATALOG_PATH"]) == DEFAULT_ROOT
    assert catalog._loaded == {}  # nothing read at start-up
    assert catalog.version() is catalog.version() and catalog.version().id == catalog.current_id()


def test_catalog_path_comes_from_the_environment(tmp_path: Path) -> None:
    config = load(str(tmp_path), environ={"CATALOG_PATH": "/srv/catalog", "SECRET_KEY": "x"})
    assert config["CATALOG_PATH"] == "/srv/catalog"


def _naive(shared: dict[str, Any], country: dict[str, Any], table: dict[str, Any], path: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    role = head in PERSON_PREFIXES and rest
    layers = [shared["person"].get(rest)] if role else []
    layers.append(shared["fields"].get(path))
    for owner in (country, table):
        if role:
            layers.append(owner.get("person", {}).get(rest))
        layers.append(owner.get("fields", {}).get(path))
    merged: dict[str, Any] = {}
    for layer in filter(None, layers):
        for key, value in layer.items():
            merged[key] = {**merged.get(key, {}), **value} if key == "validation" else value
    return merged


def test_every_resolved_field_equals_a_plain_merge_of_its_definitions() -> None:
    """The loader shares resolved definitions between countries; that must never mix countries up."""
    version = Catalog().version()
    directory = DEFAULT_ROOT / version.id
    shared = tomllib.loads((directory / "fields.toml").read_text(encoding="utf-8"))
    checked = 0
    for path in sorted((directory / "countries").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for business_type, table in data["business_types"].items():
            for field in version.country(data["country"]).fields(business_type):
                expected = _naive(shared, data, table, field.path)
                assert (field.type, field.label, field.help, dict(field.validation)) == (
                    expected["type"], expected["label"], expected.get("help"), expected.get("validation", {})
                ), f"{path.name} {business_type} {field.path}"
                checked += 1
    assert checked > 4000
