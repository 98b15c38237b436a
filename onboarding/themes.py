"""Themes: a platform's own templates, looked up before the package's (like Indico's CustomizationLoader).

The theme folder is `THEME_TEMPLATES`, else `templates/` of the checkout when it exists (the folder
next to the `onboarding` package, when that folder holds the project's `pyproject.toml`; an installed
package has no checkout, and then no theme unless `THEME_TEMPLATES` names one). A `THEME_TEMPLATES`
that is not a folder stops the app at start.

How a template name is found (`loader`), in this order:

1. `onboarding/<name>` is the package's own template `<name>`, always (a `PrefixLoader`): a theme
   extends what it overrides, `{% extends "onboarding/base.html" %}` from its `base.html`, without
   reaching itself. The package's white-label pieces live in its own folder `onboarding/`
   (`onboarding/header.html`), so the prefix finds no `header.html` at the package's top and
   `onboarding/header.html` goes on to step 2; the package's own header is `onboarding/onboarding/header.html`.
2. Any other name, the theme's file of that name (`templates/wizard/step.html`, `templates/onboarding/header.html`).
3. The package's file (`onboarding/templates/`).

A theme file that step 1 always hides (`templates/onboarding/base.html`, where the package has a
`base.html`) would never be used: the app refuses to start with it rather than ignore it.

Every template is autoescaped except plain text (`.txt`, the e-mail texts): Flask escapes only
`.html`-like names, and a theme's partial named `.jinja` must not show catalog text unescaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

PREFIX = "onboarding"
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"


def default_folder(package: Path = Path(__file__).resolve().parent) -> Path | None:
    """Return the checkout's `templates/` if this package runs from a checkout that has one."""
    checkout = package.parent
    if not (checkout / "pyproject.toml").is_file():
        return None  # an installed package: its parent is site-packages, whose `templates/` is not ours
    folder = checkout / "templates"
    return folder if folder.is_dir() else None


def theme_folder(config: dict[str, Any]) -> Path | None:
    """Return the theme folder the configuration names, or the default; refuse one that is not a folder."""
    configured = config.get("THEME_TEMPLATES")
    if not configured:
        return default_folder()
    folder = Path(configured).resolve()
    if not folder.is_dir():
        raise ValueError(f"THEME_TEMPLATES {configured!r} is not a folder (unset it to use the package's templates)")
    return folder


def loader(theme: Path | None, package: Path = PACKAGE_TEMPLATES) -> BaseLoader:
    """Return the loader: `onboarding/<name>` from the package, then the theme, then the package."""
    own = FileSystemLoader(package)
    loaders: list[BaseLoader] = [PrefixLoader({PREFIX: own})]
    if theme is not None:
        loaders.append(FileSystemLoader(theme))
    loaders.append(own)
    return ChoiceLoader(loaders)


def check(theme: Path, package: Path = PACKAGE_TEMPLATES) -> None:
    """Refuse theme files that the `onboarding/` prefix always hides behind the package's own."""
    hidden = sorted(name for name in FileSystemLoader(theme).list_templates()
                    if name.startswith(f"{PREFIX}/") and (package / name.removeprefix(f"{PREFIX}/")).is_file())
    if hidden:
        plain = ", ".join(name.removeprefix(f"{PREFIX}/") for name in hidden)
        raise ValueError(f"theme {str(theme)!r}: {', '.join(hidden)} would never be used, since "
                         f"'{PREFIX}/<name>' always names the package's own template; put the file at {plain}")


def autoescape(name: str | None) -> bool:
    """Escape every template but plain text (`.txt`); a string template (no name) too."""
    return name is None or not name.endswith(".txt")


def render_text(app: Flask, name: str, **context: Any) -> str:
    """Render a plain-text template (an e-mail) outside any request, e.g. from the notifications thread.

    No context processors run (they read the request); the template gets `context` and `platform_name`.
    """
    with app.app_context():
        return app.jinja_env.get_template(name).render(platform_name=app.config.get("PLATFORM_NAME"), **context)


def render_localized(app: Flask, name: str, locale: str, **context: Any) -> str:
    """Render a plain-text template outside any request in a language (its `_()` translated into it)."""
    from flask_babel import force_locale

    with app.app_context(), force_locale(locale):
        return app.jinja_env.get_template(name).render(platform_name=app.config.get("PLATFORM_NAME"), **context)


def init_app(app: Flask) -> None:
    """Put the theme folder before the package's templates; a missing THEME_TEMPLATES stops the app."""
    theme = theme_folder(app.config)
    if theme is not None:
        check(theme)
    app.extensions["theme_folder"] = theme  # which folder is used, for `flask` shells and the tests
    app.jinja_loader = loader(theme)  # type: ignore[method-assign]  # werkzeug's cached_property takes a value
    app.jinja_env.autoescape = autoescape
