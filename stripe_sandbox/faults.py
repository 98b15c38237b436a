"""Fault injection: make chosen routes fail the way networks and Stripe fail."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

# drop_before: the connection closes before the request is handled; drop_after: it is handled, then
# the connection closes; timeout: it is handled and the answer never comes (the client gives up).
KINDS = ("500", "429", "latency", "drop_before", "drop_after", "timeout")


@dataclass
class Fault:
    """One rule: requests to `operation` (or every one, with "*") get `kind`, `times` times (-1: always)."""

    operation: str
    kind: str
    times: int = 1
    latency: float = 0.0  # seconds, slept before any kind of handling
    jitter: float = 0.0  # seconds: each sleep is drawn uniformly from latency ± jitter (median `latency`)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter cannot be negative")
        if self.jitter > self.latency:
            # Sleeps would be clipped at 0, and the median would no longer be `latency`.
            raise ValueError("jitter cannot exceed the latency")

    def delay(self, rng: random.Random | None = None) -> float:
        """Return how long to sleep for one request, in seconds."""
        if not self.jitter:
            return self.latency
        return (rng or random).uniform(self.latency - self.jitter, self.latency + self.jitter)


@dataclass(frozen=True)
class Match:
    """What the rules do to one request: sleep `delay` seconds first, then inject `fault` (if any)."""

    delay: float = 0.0
    fault: Fault | None = None  # the first matching rule of a failing kind (never "latency")


class Faults:
    """The active fault rules.

    Latency composes with failures: every matching rule adds its latency (so the start-up `*` latency
    rule of `--latency-ms` and a rule posted later both apply), and the first matching rule of a failing
    kind, in the order they were added, is the request's fault.
    """

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, operation: str, kind: str, times: int = 1, latency: float = 0.0, jitter: float = 0.0) -> Fault:
        """Add a rule; `operation` is a name such as `accounts.update` or `*`."""
        fault = Fault(operation, kind, times, latency, jitter)
        with self._lock:
            self._rules.append(fault)
        return fault

    def rules(self) -> list[Fault]:
        """Return the rules, in the order they were added."""
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def take(self, operation: str, rng: random.Random | None = None) -> Match:
        """Return what happens to a request for this operation, spending one use of each rule that applies."""
        delay, fault = 0.0, None
        with self._lock:
            for rule in self._rules:
                if rule.operation not in (operation, "*") or rule.times == 0:
                    continue
                if rule.kind != "latency" and fault is not None:
                    continue  # one failure per request; a later rule keeps its uses
                if rule.times > 0:
                    rule.times -= 1
                delay += rule.delay(rng)
                if rule.kind != "latency":
                    fault = rule
        return Match(delay, fault)
