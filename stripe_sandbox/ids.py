"""Stripe-style object ids."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """Return a random id such as `acct_1Q2w3E4r5T6y7U8i`."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
