"""Stripe-shaped API errors raised by sandbox handlers."""

from __future__ import annotations

from typing import Any

# Stripe's answer to `POST /v1/accounts` from a platform that has not enabled "Accounts v1 support",
# verbatim as public code quotes it after observing it in 2026-08 (read 2026-12-06). Stripe sends it as
# a 400 `invalid_request_error`; no `code` or `param` was shown, so sending none is our assumption.
ACCOUNTS_V1_REFUSAL = (
    "Stripe no longer recommends Accounts v1 for new Connect integrations. Create connected accounts with "
    "POST /v2/core/accounts instead: https://docs.stripe.com/api/v2/core/accounts. Read more about Accounts v2: "
    "https://docs.stripe.com/connect/accounts-v2/account-creation. If your integration requires v1 account "
    "creation for a supported compatibility scenario, enable Accounts v1 support in the Dashboard: "
    "https://dashboard.stripe.com/settings/features/feat_accounts_v1_support. For agent-based integrations, "
    "use Stripe's current best-practices skill: npx skills add stripe/ai."
)


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


def accounts_v1_not_enabled() -> StripeError:
    """Build the 400 Stripe answers to an account creation while the platform's Accounts v1 support is off."""
    return StripeError(400, ACCOUNTS_V1_REFUSAL)


def no_access(account_id: str) -> StripeError:
    """Build the 403 Stripe answers for a connected account the key cannot reach (unknown, deleted or another's).

    Live Stripe answers so, not with a 404, and the SDK raises `PermissionError` for it. The wording and
    the `account_invalid` code are as public code quotes Stripe's answer (read 2026-12-06); `type` is
    an assumption.
    """
    return StripeError(403, f"The provided key does not have access to account '{account_id}' (or that account "
                            "does not exist). Application access may have been revoked.", code="account_invalid")
