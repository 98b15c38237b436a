"""The requirements catalog inside the app: one `Catalog` per process in `app.extensions`.

Versions are read from `CATALOG_PATH` (default: the `requirements_catalog/versions` directory of
this checkout). The current version is loaded on first use, not at start-up, and kept.
"""

from __future__ import annotations

from flask import Flask

from requirements_catalog import Catalog, CountryCatalog

from .models import ConnectedAccount


def init_app(app: Flask) -> None:
    """Keep a catalog for the configured directory."""
    app.extensions["catalog"] = Catalog(app.config["CATALOG_PATH"])


def account_country(app: Flask, account: ConnectedAccount) -> CountryCatalog | None:
    """Return the questions of the account's country in the catalog version it is onboarded with."""
    return get_catalog(app).version(account.catalog_version or None).country(account.country)


def get_catalog(app: Flask) -> Catalog:
    """Return the app's catalog."""
    return app.extensions["catalog"]
