"""White-label branding from configuration: name, logo, colour, support contact and terms link.

The logo is a local file served by this service (`/brand/logo`) and the colours a small stylesheet
(`/brand/theme.css`): pages load nothing from third parties and need no inline style. The text
colour on the brand colour is chosen for WCAG contrast.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, send_file
from flask.typing import ResponseReturnValue

from .services.links import check_url

bp = Blueprint("brand", __name__)
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml", "image/webp"}


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_on(colour: str) -> str:
    """Return black or white, whichever contrasts more with the colour."""
    luminance = _luminance(colour)
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def check(config: dict[str, Any]) -> None:
    """Refuse a brand configuration that would break or endanger pages (a bad colour, an odd logo, a bad link)."""
    colour = config.get("PLATFORM_COLOR")
    if colour and not COLOUR.fullmatch(colour):
        raise ValueError(f"PLATFORM_COLOR must look like #1a2b3c, not {colour!r}")
    logo = config.get("PLATFORM_LOGO")
    if logo:
        path = Path(logo)
        if not path.is_file():
            raise ValueError(f"PLATFORM_LOGO {logo!r} is not a file")
        if mimetypes.guess_type(path.name)[0] not in LOGO_TYPES:
            raise ValueError("PLATFORM_LOGO must be a PNG, JPEG, SVG or WebP image")
    for name in ("PLATFORM_SUPPORT_URL", "PLATFORM_TERMS_URL"):
        if config.get(name):  # linked on every page: `javascript:` or a look-alike host would run or mislead there
            check_url(name, config[name])


@bp.get("/brand/theme.css")
def theme() -> ResponseReturnValue:
    """Serve the brand colours as CSS custom properties (no inline styles: the CSP allows none)."""
    values = _template_values()
    css = f":root {{ --brand: {values['brand_color']}; --on-brand: {values['brand_text']}; }}\n"
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=300"}


@bp.get("/brand/logo")
def logo() -> ResponseReturnValue:
    """Serve the platform's logo."""
    path = current_app.config.get("PLATFORM_LOGO")
    if not path:
        abort(404)
    return send_file(Path(path).resolve(), max_age=3600)


def _template_values() -> dict[str, Any]:
    config = current_app.config
    colour = config.get("PLATFORM_COLOR") or "#2f4bd8"
    return {"brand_color": colour, "brand_text": text_on(colour), "brand_logo": bool(config.get("PLATFORM_LOGO")),
            "support_email": config.get("PLATFORM_SUPPORT_EMAIL"), "support_url": config.get("PLATFORM_SUPPORT_URL"),
            "platform_terms_url": config.get("PLATFORM_TERMS_URL")}


def init_app(app: Flask) -> None:
    """Check the brand settings and give every template their values."""
    check(app.config)
    app.register_blueprint(bp)
    app.context_processor(_template_values)
