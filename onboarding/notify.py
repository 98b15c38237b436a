"""Telling the platform: a small `Notifier` interface with an outgoing-webhook, an e-mail and a log implementation.

Chosen by configuration and kept in `app.extensions["notifier"]`:

- `NOTIFY_URL` (+ `NOTIFY_SECRET`): POST the JSON to the platform, signed like Stripe's webhooks
  (`Onboarding-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`);
- `NOTIFY_EMAIL` (+ `SMTP_HOST`, `SMTP_PORT`, `SMTP_FROM`): a plain-text e-mail from the template
  `email/notification.txt`, which a theme may replace (`onboarding/themes.py`);
- otherwise the log (a warning per notification), so nothing is lost silently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from functools import partial
from typing import Any, Protocol, runtime_checkable

from flask import Flask

from .themes import render_localized, render_text

log = logging.getLogger(__name__)


@runtime_checkable
class Notifier(Protocol):
    """Delivers one notification; raises on failure so that it is retried."""

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Deliver a notification."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """Return the `Onboarding-Signature` header value for a body."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Treat a redirect as the answer it is: a failure, never a second request elsewhere.

    A redirect would carry the signed body (and its signature header) to wherever the answer points,
    an internal address included.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Follow nothing: urllib then raises the 3xx as an HTTPError."""
        return None


class WebhookNotifier:
    """POST notifications as signed JSON to the platform's URL."""

    def __init__(self, url: str, secret: str | None, timeout: float = 5.0) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout
        # Platform endpoints are configured explicitly: no proxy from the environment in between, no redirects.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Post one notification; a non-2xx answer raises."""
        body = json.dumps({"type": kind, "data": payload}, sort_keys=True).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["Onboarding-Signature"] = signature(body, self.secret, int(time.time()))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with self.opener.open(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"{self.url} answered {response.status}")


def email_message(text: str, template: str, *, to: str, sender: str) -> EmailMessage:
    """Return an e-mail from a rendered template: its first line is the subject; after an empty line, the body."""
    head, blank, body = text.partition("\n\n")
    name, colon, subject = head.partition(":")
    if not blank or not colon or name.strip().lower() != "subject" or "\n" in head:
        raise ValueError(f"{template} must start with one 'Subject: ...' line and an empty line")
    message = EmailMessage()
    message["To"], message["From"] = to, sender
    message["Subject"] = subject.strip()
    message.set_content(body)
    return message


class EmailNotifier:
    """Send notifications as plain-text e-mail, written by the template `email/notification.txt` (themeable)."""

    TEMPLATE = "email/notification.txt"

    def __init__(self, to: str, sender: str, host: str, port: int, render: Callable[..., str]) -> None:
        self.to, self.sender, self.host, self.port, self.render = to, sender, host, port, render

    def compose(self, kind: str, payload: dict[str, Any]) -> EmailMessage:
        """Return a notification's e-mail: the template's first line is the subject; after an empty line, the body."""
        text = self.render(self.TEMPLATE, kind=kind, payload=payload, account=payload.get("account"),
                           details=json.dumps(payload, indent=2, sort_keys=True))
        return email_message(text, self.TEMPLATE, to=self.to, sender=self.sender)

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Send one e-mail."""
        message = self.compose(kind, payload)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


class UserMailer:
    """E-mail an account's own user (`user.*` notifications), in the language of the visit that caused it.

    The text is the template `email/<kind without "user.">.txt` (themeable), rendered with that language:
    its first line is the subject, then an empty line, then the body.
    """

    def __init__(self, sender: str, host: str, port: int, render: Callable[..., str]) -> None:
        self.sender, self.host, self.port, self.render = sender, host, port, render

    def compose(self, kind: str, payload: dict[str, Any]) -> EmailMessage:
        """Return the e-mail of a user notification."""
        name = f"email/{kind.removeprefix('user.')}.txt"
        text = self.render(name, payload.get("locale") or "en", payload=payload)
        return email_message(text, name, to=payload["to"], sender=self.sender)

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Send one e-mail to the user."""
        message = self.compose(kind, payload)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)


class Routed:
    """Send `user.*` notifications to the user's mailer, the others to the platform's notifier."""

    def __init__(self, platform: Notifier, user: Notifier) -> None:
        self.platform, self.user = platform, user

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Send one notification to whom it is for."""
        (self.user if kind.startswith("user.") else self.platform).send(kind, payload)


class LogNotifier:
    """Write notifications to the log when no channel is configured."""

    def send(self, kind: str, payload: dict[str, Any]) -> None:
        """Log one notification."""
        log.warning("notification %s: %s", kind, json.dumps(payload, sort_keys=True))


def init_app(app: Flask) -> None:
    """Choose the notifier from configuration."""
    config = app.config
    notifier: Notifier
    if config.get("NOTIFY_URL"):
        notifier = WebhookNotifier(config["NOTIFY_URL"], config.get("NOTIFY_SECRET"))
    elif config.get("NOTIFY_EMAIL"):
        notifier = EmailNotifier(config["NOTIFY_EMAIL"], config.get("SMTP_FROM") or "onboarding@localhost",
                                 config.get("SMTP_HOST") or "localhost", int(config.get("SMTP_PORT") or 25),
                                 render=partial(render_text, app))
        notifier.compose("account.action_required", {"account": 0})  # a theme's broken e-mail text stops the app now
    else:
        notifier = LogNotifier()
    if config.get("NOTIFY_USER_PAYOUT_CHANGES"):
        if not config.get("SMTP_HOST"):
            raise ValueError("NOTIFY_USER_PAYOUT_CHANGES e-mails users: set SMTP_HOST (and SMTP_FROM) too")
        mailer = UserMailer(config.get("SMTP_FROM") or "onboarding@localhost", config["SMTP_HOST"],
                            int(config.get("SMTP_PORT") or 25), render=partial(render_localized, app))
        mailer.compose("user.payout_account_changed", {"to": "user@example.com", "locale": "en", "current": []})
        notifier = Routed(notifier, mailer)
    app.extensions["notifier"] = notifier
