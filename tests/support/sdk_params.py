"""Guard every sandbox log in the suite with the SDK-parameter walker of the gateway.

The walker (`onboarding.gateway.sdk_params`) derives the allowed keys from the SDK's service
signatures and `TypedDict` annotations independently of the sandbox's own validation, so a test
catches the sandbox (or our gateway) using a parameter the SDK does not know.
"""

from __future__ import annotations

from typing import Any

from onboarding.gateway.sdk_params import OPERATIONS, unknown_params

__all__ = ["assert_log_uses_sdk_params", "check_log", "unknown_params"]


def check_log(log: list[dict[str, Any]]) -> list[str]:
    """Return a line per logged request that used a parameter the SDK does not know."""
    problems = []
    for entry in log:
        if entry.get("operation") not in OPERATIONS or not entry.get("params"):
            continue
        for path in unknown_params(entry["operation"], entry["params"]):
            problems.append(f"{entry['method']} {entry['path']} ({entry['operation']}): {path}")
    return problems


def assert_log_uses_sdk_params(log: list[dict[str, Any]], node: Any) -> None:
    """Fail unless every logged request used SDK-known parameters (tests marked `sends_unknown_params` opt out)."""
    if node.get_closest_marker("sends_unknown_params"):
        return
    problems = check_log(log)
    assert not problems, "requests used parameters the stripe SDK does not know:\n" + "\n".join(problems)
