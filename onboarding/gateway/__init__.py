"""The Stripe gateway: the one place that talks to Stripe (or the sandbox).

`interface.py` declares what the app may ask of Stripe; `stripe_gateway.py` is the only module
of `onboarding` that imports `stripe`; `setup.py` builds the gateway from configuration and
keeps it in `app.extensions["gateway"]`.
"""

from .interface import (
    AccountsV1NotEnabled,
    AccountUnavailable,
    AuthenticationFailed,
    BankAccount,
    Gateway,
    GatewayError,
    IdempotencyConflict,
    InvalidRequest,
    Page,
    RateLimited,
    SignatureInvalid,
    Unavailable,
)

__all__ = [
    "AccountsV1NotEnabled",
    "AccountUnavailable",
    "AuthenticationFailed",
    "BankAccount",
    "Gateway",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidRequest",
    "Page",
    "RateLimited",
    "SignatureInvalid",
    "Unavailable",
]
