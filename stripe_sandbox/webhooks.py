"""Sign events exactly as Stripe does and deliver them to an endpoint, retrying failures with backoff."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# A delivery target: takes the raw payload and headers, returns the HTTP status it answered.
Target = Callable[[bytes, dict[str, str]], int]

MINUTE, HOUR = 60.0, 3600.0


def _waits(*offsets: float) -> tuple[float, ...]:
    """Turn retry times counted from the first attempt into the wait after each failed attempt."""
    return tuple(later - earlier for earlier, later in zip((0.0, *offsets), offsets))


# When a failed delivery is tried again, as waits in seconds after each failed attempt. Stripe documents
# the shape only (docs.stripe.com/webhooks, "Event delivery behaviors", read 2026-12-06): in live mode it
# keeps trying "for up to 3 days with an exponential back off", in test mode it "retries three times over
# a few hours". The times themselves are an assumption (stripe_sandbox/README.md).
RETRY_SCHEDULES: dict[str, tuple[float, ...]] = {
    "live": _waits(5 * MINUTE, 30 * MINUTE, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 24 * HOUR, 48 * HOUR,
                   72 * HOUR),
    "test": _waits(5 * MINUTE, 1 * HOUR, 3 * HOUR),
    "none": (),
}


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """Return the `Stripe-Signature` header value for a payload."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answer a redirect with its own status: Stripe counts a 3xx as a failed delivery, and follows none."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def http_target(url: str, timeout: float = 10.0) -> Target:
    """Return a target that POSTs each event to a URL."""
    opener = urllib.request.build_opener(_NoRedirects())

    def post(payload: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=timeout) as response:  # noqa: S310 (configured URL)
                return int(response.status)
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code)

    return post


@dataclass(frozen=True)
class _Attempt:
    event: dict[str, Any]
    number: int  # 1 for the first delivery, 2 for the first retry, ...


class Dispatcher:
    """Deliver events in the background, like Stripe's webhook sender.

    One thread delivers them in the order they happened by default; `concurrency` threads deliver side
    by side, so deliveries overlap and arrive out of order (Stripe "doesn't guarantee delivery of events
    in the order in which they're generated"), and `shuffle` takes the waiting ones in random order. A
    delivery answered other than 2xx, or not answered at all, is tried again after each wait of
    `retry_schedule` in turn (seconds, times `retry_scale`) until one succeeds or the schedule ends.

    Waits are measured by timers, in real seconds, as `Sandbox(settle_after=...)` is: freezegun answers
    a clock read near the top of a thread with the real time and one made deeper with the frozen one, so
    reading the sandbox's clock from these threads to decide when a retry is due would mix the two.
    Tests compress the schedule instead, or call `retry_now()`.
    """

    def __init__(self, target: Target, secret: str, clock: Callable[[], float], *,
                 retry_schedule: Sequence[float] = (), retry_scale: float = 1.0, concurrency: int = 1,
                 shuffle: bool = False) -> None:
        if concurrency < 1:
            raise ValueError("webhook concurrency must be 1 or more")
        if retry_scale <= 0 or any(wait < 0 for wait in retry_schedule):
            raise ValueError("retry waits cannot be negative, and their scale must be positive")
        self.target = target
        self.secret = secret
        self.clock = clock
        self.retry_schedule = tuple(float(wait) * retry_scale for wait in retry_schedule)
        self.shuffle = shuffle
        # Each attempt: event, type, status (0: no answer), attempt number, at (the signature's time),
        # retry_in (seconds until the next attempt; None when there is none).
        self.deliveries: list[dict[str, Any]] = []
        self._ready: list[_Attempt] = []
        self._busy = 0
        self._retries: dict[int, tuple[threading.Timer, _Attempt]] = {}
        self._retry_ids = itertools.count()
        self._closed = False
        self._cond = threading.Condition()
        self._rng = random.Random()
        self._threads = [threading.Thread(target=self._run, name=f"sandbox-webhooks-{n}", daemon=True)
                         for n in range(concurrency)]
        for thread in self._threads:
            thread.start()

    def send(self, event: dict[str, Any]) -> None:
        """Queue an event for delivery."""
        with self._cond:
            self._ready.append(_Attempt(event, 1))
            self._cond.notify_all()

    @property
    def pending_retries(self) -> int:
        """Return how many failed deliveries wait for their next attempt."""
        with self._cond:
            return len(self._retries)

    def retry_now(self) -> int:
        """Queue every waiting retry at once, without waiting out its backoff; return how many."""
        with self._cond:
            waiting = list(self._retries.values())
            self._retries.clear()
            for timer, attempt in waiting:
                timer.cancel()
                self._ready.append(attempt)
            self._cond.notify_all()
        return len(waiting)

    def flush(self, timeout: float = 10.0, *, retries: bool = False) -> None:
        """Wait until every queued delivery has been attempted; with `retries`, until no retry waits either."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._ready or self._busy or (retries and self._retries):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.05))

    def close(self) -> None:
        """Drop the waiting retries, deliver what is queued, and stop the delivery threads."""
        with self._cond:
            self._closed = True
            for timer, _ in self._retries.values():
                timer.cancel()
            self._retries.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._closed:
                    self._cond.wait()
                if not self._ready:
                    return
                index = self._rng.randrange(len(self._ready)) if self.shuffle else 0
                attempt = self._ready.pop(index)
                self._busy += 1
            record: dict[str, Any] = {"event": attempt.event["id"], "type": attempt.event["type"], "status": 0,
                                      "attempt": attempt.number, "at": None, "retry_in": None}
            try:
                self._deliver(attempt, record)
            finally:
                with self._cond:
                    if not 200 <= record["status"] < 300:
                        record["retry_in"] = self._retry_later(attempt)
                    self.deliveries.append(record)
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, attempt: _Attempt, record: dict[str, Any]) -> None:
        event = attempt.event
        payload = json.dumps(event, indent=2).encode()
        # A new timestamp and signature for every attempt, as Stripe makes for each retry.
        record["at"] = int(self.clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, self.secret, record["at"]),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        try:
            record["status"] = int(self.target(payload, headers))
        except Exception as exc:  # a broken endpoint must not stop the sandbox
            log.warning("webhook %s delivery failed: %s", event["id"], exc)
        if 200 <= record["status"] < 300:
            # `pending_webhooks`: the endpoints that have not answered 2xx yet (one here).
            with self._cond:
                event["pending_webhooks"] = max(0, int(event.get("pending_webhooks") or 0) - 1)

    def _retry_later(self, attempt: _Attempt) -> float | None:
        """Schedule the next attempt after a failed one (holding the lock); return its wait, or None."""
        if self._closed or attempt.number > len(self.retry_schedule):
            if self.retry_schedule and not self._closed:
                log.warning("webhook %s: giving up after %d attempts", attempt.event["id"], attempt.number)
            return None
        wait = self.retry_schedule[attempt.number - 1]
        retry_id = next(self._retry_ids)
        timer = threading.Timer(wait, self._retry_due, (retry_id,))
        timer.daemon = True
        self._retries[retry_id] = (timer, _Attempt(attempt.event, attempt.number + 1))
        timer.start()
        return wait

    def _retry_due(self, retry_id: int) -> None:
        with self._cond:
            waiting = self._retries.pop(retry_id, None)
            if waiting is not None and not self._closed:
                self._ready.append(waiting[1])
                self._cond.notify_all()
