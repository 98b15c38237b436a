"""Every country and business type of the current catalog, from the link to an enabled account.

The journeys are generated from the catalog (tests/support/journey.py answers from its own data),
not listed: a country or business type added to the catalog gets its journey, and a catalog that
asks what an honest user cannot answer (an "if any" field made required, a label pointing at the
wrong parameter) fails here. The sandbox asks what Stripe documents for each country; the journey
ends when Stripe has nothing left to ask and payouts are enabled.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from requirements_catalog.store import DEFAULT_ROOT, Catalog
from tests.support.sdk_params import assert_log_uses_sdk_params
from tests.support.answers import Answers, parse_form
from tests.support.journey import Journey
from tests.support.wizard import Wizard

pytestmark = pytest.mark.first_pass_only  # under freezegun at TEST_NOW in every pass: see tests/conftest.py

# The newest version, approved or still a draft under review: what compliance signs off must already work.
NEWEST = Catalog().ids()[-1]
JOURNEYS = [(code, business_type) for code, country in sorted(Catalog().version(NEWEST).countries.items())
            for business_type in country.business_types]


@pytest.fixture(scope="module")
def newest_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a copy of the shipped catalog whose current version is the newest one."""
    root = tmp_path_factory.mktemp("catalog") / "versions"
    shutil.copytree(DEFAULT_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "CURRENT").write_text(NEWEST + "\n", encoding="utf-8")
    return root


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Run the journeys on SQLite only: the database is not what they test (the other suites cover PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'journeys.sqlite3'}"


@pytest.fixture
def app_config(app_config: dict[str, Any], newest_catalog: Path) -> dict[str, Any]:
    """Serve the newest catalog version."""
    return {**app_config, "CATALOG_PATH": str(newest_catalog)}


@pytest.fixture(scope="module")
def journey_app(newest_catalog: Path, tmp_path_factory: pytest.TempPathFactory,
                request: pytest.FixtureRequest) -> Iterator[Flask]:
    """Return one app for all the journeys: each makes its own account, and a new app per journey would
    compile every template and load the catalog again (four fifths of a journey's time)."""
    application = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key", "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None,
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('journeys') / 'journeys.sqlite3'}",
        "STRIPE_WEBHOOK_SECRETS": ["whsec_test_secret"], "STRIPE_MAX_NETWORK_RETRIES": 0,
        "SANDBOX_DELIVER_WEBHOOKS": False, "PLATFORM_API_KEY": "platform-test-key",
        "CATALOG_PATH": str(newest_catalog)})
    upgrade(get_engine(application))
    yield application
    sandbox = application.extensions["stripe_sandbox"]
    try:
        sandbox.close()
        assert_log_uses_sdk_params(sandbox.log, request.node)
    finally:
        get_engine(application).dispose()


@pytest.mark.parametrize("country, business_type", JOURNEYS, ids=[f"{c}-{b}" for c, b in JOURNEYS])
def test_every_journey_ends_enabled(journey_app: Flask, country: str, business_type: str) -> None:
    app = journey_app
    version = app.extensions["catalog"].version()
    assert version.id == NEWEST
    journey = Journey(app.test_client(), version, country, business_type)
    page = journey.run()
    state = journey.state()
    assert page.path == "/onboarding", journey.steps
    assert state["requirements"]["currently_due"] == [], (journey.steps, state["requirements"])
    assert state["payouts_enabled"] is True and state["onboarding"]["state"] == "enabled", state


def test_japanese_addresses_read_in_japanese_order(app: Flask) -> None:
    journey = Journey(app.test_client(), app.extensions["catalog"].version(), "JP", "individual")
    page = journey.run(until=lambda p: "individual.address_kanji.line1" in p.html)  # the business step answered
    for block in ("individual.address_kana", "individual.address_kanji"):
        order = [name.rsplit(".", 1)[1] for name in page.inputs() if name.startswith(block + ".")]
        # line2 (building and room) last: Stripe's "Japanese addresses" says it may be omitted.
        assert order == ["postal_code", "state", "city", "town", "line1", "line2"], (block, order)


@pytest.mark.parametrize("structure, asked", [("unincorporated_partnership", False), ("private_corporation", True)])
def test_a_structure_without_a_register_entry_is_not_asked_for_its_register_court(
        app: Flask, structure: str, asked: bool) -> None:
    client = app.test_client()
    wizard = Wizard(client, "DE", "company")
    page = wizard.start(collect="eventually_due")
    assert page.path == "/onboarding/step/business"
    assert "company.structure" in page.inputs() and "company.tax_id_registrar" in page.inputs()  # not given yet
    answers = Answers(app.extensions["catalog"].version(), "DE", "company").form(parse_form(page.html))
    response = wizard.submit(page, {**answers, "company.structure": structure, "company.tax_id_registrar": ""})
    if asked:  # a registered business must name its court on this link, which collects everything
        assert (response.status_code, Journey._refused(response.get_data(as_text=True))) == (
            422, ["company.tax_id_registrar"])
        response = wizard.submit(page, {**answers, "company.structure": structure,
                                        "company.tax_id_registrar": "Berlin (Charlottenburg)"})
    assert response.status_code == 303, Journey._refused(response.get_data(as_text=True))
    again = client.get("/onboarding/step/business").get_data(as_text=True)
    assert ('name="company.tax_id_registrar"' in again) is asked
    assert f'<option value="{structure}" selected>' in again  # the platform's own question, answered
