"""Configuration from the environment, with safe offline defaults.

| variable | default | meaning |
|---|---|---|
| `SECRET_KEY` | generated once into `instance/secret_key` | signs sessions and CSRF tokens |
| `DATABASE_URL` | `sqlite:///<instance>/onboarding.sqlite3` | any SQLAlchemy URL; PostgreSQL in production |
| `DATABASE_POOL_SIZE`, `DATABASE_MAX_OVERFLOW` | `10`, `30` | connections kept, and allowed beyond, per process |
| `STRIPE_SECRET_KEY` | unset: the in-process sandbox | a real key talks to Stripe |
| `STRIPE_API_BASE` | unset | send the SDK elsewhere, e.g. `python -m stripe_sandbox` |
| `STRIPE_WEBHOOK_SECRET` | unset (generated for the in-process sandbox) | comma-separated during rotation |
| `STRIPE_MAX_NETWORK_RETRIES` | `2` | SDK retries of connection errors, 409 and 5xx |
| `PLATFORM_API_KEY` | unset: the platform API is closed | bearer token for the platform's backend |
| `PLATFORM_NAME` | `Onboarding` | shown on every page |
| `PLATFORM_LOGO` | unset | a local PNG, JPEG, SVG or WebP file shown in every page's header |
| `PLATFORM_COLOR` | `#2f4bd8` | the brand colour (`#rrggbb`); text on it is black or white for contrast |
| `PLATFORM_SUPPORT_EMAIL`, `PLATFORM_SUPPORT_URL` | unset | the support contact shown in every page's footer |
| `PLATFORM_TERMS_URL` | unset | the platform's own terms, linked on the terms step |
| `THEME_TEMPLATES` | `templates/` of this checkout, when it exists | a folder of templates used before the package's own (`onboarding/themes.py`); one that is not a folder stops the app |
| `NOTIFY_URL`, `NOTIFY_SECRET` | unset | where to POST "account needs action" notifications (signed with the secret) |
| `NOTIFY_EMAIL`, `SMTP_HOST`, `SMTP_PORT`, `SMTP_FROM` | unset | or e-mail them; with neither, they are logged |
| `NOTIFY_USER_PAYOUT_CHANGES` | `0` | `1`: also e-mail the account's own address, in the user's language, when its payout account is replaced (needs `SMTP_HOST`) |
| `SESSION_COOKIE_SECURE` | `1` with `STRIPE_SECRET_KEY`, else `0` | send the session cookie over HTTPS only |
| `CATALOG_PATH` | `requirements_catalog/versions` of this checkout | the requirements catalog's versions |
| `PUBLIC_URL` | unset: the request's own address | the service's external address, for onboarding link URLs |
| `ONBOARDING_LINK_LIFETIME` | `3600` | seconds an onboarding link can be opened |
| `ONBOARDING_SESSION_LIFETIME` | `7200` | seconds an onboarding session lasts after its link was opened |
| `PAYOUT_CHANGE_MINUTES` | `15` | minutes after opening a link in which a payout account that exists may be replaced; later, the user opens a new link (0: no limit) |
| `PAYOUT_SCHEDULE_INTERVALS` | unset: users see the schedule but cannot change it | the payout intervals users may choose on their account page, comma-separated, of `daily`, `weekly`, `monthly`, `manual` |
| `PAYOUT_DELAY_DAYS` | unset: users do not choose it | the payout delays users may choose, comma-separated: `minimum` (the shortest the country allows) and numbers of days; Stripe refuses one below the country's minimum |
| `PAYOUTS_CACHE_SECONDS` | `60` | how long the balance and payouts page keeps what it read from Stripe, per account and process |
| `STAFF_PASSWORD_METHOD` | `scrypt:131072:8:1` | how staff passwords are hashed (werkzeug); weaker hashes are replaced at the next login |
| `TRUSTED_PROXIES` | `0` | reverse proxies in front that set `X-Forwarded-For`/`-Proto`/`-Host` (Werkzeug ProxyFix); 0 ignores those headers |
| `API_RATE_LIMIT` | `300 per minute` | calls to the platform API per client address (Flask-Limiter notation) |
| `RATELIMIT_STORAGE_URI` | `swept-memory://` | where rate-limit counts live: per process by default (in memory, `onboarding/limits.py`); `redis://…` to share them between workers and hosts |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from requirements_catalog import DEFAULT_ROOT as DEFAULT_CATALOG_ROOT

# Stands in for a key when the SDK talks to a sandbox server and no key was configured.
SANDBOX_KEY = "sk_test_sandbox"


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created readable by the owner only: it signs every session.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load(instance_path: str, environ: Mapping[str, str] = os.environ, overrides: Mapping[str, Any] | None = None
         ) -> dict[str, Any]:
    """Return the configuration: defaults, then the environment, then explicit overrides (tests)."""
    instance = Path(instance_path)
    overrides = dict(overrides or {})
    env = {k: v for k, v in environ.items() if v != ""}
    config: dict[str, Any] = {
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{instance / 'onboarding.sqlite3'}"),
        # A request can hold two connections at once (its own, and the outbox's for the key it commits
        # before a Stripe call): size + overflow should be at least twice the threads of a worker.
        "DATABASE_POOL_SIZE": int(env.get("DATABASE_POOL_SIZE", "10")),
        "DATABASE_MAX_OVERFLOW": int(env.get("DATABASE_MAX_OVERFLOW", "30")),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        "STRIPE_WEBHOOK_SECRETS": [s.strip() for s in env.get("STRIPE_WEBHOOK_SECRET", "").split(",") if s.strip()],
        "STRIPE_MAX_NETWORK_RETRIES": int(env.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        "PLATFORM_API_KEY": env.get("PLATFORM_API_KEY"),
        "PLATFORM_NAME": env.get("PLATFORM_NAME", "Onboarding"),
        "PLATFORM_LOGO": env.get("PLATFORM_LOGO"),
        "PLATFORM_COLOR": env.get("PLATFORM_COLOR"),
        "PLATFORM_SUPPORT_EMAIL": env.get("PLATFORM_SUPPORT_EMAIL"),
        "PLATFORM_SUPPORT_URL": env.get("PLATFORM_SUPPORT_URL"),
        "PLATFORM_TERMS_URL": env.get("PLATFORM_TERMS_URL"),
        "THEME_TEMPLATES": env.get("THEME_TEMPLATES"),
        "CATALOG_PATH": env.get("CATALOG_PATH", str(DEFAULT_CATALOG_ROOT)),
        "PUBLIC_URL": env.get("PUBLIC_URL"),
        "NOTIFY_URL": env.get("NOTIFY_URL"),
        "NOTIFY_SECRET": env.get("NOTIFY_SECRET"),
        "NOTIFY_EMAIL": env.get("NOTIFY_EMAIL"),
        "SMTP_HOST": env.get("SMTP_HOST"),
        "SMTP_PORT": env.get("SMTP_PORT"),
        "SMTP_FROM": env.get("SMTP_FROM"),
        "NOTIFY_USER_PAYOUT_CHANGES": env.get("NOTIFY_USER_PAYOUT_CHANGES", "0") not in ("0", "false", "no"),
        "ONBOARDING_LINK_LIFETIME": int(env.get("ONBOARDING_LINK_LIFETIME", "3600")),
        "ONBOARDING_SESSION_LIFETIME": int(env.get("ONBOARDING_SESSION_LIFETIME", "7200")),
        "PAYOUT_CHANGE_MINUTES": int(env.get("PAYOUT_CHANGE_MINUTES", "15")),
        "PAYOUT_SCHEDULE_INTERVALS": _listed(env.get("PAYOUT_SCHEDULE_INTERVALS", "")),
        "PAYOUT_DELAY_DAYS": _listed(env.get("PAYOUT_DELAY_DAYS", "")),
        "PAYOUTS_CACHE_SECONDS": int(env.get("PAYOUTS_CACHE_SECONDS", "60")),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "300 per minute"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "swept-memory://"),
        # werkzeug's method for staff passwords: OWASP's scrypt N=2^17, r=8, p=1 (128 MiB, ~0.4 s per login here).
        "STAFF_PASSWORD_METHOD": env.get("STAFF_PASSWORD_METHOD", "scrypt:131072:8:1"),
        "SANDBOX_DELIVER_WEBHOOKS": env.get("SANDBOX_DELIVER_WEBHOOKS", "1") not in ("0", "false", "no"),
        # How the in-process sandbox names requirements (`stripe_sandbox.requirements.NAMINGS`).
        "SANDBOX_REQUIREMENT_NAMING": env.get("SANDBOX_REQUIREMENT_NAMING", "documented"),
        # Two 10 MB document sides and the form fit; anything larger is refused (413) before it is read.
        "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies need HTTPS: the default with a real Stripe key, off for the offline service.
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1" if env.get("STRIPE_SECRET_KEY") else "0")
        not in ("0", "false", "no"),
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = env.get("SECRET_KEY") or _secret_key(instance)
    config["STRIPE_MODE"] = stripe_mode(config)
    return config


def _listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def stripe_mode(config: Mapping[str, Any]) -> str:
    """Return `stripe` (real Stripe), `sandbox-server` (another address) or `sandbox` (in-process)."""
    if config.get("STRIPE_API_BASE"):
        return "sandbox-server"
    if config.get("STRIPE_SECRET_KEY"):
        return "stripe"
    return "sandbox"
