"""Stripe-shaped API errors raised by sandbox handlers."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error the sandbox answers with Stripe's JSON error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self, request_id: str) -> dict[str, Any]:
        """Return the `{"error": {...}}` envelope Stripe sends."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def bracket(path: str) -> str:
    """Turn a dotted path (`individual.dob.day`) into Stripe's param style (`individual[dob][day]`)."""
    head, *rest = path.split(".")
    return head + "".join(f"[{part}]" for part in rest)


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    """Build a 400 `invalid_request_error`."""
    return StripeError(400, message, param=param, code=code)


def missing(kind: str, ident: str, param: str | None = None) -> StripeError:
    """Build Stripe's 404 for an unknown id (`No such account: 'acct_x'`)."""
    return StripeError(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param)
