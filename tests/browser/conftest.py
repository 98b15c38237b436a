"""Browser tests: the service on a loopback port, driven by Debian's Chromium through Playwright.

No browser is downloaded: Playwright launches `/usr/bin/chromium` (scripts/test.sh installs it).
Without it the tests are skipped locally and fail in CI. Every page the tests visit is checked
with axe-core (bundled by axe-playwright-python): a violation fails the test.

The served apps run at TEST_NOW, like the rest of the suite (Chromium cannot run under libfaketime,
so this is what keeps these journeys independent of the day); Playwright keeps the real clock. The
fixtures live as long as this package's tests, so the clock is the real one again after them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from freezegun import freeze_time
from werkzeug.serving import make_server

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.migrate import upgrade
from tests.support.clock import TEST_NOW

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking switches Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
API_KEY = "platform-browser-key"
# Modules whose calls keep the real clock: Playwright's driver, its event loop and greenlets time their waits by it.
REAL_CLOCK = ["playwright", "greenlet", "asyncio", "pyee", "axe_playwright_python"]


@pytest.fixture(scope="package", autouse=True)
def browser_clock() -> Iterator[None]:
    """Set the clock of this process to TEST_NOW, ticking on, for the browser tests (and before Playwright starts)."""
    with freeze_time(TEST_NOW, tick=True, ignore=REAL_CLOCK):
        yield


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Start Playwright with Debian's Chromium once for the browser tests."""
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (scripts/ensure-system-packages.sh chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve an app on a free loopback port in a thread; yield its base URL; clean the app up after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        app.extensions["stripe_sandbox"].close()
        get_engine(app).dispose()


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """Serve the app (SQLite, in-process sandbox) on a loopback port for the browser tests."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app({"SECRET_KEY": "browser-tests", "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
                      "STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": None, "STRIPE_WEBHOOK_SECRETS": ["whsec_browser"],
                      "STRIPE_MAX_NETWORK_RETRIES": 0, "SANDBOX_DELIVER_WEBHOOKS": False,
                      "PLATFORM_API_KEY": API_KEY, "PLATFORM_NAME": "Makers Market"})
    upgrade(get_engine(app))
    with serve(app) as base:
        yield app, base


@pytest.fixture
def page(chromium: Any, live_app: tuple[Flask, str]) -> Iterator[Any]:
    """A fresh browser page (its own cookies) on a phone-sized screen.

    The service sends no JavaScript; JavaScript stays enabled only so that axe-core can run.
    """
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="package")
def axe() -> Axe:
    """The axe-core runner."""
    return Axe()
