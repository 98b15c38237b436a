"""`CountryCatalog.field_for` looks requirements up in an index; it must answer as a scan of every field would."""

from __future__ import annotations

from requirements_catalog import DEFAULT_ROOT, Catalog, CountryCatalog, Field


def _scan(country: CountryCatalog, business_type: str, requirement: str) -> Field | None:
    matches = [f for f in country.business_types.get(business_type, ()) if f.covers(requirement)]
    return max(matches, key=lambda f: (requirement in f.answers, len(f.path)), default=None)


def test_the_index_answers_as_a_scan_of_every_field() -> None:
    version = Catalog(DEFAULT_ROOT).version()
    asked = 0
    for code in version.countries:
        country = version.country(code)
        assert country is not None
        for business_type, fields in country.business_types.items():
            paths = {"", "unknown", "unknown.path"}
            for f in fields:  # the paths themselves, deeper ones, look-alikes and parents
                paths |= {f.path, *f.answers, f"{f.path}.part", f"{f.path}x", f.path.rpartition(".")[0]}
            for path in sorted(paths):
                assert country.field_for(business_type, path) is _scan(country, business_type, path), path
                asked += 1
    assert asked > 10_000
