"""Locales: an explicit choice (`?lang=`, kept in the session), then `Accept-Language`, then English.

Message catalogs live in `onboarding/translations/<locale>/LC_MESSAGES/` as `.po` sources with
their compiled `.mo` files next to them (a test fails when a `.mo` is older than its `.po`).
Country and region names, dates and numbers come from Babel's locale data, not from the catalogs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from babel import Locale, negotiate_locale
import flask_babel
from flask import Flask, g, has_request_context, request, session
from flask_babel import Babel, get_locale

SUPPORTED_LOCALES = ("en", "de", "fr", "es", "it", "nl", "pt", "ja", "zh_Hans", "zh_Hant", "sv", "da", "fi", "nb",
                     "pl")
# Accept-Language tags that mean one of ours without naming it (Babel falls back to the bare language itself).
# Chinese by script: a browser names the script (zh-Hant-HK, Safari) or only the region (zh-HK, Chrome); Hong
# Kong, Macao and Taiwan write Traditional, the mainland, Singapore and Malaysia Simplified, and a bare "zh" is
# taken as Simplified. An explicit script wins over the region (zh-Hans-HK is Simplified).
ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_my": "zh_Hans", "zh_hans": "zh_Hans",
           "zh_hans_cn": "zh_Hans", "zh_hans_sg": "zh_Hans", "zh_hans_my": "zh_Hans", "zh_hans_hk": "zh_Hans",
           "zh_hans_mo": "zh_Hans", "zh_hk": "zh_Hant", "zh_mo": "zh_Hant", "zh_tw": "zh_Hant", "zh_hant": "zh_Hant",
           "zh_hant_hk": "zh_Hant", "zh_hant_mo": "zh_Hant", "zh_hant_tw": "zh_Hant",
           "no": "nb", "nn": "nb", "nn_no": "nb"}
SESSION_KEY = "locale"
_TRANSLATIONS = "onboarding.translations"  # the request's message catalog, in its environ
_LOCALE = "onboarding.locale"


def _from_header() -> str | None:
    preferred = [tag.replace("-", "_") for tag, _quality in request.accept_languages]
    return negotiate_locale(preferred, SUPPORTED_LOCALES, aliases=ALIASES)


def select_locale() -> str:
    """Pick the locale: `?lang=` (remembered), then the session, then `Accept-Language`, then English."""
    chosen = request.args.get("lang")
    if chosen in SUPPORTED_LOCALES:
        session[SESSION_KEY] = chosen
        return chosen
    remembered = session.get(SESSION_KEY)
    if remembered in SUPPORTED_LOCALES:
        return remembered
    return _from_header() or "en"


def _template_values() -> dict[str, Any]:
    current = locale_code()
    return {
        "html_lang": current.replace("_", "-"),
        "locales": _locale_names(),
        "current_locale": current,
    }


@functools.cache
def _locale_names() -> list[tuple[str, str]]:
    """Return each locale's name in its own language (for the switcher), computed once."""
    return [(code, Locale.parse(code).get_display_name(code).capitalize()) for code in SUPPORTED_LOCALES]


def locale_code() -> str:
    """Return this request's locale as a code (`en`, `zh_Hant`), looked up once a request."""
    return _once_a_request(_LOCALE, lambda: str(get_locale() or "en"))


def _once_a_request(key: str, look_up: Callable[[], Any]) -> Any:
    """Return `look_up()`, kept in the request's environ (not in `g`: an app context can outlive a request,
    in tests and the CLI); outside a request (a notification thread, the CLI), looked up every time."""
    if not has_request_context():
        return look_up()
    environ = request.environ
    found = environ.get(key)
    if found is None:
        found = environ[key] = look_up()
    return found


def init_app(app: Flask) -> None:
    """Attach Flask-Babel and give templates the locale switcher's values."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    # Flask-Babel's own callables look the locale and the catalog up again on every `_()`; a page makes dozens.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.context_processor(_template_values)
    app.jinja_env.globals["catalog_text"] = catalog_text


def restart_session() -> None:
    """Start a new session that keeps only the chosen language (a new link, a staff login).

    Whatever the old session held goes, its CSRF secret too, and Flask-WTF's signed form of that
    secret if this app context already made one.
    """
    locale = session.get(SESSION_KEY)
    session.clear()
    g.pop("csrf_token", None)
    if locale:
        session[SESSION_KEY] = locale


def catalog_text(message: str) -> str:
    """Return catalog text (a label, a help) translated, as plain text the template escapes.

    Not `_()`: Jinja's gettext marks its result safe and formats it with `%`, so a label such as
    "Ownership (%)" would fail and markup in catalog data would reach the page. Catalog text is data.
    """
    return str(translations().ugettext(message))


def translations() -> Any:
    """Return the message catalog of this request's locale, looked up once a request (Flask-Babel's own
    lookup outside a request)."""
    return _once_a_request(_TRANSLATIONS, flask_babel.get_translations)
