"""Fixtures for the sandbox's behaviour tests: a fresh Sandbox per test, reached through the real SDK.

`client` serves the SDK in-process; `api` is parametrized over both transports (`in_process` and
`http`), the latter through one loopback server shared by the session whose Sandbox is swapped
for each test's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import stripe

from stripe_sandbox import Sandbox
from stripe_sandbox.http_client import SandboxHTTPClient
from stripe_sandbox.server import SandboxServer

API_KEY = "sk_test_sandbox"
TRANSPORTS = ("in_process", "http")

Connect = Callable[..., stripe.StripeClient]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """Return a fresh sandbox with the bundled Country Specs."""
    sb = Sandbox()
    yield sb
    sb.close()


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

    def make(sb: Sandbox, transport: str = "in_process", *, api_key: str = API_KEY,
             max_network_retries: int = 2) -> stripe.StripeClient:
        if transport == "in_process":
            return stripe.StripeClient(api_key, http_client=SandboxHTTPClient(sb),
                                       max_network_retries=max_network_retries)
        assert transport == "http", transport
        sandbox_server.sandbox = sb
        http_client = stripe.RequestsClient()
        opened.append(http_client)
        url = sandbox_server.url
        return stripe.StripeClient(api_key, http_client=http_client, max_network_retries=max_network_retries,
                                   base_addresses={"api": url, "files": url, "connect": url})

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
