"""White-label pages: the platform's name, logo, colour and support contact; nothing from third parties."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from onboarding import create_app
from onboarding.branding import text_on
from tests.support.wizard import Wizard


def test_brand_settings_reach_every_page(app_config: dict[str, Any], tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    app = create_app({**app_config, "PLATFORM_NAME": "Makers Market", "PLATFORM_LOGO": str(logo),
                      "PLATFORM_COLOR": "#ffcc00", "PLATFORM_SUPPORT_EMAIL": "help@makers.example"})
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert '<img src="/brand/logo" alt="Makers Market">' in html
    assert '<link rel="stylesheet" href="/brand/theme.css">' in html and "<style" not in html
    theme = client.get("/brand/theme.css").get_data(as_text=True)
    assert "--brand: #ffcc00; --on-brand: #000000;" in theme  # dark text on a light brand colour
    assert 'href="mailto:help@makers.example"' in html
    with client.get("/brand/logo") as response:
        assert response.data == logo.read_bytes()
    app.extensions["stripe_sandbox"].close()


@pytest.mark.parametrize("setting, value, message", [
    ("PLATFORM_COLOR", "blue", "PLATFORM_COLOR must look like #1a2b3c"),
    ("PLATFORM_LOGO", "/nonexistent/logo.png", "is not a file"),
    ("PLATFORM_SUPPORT_URL", "javascript:alert(document.cookie)", "must be an absolute https URL"),
    ("PLATFORM_TERMS_URL", "http://evil.example\\@127.0.0.1/terms", "must be an absolute https URL"),
])
def test_bad_brand_settings_stop_the_app(app_config: dict[str, Any], setting: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app({**app_config, setting: value})


def test_text_colour_keeps_contrast() -> None:
    assert text_on("#000000") == "#ffffff" and text_on("#ffffff") == "#000000" and text_on("#2f4bd8") == "#ffffff"


def test_pages_load_nothing_from_elsewhere_and_need_no_javascript(client: FlaskClient) -> None:
    wizard = Wizard(client, "US")
    pages = [wizard.start().html, client.get("/").get_data(as_text=True),
             client.get("/onboarding").get_data(as_text=True)]
    for html in pages:
        assert "<script" not in html
        assert not re.search(r'<(?:link|img|iframe|source)[^>]+(?:src|href)="(?:https?:)?//', html)


def test_the_terms_step_links_the_agreements(client: FlaskClient, app: Any) -> None:
    app.config["PLATFORM_TERMS_URL"] = "https://platform.example/terms"
    wizard = Wizard(client, "US")
    wizard.start()
    html = client.get("/onboarding/step/terms").get_data(as_text=True)
    assert 'href="https://stripe.com/connect-account/legal/full"' in html
    assert 'href="https://platform.example/terms"' in html
