"""Onboarding: white-label Stripe Connect API onboarding as a Flask service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the app; `config` overrides the environment (tests pass a mapping here)."""
    from . import api, branding, catalog, catalog_cli, cli, config as settings, csrf, db, health, i18n, limits, portal
    from . import views
    from . import compliance, errors, hosted, notify, security, themes, webhooks
    from .gateway import setup as gateway_setup
    from .services import notifications
    from .wizard import views as wizard_views
    from . import manage

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.load(app.instance_path, overrides=config))
    branding.init_app(app)  # first: a bad brand setting stops the app before anything starts
    themes.init_app(app)  # the theme folder before the package's templates; a missing one stops the app too
    db.init_app(app)
    i18n.init_app(app)
    gateway_setup.init_app(app)
    notify.init_app(app)
    notifications.init_app(app)  # sends them from a thread of its own, after the commit that queued them
    catalog.init_app(app)
    views.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    portal.init_app(app)
    hosted.init_app(app)
    wizard_views.init_app(app)
    manage.init_app(app)  # the account page an update link opens
    app.register_blueprint(compliance.bp)
    errors.init_app(app)  # branded 5xx pages; 503 with Retry-After while the database is unavailable
    csrf.init_app(app)
    security.init_app(app)
    limits.init_app(app)  # the platform API's rate limit (Flask-Limiter)
    cli.init_app(app)
    catalog_cli.init_app(app)
    return app
