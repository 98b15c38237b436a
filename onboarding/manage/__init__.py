"""After onboarding: the account page an update link opens (`/account`), where the user sees what Stripe holds.

An `account_update` link (see `services/links.py`) starts a visit like an onboarding link does, but
opens this page instead of the wizard. From here the user changes answers through the wizard's own
step pages, which an update visit shows with every question of the step prefilled from Stripe and
brings back here after saving (`wizard/views.py`, `Visiting.updating`).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Check the payout settings, register the account page and give it its cache of Stripe's payout reads."""
    from datetime import timedelta

    from ..services.payouts import OverviewCache
    from . import schedule, views

    schedule.check_settings(app.config)
    app.extensions["payouts_cache"] = OverviewCache(timedelta(seconds=app.config["PAYOUTS_CACHE_SECONDS"]))
    app.register_blueprint(views.bp)
