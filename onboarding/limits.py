"""Request rate limits (Flask-Limiter): the platform API per client address.

Flask-Limiter is the well-kept limiter for Flask: it counts atomically and answers 429 with
`Retry-After`. Counts live in `RATELIMIT_STORAGE_URI` (default `memory://`, one count per process:
with several workers or hosts, point it at Redis or Memcached, `redis://host:6379`, so the limit
holds across them). The client address is `request.remote_addr`, which `TRUSTED_PROXIES` makes the
user's own behind a reverse proxy. Each app has its own limiter, so two apps in one process (tests,
a platform embedding two instances) never share counts.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage


class DaemonMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage whose expiry timers are daemon threads (`RATELIMIT_STORAGE_URI=daemon-memory://`).

    The library starts a non-daemon `threading.Timer` when the storage is made and after each hit, and
    Python waits for such threads before a process ends. A command (`flask catalog check` from cron)
    then ends only once the timer has fired, and never where the clock is moved by libfaketime (the
    suite's passes in the future), whose timed waits do not expire. A daemon timer never holds a
    process open; the counts are the same.
    """

    STORAGE_SCHEME = ["daemon-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the library's first timer, not a daemon: ends at once

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (overrides the library's private method)
        if not self.timer.is_alive():
            self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()


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
    app.config.setdefault("RATELIMIT_STORAGE_URI", "daemon-memory://")
    # Flask-Limiter's own headers would also replace the Retry-After of a 503 (the database is away) on the API.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    limiter.limit(api_limit)(app.blueprints["api"])
    app.extensions["rate_limiter"] = limiter
