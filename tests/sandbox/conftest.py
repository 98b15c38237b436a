"""Fixtures for the sandbox's behaviour tests: a fresh Sandbox per test, reached through the real SDK.

`client` serves the SDK in-process; `api` is parametrized over both transports (`in_process` and
`http`), the latter through one loopback server shared by the session whose Sandbox is swapped
for each test's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.http_client import SandboxHTTPClient
from stripe_sandbox.server import SandboxServer
from tests.support.sdk_params import assert_log_uses_sdk_params

from .helpers import Connect, loopback_http_client

API_KEY = "sk_test_sandbox"
TRANSPORTS = ("in_process", "http")


class RecordingHTTPClient(stripe.HTTPClient):
    """Wrap an SDK HTTP client and keep every raw response body it returns."""

    name = "recording"

    def __init__(self, inner: stripe.HTTPClient, bodies: list[str]) -> None:
        super().__init__()
        self.inner = inner
        self.bodies = bodies

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                *, _usage: list[str] | None = None) -> tuple[Any, int, Mapping[str, str]]:
        """Forward a request and record the body of its answer."""
        body, status, response_headers = self.inner.request(method, url, headers, post_data)
        self.bodies.append(body.decode() if isinstance(body, bytes) else body)
        return body, status, response_headers

    def request_stream(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None,
                       *, _usage: list[str] | None = None) -> tuple[Any, int, Mapping[str, str]]:
        """Streaming is not used by the APIs under test."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the wrapped client."""
        self.inner.close()


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Return a fresh sandbox with the bundled Country Specs; its log must use SDK-known params only.

    `@pytest.mark.sandbox_args(requirement_naming="country_specs", ...)` passes options to `Sandbox`.
    """
    marker = request.node.get_closest_marker("sandbox_args")
    sb = Sandbox(**(marker.kwargs if marker else {}))
    yield sb
    sb.close()
    assert_log_uses_sdk_params(sb.log, request.node)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """Serve sandboxes over HTTP on a free loopback port for the whole session."""
    placeholder = Sandbox()
    server = SandboxServer(placeholder, "127.0.0.1", 0)
    thread = server.start_background()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    placeholder.close()


@pytest.fixture
def connect(sandbox_server: SandboxServer) -> Iterator[Connect]:
    """Return a factory of SDK clients bound to a sandbox over a chosen transport."""
    opened: list[stripe.HTTPClient] = []

    def make(sb: Sandbox, transport: str = "in_process", *, api_key: str = API_KEY, max_network_retries: int = 2,
             record: list[str] | None = None) -> stripe.StripeClient:
        """Return a client; `record` collects every raw response body."""
        http_client: stripe.HTTPClient
        options: dict[str, Any] = {}
        if transport == "in_process":
            http_client = SandboxHTTPClient(sb)
        else:
            assert transport == "http", transport
            sandbox_server.sandbox = sb
            http_client = loopback_http_client()
            url = sandbox_server.url
            options["base_addresses"] = {"api": url, "files": url, "connect": url}
        if record is not None:
            http_client = RecordingHTTPClient(http_client, record)
        opened.append(http_client)
        return stripe.StripeClient(api_key, http_client=http_client, max_network_retries=max_network_retries,
                                   **options)

    yield make
    for http_client in opened:
        http_client.close()


@pytest.fixture
def client(sandbox: Sandbox, connect: Connect) -> stripe.StripeClient:
    """Return an SDK client served in-process by `sandbox`."""
    return connect(sandbox, "in_process")


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """Return each transport in turn."""
    return request.param


@pytest.fixture
def api(sandbox: Sandbox, connect: Connect, transport: str) -> stripe.StripeClient:
    """Return an SDK client for `sandbox` over each transport in turn."""
    return connect(sandbox, transport)
