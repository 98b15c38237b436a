"""Fixtures for catalog tests: a small crafted version copied into a temporary directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from onboarding import create_app
from requirements_catalog import DEFAULT_ROOT, Catalog, CatalogError

MINI = Path(__file__).parent / "mini"
VERSION = "2030-01-01"


class MiniCatalog:
    """A writable copy of `tests/catalog/mini` with helpers to break it on purpose."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(MINI, root)

    def path(self, relative: str) -> Path:
        """Return a file of the test version."""
        return self.root / VERSION / relative

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace text that must occur in a file of the test version."""
        path = self.path(relative)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, relative: str, text: str) -> None:
        """Add text at the end of a file of the test version."""
        path = self.path(relative)
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    def catalog(self) -> Catalog:
        """Return a fresh catalog on the copy."""
        return Catalog(self.root)

    def problems(self) -> list[str]:
        """Return the load problems of the test version, as printed."""
        try:
            self.catalog().version(VERSION)
        except CatalogError as exc:
            return [str(p) for p in exc.problems]
        return []


@pytest.fixture
def mini(tmp_path: Path) -> MiniCatalog:
    """A crafted one-country catalog in a temporary directory."""
    return MiniCatalog(tmp_path / "versions")


@pytest.fixture
def catalog_app(tmp_path: Path) -> Iterator[Flask]:
    """An app for catalog commands on the shipped catalog (no database needed)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None, "SANDBOX_DELIVER_WEBHOOKS": False,
                      "STRIPE_WEBHOOK_SECRETS": ["whsec_test"]})
    yield app
    app.extensions["stripe_sandbox"].close()


@pytest.fixture
def mini_app(catalog_app: Flask, mini: MiniCatalog) -> Flask:
    """The same app on the crafted catalog."""
    catalog_app.extensions["catalog"] = mini.catalog()
    return catalog_app


@pytest.fixture
def shipped_copy(catalog_app: Flask, tmp_path: Path) -> Path:
    """A writable copy of the shipped catalog, used by `catalog_app`; return its root."""
    root = tmp_path / "shipped"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    catalog_app.extensions["catalog"] = Catalog(root)
    return root
