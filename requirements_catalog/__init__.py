"""The versioned requirements catalog: what each country and business type is asked, and how.

Data lives in `versions/<id>/` (TOML, one immutable version per review; see `loader.py` for the
layout) and `versions/CURRENT` names the version in use. This package does not import Flask or
`stripe`: the app keeps a `Catalog` in `app.extensions`, and `catalog validate` passes in the
gateway's check of Stripe parameter paths.
"""

from .diff import diff, render_text
from .model import COUNTRIES, CatalogError, CountryCatalog, Field, Option, Problem, Step, Version, VersionInfo
from .store import DEFAULT_ROOT, Catalog, StoreError

__all__ = [
    "COUNTRIES", "DEFAULT_ROOT", "Catalog", "CatalogError", "CountryCatalog", "Field", "Option", "Problem", "Step",
    "StoreError", "Version", "VersionInfo", "diff", "render_text",
]
