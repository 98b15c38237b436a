"""A local, stateful stand-in for the part of Stripe's v1 API that Connect onboarding uses.

Use it in-process through the SDK (`SandboxHTTPClient`) or as a server (`python -m stripe_sandbox`).
"""

from .countries import CountrySpecs, load_country_specs
from .core import API_VERSION, Request, Response, Sandbox

__all__ = ["API_VERSION", "CountrySpecs", "Request", "Response", "Sandbox", "load_country_specs"]
