"""Themes: a folder of templates before the package's own, with `onboarding/<name>` naming the package's template."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from jinja2 import FileSystemLoader

from onboarding import create_app
from onboarding.db import get_engine
from onboarding.themes import PACKAGE_TEMPLATES, default_folder
from tests.support.wizard import Wizard

CHECKOUT = Path(__file__).resolve().parent.parent
PAGES = [("index.html", {}), ("errors/server_error.html", {"reference": "0123456789ab"}),
         ("portal/link_invalid.html", {})]


def write(folder: Path, name: str, text: str) -> None:
    """Write one template of a theme."""
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Return a factory of apps on a throwaway SQLite file (nothing here reads the database); close them after."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "STRIPE_SECRET_KEY": None,
                          "STRIPE_API_BASE": None, "SANDBOX_DELIVER_WEBHOOKS": False, "THEME_TEMPLATES": None,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'themes.sqlite3'}", **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["stripe_sandbox"].close()
        get_engine(app).dispose()


def rendered(app: Flask, lang: str = "en") -> list[str]:
    """Render pages that show the whole frame (head, header, content, footer) as a request would."""
    pages = []
    for name, context in PAGES:
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            pages.append(render_template(name, **context))
    return pages


@pytest.fixture
def theme(tmp_path: Path) -> Path:
    """Return an empty theme folder."""
    folder = tmp_path / "theme"
    folder.mkdir()
    return folder


@pytest.fixture
def app_config(app_config: dict[str, Any], theme: Path) -> dict[str, Any]:
    """Use the test's theme folder (the `app` fixture's configuration)."""
    return {**app_config, "THEME_TEMPLATES": str(theme)}


def test_dropping_a_step_template_and_a_header_changes_the_page(theme: Path, app: Flask) -> None:
    write(theme, "wizard/step.html", '{% extends "onboarding/wizard/step.html" %}\n'
          '{% block content %}<p data-testid="theme-step">Step by {{ platform_name }}</p>{{ super() }}{% endblock %}')
    write(theme, "onboarding/header.html", '<header class="brand" data-testid="theme-header">Makers</header>')
    page = Wizard(app.test_client(), "US").start()
    assert "/step/" in page.path and page.response.status_code == 200
    html = page.html
    assert '<p data-testid="theme-step">Step by Onboarding</p>' in html  # the theme's step page...
    assert 'name="csrf_token"' in html and "Save and continue" in html  # ...around the package's, via the prefix
    assert '<header class="brand" data-testid="theme-header">Makers</header>' in html
    assert '<span class="name">' not in html  # the package's header is gone, on every page
    assert 'data-testid="theme-header"' in app.test_client().get("/").get_data(as_text=True)


def test_a_theme_base_extends_the_package_base(make_app: Callable[..., Flask], theme: Path) -> None:
    write(theme, "base.html", '{% extends "onboarding/base.html" %}\n'
          '{% block head %}<meta name="theme" content="makers">{% endblock %}\n'
          '{% block footer %}{{ super() }}<p data-testid="theme-footer">Makers Ltd</p>{% endblock %}')
    html = make_app(THEME_TEMPLATES=str(theme)).test_client().get("/?lang=de").get_data(as_text=True)
    assert '<meta name="theme" content="makers">\n</head>' in html
    assert 'class="locales"' in html and "Deutsch" in html  # the package's footer, through super()
    assert html.count("<footer>") == 1 and '</footer><p data-testid="theme-footer">Makers Ltd</p>' in html
    assert html.count("<main>") == 1 and "sandbox-banner" in html  # one frame, and the banner stays


def test_no_theme_renders_the_package_pages_unchanged(make_app: Callable[..., Flask], theme: Path,
                                                      tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    brand = {"PLATFORM_LOGO": str(logo), "PLATFORM_SUPPORT_EMAIL": "help@makers.example"}
    plain = make_app(**brand)
    assert plain.extensions["theme_folder"] == default_folder()  # the checkout's templates/, examples only
    package_only = make_app(**brand)
    package_only.jinja_loader = FileSystemLoader(PACKAGE_TEMPLATES)  # type: ignore[method-assign]  # Flask's own
    for example in (CHECKOUT / "templates").rglob("*.example"):  # the shipped examples, switched on
        target = theme / example.relative_to(CHECKOUT / "templates").with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(example, target)
    examples = make_app(THEME_TEMPLATES=str(theme), **brand)
    for lang in ("en", "ja"):
        expected = rendered(package_only, lang)
        assert rendered(plain, lang) == expected and rendered(examples, lang) == expected
    # The header and footer are included templates now; the markup around them is byte for byte what it was.
    page = rendered(plain)[0]
    assert ('</div>\n  \n  <header class="brand">\n    <img src="/brand/logo" alt="Onboarding">\n  </header>\n'
            '  <main>\n<h1>Onboarding</h1>') in page
    assert '</p>\n</main>\n  <footer>\n    \n    <p>Questions? Contact Onboarding:\n' in page
    assert page.endswith("    </nav>\n  </footer>\n</body>\n</html>")


@pytest.mark.parametrize("make_path, message", [
    (lambda tmp: tmp / "missing", "is not a folder"),
    (lambda tmp: tmp / "file.html", "is not a folder"),
])
def test_a_theme_folder_that_is_not_there_stops_the_app(make_app: Callable[..., Flask], tmp_path: Path,
                                                        make_path: Callable[[Path], Path], message: str) -> None:
    (tmp_path / "file.html").write_text("<p>not a folder</p>", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"THEME_TEMPLATES '.*' {message}"):
        make_app(THEME_TEMPLATES=str(make_path(tmp_path)))


def test_a_theme_file_the_prefix_hides_stops_the_app(make_app: Callable[..., Flask], theme: Path) -> None:
    write(theme, "onboarding/base.html", "<p>never used</p>")
    with pytest.raises(ValueError, match=r"onboarding/base\.html would never be used.*put the file at base\.html"):
        make_app(THEME_TEMPLATES=str(theme))


def test_the_package_never_hides_its_own_pieces_behind_the_prefix() -> None:
    pieces = [p.relative_to(PACKAGE_TEMPLATES / "onboarding") for p in (PACKAGE_TEMPLATES / "onboarding").rglob("*")]
    assert {"header.html", "footer.html"} <= {str(p) for p in pieces}
    # `onboarding/header.html` would name the package's top-level header.html, and no theme could override it.
    assert [p for p in pieces if (PACKAGE_TEMPLATES / p).exists()] == []


def test_theme_templates_are_escaped_whatever_their_name(make_app: Callable[..., Flask], theme: Path) -> None:
    write(theme, "onboarding/header.html", '<header class="brand">{% include "parts/name.jinja" %}</header>')
    write(theme, "parts/name.jinja", '{{ platform_name }}|{{ catalog_text(label) }}')
    app = make_app(THEME_TEMPLATES=str(theme), PLATFORM_NAME="<script>alert(1)</script>")
    with app.test_request_context("/?lang=de"):
        app.preprocess_request()
        html = render_template("index.html", label='<meta http-equiv="refresh" content="0">')
    assert "<script>" not in html and "<meta http-equiv" not in html
    assert ('<header class="brand">&lt;script&gt;alert(1)&lt;/script&gt;|'
            '&lt;meta http-equiv=&#34;refresh&#34; content=&#34;0&#34;&gt;</header>') in html


def test_the_checkout_templates_folder_is_the_default_and_an_installed_package_has_none(tmp_path: Path) -> None:
    assert default_folder() == CHECKOUT / "templates"
    checkout, site = tmp_path / "checkout", tmp_path / "site-packages"
    for root in (checkout, site):
        (root / "onboarding").mkdir(parents=True)
        (root / "templates").mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "onboarding"\n', encoding="utf-8")
    assert default_folder(checkout / "onboarding") == checkout / "templates"
    assert default_folder(site / "onboarding") is None  # another distribution's top-level templates/ is not ours
    shutil.rmtree(checkout / "templates")
    assert default_folder(checkout / "onboarding") is None


class FakeSMTP:
    """Stands in for smtplib.SMTP: keeps what would have been sent."""

    sent: list[EmailMessage] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_message(self, message: EmailMessage) -> None:
        self.sent.append(message)


def send_from_a_thread(app: Flask, kind: str, payload: dict[str, Any]) -> EmailMessage:
    """Send one notification e-mail from a thread with no app or request context, as the dispatcher does."""
    FakeSMTP.sent = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            app.extensions["notifier"].send(kind, payload)
        except BaseException as exc:  # noqa: BLE001 (reported to the test below)
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert errors == [] and len(FakeSMTP.sent) == 1
    return FakeSMTP.sent[0]


def test_the_notification_email_is_a_template_rendered_outside_requests(
        make_app: Callable[..., Flask], theme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("onboarding.notify.smtplib.SMTP", FakeSMTP)
    payload = {"account": 7, "stripe_id": "acct_1", "currently_due": ["individual.dob.day"], "note": '"<&>"'}
    email = {"NOTIFY_EMAIL": "ops@platform.example", "SMTP_FROM": "onboarding@platform.example"}
    message = send_from_a_thread(make_app(**email), "account.action_required", payload)
    assert message["Subject"] == "[onboarding] account.action_required: 7"  # as it was when built in code
    assert message["To"] == "ops@platform.example" and message["From"] == "onboarding@platform.example"
    assert message.get_content() == json.dumps(payload, indent=2, sort_keys=True) + "\n"  # plain text: not escaped

    write(theme, "email/notification.txt", "{# ours #}Subject: {{ platform_name }}: {{ payload.stripe_id }} needs you\n\n"
          "Open https://platform.example/accounts/{{ account }}\n{{ details }}")
    themed = send_from_a_thread(make_app(THEME_TEMPLATES=str(theme), PLATFORM_NAME="Makers", **email),
                                "account.action_required", payload)
    assert themed["Subject"] == "Makers: acct_1 needs you"
    assert themed.get_content().startswith('Open https://platform.example/accounts/7\n{\n  "account": 7,')


def test_an_email_template_without_a_subject_stops_the_app(make_app: Callable[..., Flask], theme: Path) -> None:
    write(theme, "email/notification.txt", "Hello {{ account }}\n")
    with pytest.raises(ValueError, match=r"must start with one 'Subject: \.\.\.' line"):
        make_app(THEME_TEMPLATES=str(theme), NOTIFY_EMAIL="ops@platform.example")
