"""Sign events exactly as Stripe does and deliver them to an endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# A delivery target: takes the raw payload and headers, returns the HTTP status it answered.
Target = Callable[[bytes, dict[str, str]], int]


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """Return the `Stripe-Signature` header value for a payload."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def http_target(url: str, timeout: float = 10.0) -> Target:
    """Return a target that POSTs each event to a URL."""

    def post(payload: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    return post


class Dispatcher:
    """Deliver events in the background, in the order they happened, like Stripe's webhook sender."""

    def __init__(self, target: Target, secret: str, clock: Callable[[], float]) -> None:
        self.target = target
        self.secret = secret
        self.clock = clock
        self.deliveries: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def send(self, event: dict[str, Any]) -> None:
        """Queue an event for delivery."""
        self._queue.put(event)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued event has been delivered (or failed)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)

    def close(self) -> None:
        """Stop the delivery thread after the queued events."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                self._deliver(event)
            finally:
                self._queue.task_done()

    def _deliver(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event, indent=2).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, self.secret, int(self.clock())),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            status = self.target(payload, headers)
        except Exception as exc:  # a broken endpoint must not stop the sandbox
            log.warning("webhook %s delivery failed: %s", event["id"], exc)
            status = 0
        self.deliveries.append({"event": event["id"], "type": event["type"], "status": status})
