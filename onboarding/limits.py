"""Request rate limits (Flask-Limiter): the platform API per client address.

Flask-Limiter is the well-kept limiter for Flask: it counts atomically and answers 429 with
`Retry-After`. Counts live in `RATELIMIT_STORAGE_URI` (default `swept-memory://`, one count per process:
with several workers or hosts, point it at Redis or Memcached, `redis://host:6379`, so the limit
holds across them). The client address is `request.remote_addr`, which `TRUSTED_PROXIES` makes the
user's own behind a reverse proxy. Each app has its own limiter, so two apps in one process (tests,
a platform embedding two instances) never share counts.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage that forgets expired counts in the caller's thread (`swept-memory://`).

    The library sweeps expired counts from a `threading.Timer` started after each hit. Such a thread
    is not a daemon, and Python waits for it before a process ends: a command (`flask catalog check`
    from cron) ended only once it had fired, and never where the clock is moved by libfaketime (the
    suite's passes in the future), whose timed waits do not expire. Sweeping at most once a second in
    the thread that counts starts no thread at all. Counts are the same: reading a count checks its
    expiry anyway; the sweep only frees memory.
    """

    STORAGE_SCHEME = ["swept-memory"]
    SWEEP_EVERY = 1.0  # seconds

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the library's first timer, never started: nothing to wait for
        self.swept_at = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (overrides the library's private method)
        now = time.time()
        if now - self.swept_at >= self.SWEEP_EVERY:
            self.swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def api_limit() -> str:
    """Return the platform API's limit (`API_RATE_LIMIT`, Flask-Limiter's notation)."""
    return str(current_app.config.get("API_RATE_LIMIT") or "300 per minute")


def api_refused(error: RateLimitExceeded) -> ResponseReturnValue:
    """Answer an API call over the limit in the API's own error shape, with Retry-After for its window."""
    response = jsonify({"error": {"type": "rate_limit_error", "code": "rate_limited", "param": None,
                                  "message": f"Too many requests: the limit is {error.description}. Retry later."}})
    limiter: Limiter = current_app.extensions["rate_limiter"]
    window = limiter.current_limit
    wait = int(window.reset_at - time.time()) + 1 if window is not None else 60
    return response, 429, {"Retry-After": str(max(1, wait))}


def init_app(app: Flask) -> None:
    """Give the app its limiter and limit every call of the platform API (before authentication)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", "swept-memory://")
    # Flask-Limiter's own headers would also replace the Retry-After of a 503 (the database is away) on the API.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    limiter.limit(api_limit)(app.blueprints["api"])
    app.extensions["rate_limiter"] = limiter


# Staff logins (OWASP's "slow down online guessing" with device cookies): every attempt is counted
# before its password is checked, atomically, so parallel guesses cannot slip past a limit, and a
# refused one writes nothing. An account's limit counts guesses from browsers it never logged in
# from; a browser it did log in from carries a device cookie and has a budget of its own, so guessing
# from elsewhere does not lock the real person out.
LOGIN_LIMITS = {
    "address": "20 per 15 minutes",  # one client address, whichever accounts it tries
    "account": "5 per 15 minutes",  # one e-mail, from browsers without its device cookie
    "device": "5 per 15 minutes",  # one browser the account logged in from before
    "code": "5 per 15 minutes",  # second-factor codes after a right password
}


def _login_limit(kind: str) -> tuple[Limiter, RateLimitItem]:
    limiter: Limiter = current_app.extensions["rate_limiter"]
    return limiter, parse(str(current_app.config.get(f"LOGIN_LIMIT_{kind.upper()}") or LOGIN_LIMITS[kind]))


def allow(kind: str, identifier: str) -> bool:
    """Count one attempt of `kind` (`LOGIN_LIMITS`) for an identifier; return whether it is within the limit."""
    limiter, item = _login_limit(kind)
    return limiter.limiter.hit(item, "login", kind, identifier)


def forget(kind: str, identifier: str) -> None:
    """Drop the count of `kind` for an identifier (after a complete login: its owner got in)."""
    limiter, item = _login_limit(kind)
    limiter.limiter.clear(item, "login", kind, identifier)
