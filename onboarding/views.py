"""Pages shared by every blueprint: the start page and the sandbox banner."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show what this service is; end users arrive through onboarding links instead."""
    return render_template("index.html")


def _template_globals() -> dict[str, Any]:
    mode = current_app.config["STRIPE_MODE"]
    return {"platform_name": current_app.config["PLATFORM_NAME"], "stripe_mode": mode,
            "sandbox": mode != "stripe"}


def init_app(app: Flask) -> None:
    """Register the pages and the values every template sees."""
    app.register_blueprint(bp)
    app.context_processor(_template_globals)
