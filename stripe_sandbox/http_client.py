"""Serve the real stripe SDK in-process: an `http_client` that hands requests to a Sandbox."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import stripe
from requests.structures import CaseInsensitiveDict  # stripe depends on requests

from .core import Request, Sandbox


class SandboxHTTPClient(stripe.HTTPClient):
    """A `stripe.HTTPClient` whose network is a Sandbox object."""

    name = "stripe_sandbox"

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__()
        self.sandbox = sandbox

    def _call(self, method: str, url: str, headers: Mapping[str, str] | None,
              post_data: Any) -> tuple[bytes, int, Mapping[str, str]]:
        parts = urlsplit(url)
        body = post_data.encode() if isinstance(post_data, str) else (post_data or b"")
        response = self.sandbox.handle(Request(method.upper(), parts.path, parts.query, dict(headers or {}), body))
        if response.timeout:
            raise stripe.APIConnectionError("Request to Stripe timed out (sandbox withheld the answer).",
                                            should_retry=True)
        if response.drop:
            # What a reset connection looks like to the SDK: retryable, outcome unknown.
            raise stripe.APIConnectionError(
                "Unexpected error communicating with Stripe (sandbox dropped the connection).", should_retry=True
            )
        # The SDK reads headers case-insensitively (`stripe-should-retry`, `request-id`), as
        # requests' responses allow; a plain dict would hide them.
        return response.body, response.status, CaseInsensitiveDict(response.headers)

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                *, _usage: list[str] | None = None) -> tuple[str, int, Mapping[str, str]]:
        """Answer a request from the SDK."""
        body, status, headers_out = self._call(method, url, headers, post_data)
        return body.decode("utf-8"), status, headers_out

    def request_stream(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                       *, _usage: list[str] | None = None) -> tuple[Any, int, Mapping[str, str]]:
        """Answer a streaming request from the SDK."""
        body, status, headers_out = self._call(method, url, headers, post_data)
        return io.BytesIO(body), status, headers_out

    def close(self) -> None:
        """Nothing to close: there is no connection."""
