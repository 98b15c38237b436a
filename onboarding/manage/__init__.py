"""After onboarding: the account page an update link opens (`/account`), where the user sees what Stripe holds.

An `account_update` link (see `services/links.py`) starts a visit like an onboarding link does, but
opens this page instead of the wizard. From here the user changes answers through the wizard's own
step pages, which an update visit shows with every question of the step prefilled from Stripe and
brings back here after saving (`wizard/views.py`, `Visiting.updating`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the account page."""
    from . import views

    app.register_blueprint(views.bp)
