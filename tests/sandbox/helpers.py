"""Builders shared by the sandbox tests: account parameters, Stripe's test values, tiny real files."""

from __future__ import annotations

import struct
import urllib.request
import zlib
from collections.abc import Callable
from typing import Any

import requests
import stripe

# The `connect` fixture: (sandbox, transport="in_process", *, api_key, max_network_retries, record) -> client.
Connect = Callable[..., stripe.StripeClient]

API_ONBOARDING: dict[str, Any] = {
    "requirement_collection": "application",
    "stripe_dashboard": {"type": "none"},
    "fees": {"payer": "application"},
    "losses": {"payments": "application"},
}
CAPABILITIES: dict[str, Any] = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
TOS = {"date": 1_767_225_600, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (test)"}
US_BANK = {"object": "bank_account", "country": "US", "currency": "usd", "routing_number": "110000000",
           "account_number": "000123456789", "account_holder_name": "Jenny Rosen",
           "account_holder_type": "individual"}
BUSINESS_PROFILE = {"mcc": "5734", "url": "https://accessible.stripe.com"}


def loopback_http_client() -> stripe.RequestsClient:
    """Return the SDK's requests-based client, deaf to proxy settings: the sandbox is on 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False
    return stripe.RequestsClient(session=session, timeout=10)


def loopback_open(request: str | urllib.request.Request, timeout: float = 5.0) -> Any:
    """Open a loopback URL with urllib, ignoring proxy settings."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(request, timeout=timeout)


def us_person(**overrides: Any) -> dict[str, Any]:
    """Return a US person hash made of Stripe's test values (verifies immediately)."""
    person: dict[str, Any] = {
        "first_name": "Jenny", "last_name": "Rosen", "email": "jenny@example.com", "phone": "0000000000",
        "dob": {"day": 1, "month": 1, "year": 1902},
        "address": {"line1": "address_full_match", "city": "San Francisco", "state": "CA", "postal_code": "94103"},
        "ssn_last_4": "0000",
    }
    person.update(overrides)
    return person


def create_account(api: stripe.StripeClient, country: str = "US", business_type: str | None = "individual",
                   **params: Any) -> stripe.Account:
    """Create an account for API onboarding (the controller properties of a custom account)."""
    body: dict[str, Any] = {"country": country, "controller": API_ONBOARDING, "capabilities": CAPABILITIES}
    if business_type:
        body["business_type"] = business_type
    body.update(params)
    return api.v1.accounts.create(params=body)


def complete_us_individual(api: stripe.StripeClient, account_id: str, **person: Any) -> stripe.Account:
    """Give a US individual account everything its Country Spec asks for."""
    return api.v1.accounts.update(account_id, params={
        "individual": us_person(**person), "business_profile": BUSINESS_PROFILE, "tos_acceptance": TOS,
        "external_account": US_BANK,
    })


def error_of(excinfo: Any) -> dict[str, Any]:
    """Return the `error` object of a raised SDK error."""
    return excinfo.value.json_body["error"]


# -- tiny real files ---------------------------------------------------------------------------
def png(width: int = 2, height: int = 2) -> bytes:
    """Return a valid RGB PNG of the given size (solid colour)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x10\x80\xf0" * width
    pixels = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims a size (the pixel data of a huge image is not needed)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + ihdr


def jpeg(width: int = 16, height: int = 8) -> bytes:
    """Return JPEG header bytes: SOI, a JFIF APP0 segment and a baseline SOF0 frame of that size."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")


def pdf() -> bytes:
    """Return a minimal one-page PDF."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")
