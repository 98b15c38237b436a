"""Locale selection and Babel set-up (the catalogs arrive with the onboarding forms)."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel

SUPPORTED_LOCALES = ("en",)


def select_locale() -> str:
    """Pick the locale: the `Accept-Language` header among the supported ones, else English."""
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


def init_app(app: Flask) -> None:
    """Attach Flask-Babel."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
