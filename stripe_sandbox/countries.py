"""Country Specs data: the fields Stripe asks for per country and business type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

# Stripe's Country Specs only distinguish individuals from companies; the other business
# types are legal entities and Stripe asks them the company's questions.
SPEC_KIND = {
    None: "individual",
    "individual": "individual",
    "company": "company",
    "non_profit": "company",
    "government_entity": "company",
}


class CountrySpecError(ValueError):
    """Raised when a Country Specs file cannot be used."""


@dataclass(frozen=True)
class FutureRequirement:
    """A requirement Stripe has announced for a later date."""

    countries: frozenset[str]
    business_types: frozenset[str]
    fields: tuple[str, ...]
    effective: int  # Unix time

    def applies(self, country: str, business_type: str | None) -> bool:
        """Return whether this entry concerns an account of that country and business type."""
        kind = SPEC_KIND.get(business_type, "company")
        return country in self.countries and (
            (business_type or "individual") in self.business_types or kind in self.business_types
        )


class CountrySpecs:
    """The Country Specs list, indexed by country."""

    def __init__(self, specs: list[dict[str, Any]], future: list[FutureRequirement] | None = None) -> None:
        self._specs = {spec["id"]: spec for spec in sorted(specs, key=lambda s: s["id"])}
        self.future = future or []

    def __contains__(self, country: object) -> bool:
        return country in self._specs

    def ids(self) -> list[str]:
        """Return the country codes in ascending order."""
        return list(self._specs)

    def get(self, country: str) -> dict[str, Any] | None:
        """Return the `country_spec` object for a country, or None."""
        return self._specs.get(country)

    def fields(self, country: str, business_type: str | None) -> tuple[list[str], list[str]]:
        """Return the (minimum, additional) verification fields for an account."""
        spec = self._specs.get(country)
        if spec is None:
            return [], []
        entry = spec["verification_fields"][SPEC_KIND.get(business_type, "company")]
        minimum, additional = list(entry["minimum"]), list(entry["additional"])
        if business_type is None:
            # Before the business type is known Stripe asks only what every type shares.
            minimum = [f for f in minimum if not f.startswith("individual.")]
            additional = [f for f in additional if not f.startswith("individual.")]
        return minimum, additional


def _parse_specs(payload: Any, origin: str) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and payload.get("object") == "list":
        payload = payload.get("data")
    if not isinstance(payload, list):
        raise CountrySpecError(f"{origin}: expected a country_specs list object or an array of country_spec")
    for index, spec in enumerate(payload):
        where = f"{origin}: data[{index}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
            raise CountrySpecError(f"{where}: a country_spec needs a string 'id'")
        fields = spec.get("verification_fields")
        for kind in ("individual", "company"):
            entry = (fields or {}).get(kind)
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(level), list) for level in ("minimum", "additional")
            ):
                raise CountrySpecError(
                    f"{where} ({spec['id']}): verification_fields.{kind} needs 'minimum' and 'additional' lists"
                )
        spec.setdefault("object", "country_spec")
    return payload


def _parse_future(payload: dict[str, Any]) -> list[FutureRequirement]:
    entries = []
    for entry in payload.get("entries", []):
        effective = datetime.combine(date.fromisoformat(entry["effective"]), datetime.min.time(), timezone.utc)
        entries.append(
            FutureRequirement(
                countries=frozenset(entry["countries"]),
                business_types=frozenset(entry["business_types"]),
                fields=tuple(entry["fields"]),
                effective=int(effective.timestamp()),
            )
        )
    return entries


def load_country_specs(path: str | Path | None = None) -> CountrySpecs:
    """Load Country Specs from a file in the list endpoint's shape, or the bundled default data.

    A file given explicitly replaces the bundled specs and carries no future requirements,
    so a test controls exactly what the sandbox asks for.
    """
    if path is not None:
        origin = str(path)
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CountrySpecError(f"{origin}: {exc}") from exc
        return CountrySpecs(_parse_specs(payload, origin))
    data = resources.files("stripe_sandbox") / "data"
    specs = _parse_specs(json.loads((data / "country_specs.json").read_text(encoding="utf-8")), "country_specs.json")
    future_file = data / "future_requirements.json"
    future = _parse_future(json.loads(future_file.read_text(encoding="utf-8"))) if future_file.is_file() else []
    return CountrySpecs(specs, future)
