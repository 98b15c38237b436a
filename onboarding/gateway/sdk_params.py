"""Which request parameters the stripe SDK's own types know, for the API version it pins.

stripe-python ships one `TypedDict` per operation (`AccountUpdateParams`, ...) listing every
parameter of its pinned API version. A deliberately simple walker over their annotations gives a
tree of known keys. It is independent of the sandbox's own validation (`stripe_sandbox/schema.py`)
so that the two can check each other: the test suite uses it to guard every sandbox request, the
requirements catalog to check that every field path is a real Stripe parameter.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
from typing import Any

import stripe

# Operation names as the sandbox logs them -> the SDK method a real client would call.
OPERATIONS = {
    "accounts.create": ("accounts", "create"), "accounts.update": ("accounts", "update"),
    "accounts.retrieve": ("accounts", "retrieve"), "accounts.list": ("accounts", "list"),
    "accounts.delete": ("accounts", "delete"),
    "persons.create": ("accounts.persons", "create"), "persons.update": ("accounts.persons", "update"),
    "persons.retrieve": ("accounts.persons", "retrieve"), "persons.list": ("accounts.persons", "list"),
    "persons.delete": ("accounts.persons", "delete"),
    "external_accounts.create": ("accounts.external_accounts", "create"),
    "external_accounts.update": ("accounts.external_accounts", "update"),
    "external_accounts.retrieve": ("accounts.external_accounts", "retrieve"),
    "external_accounts.list": ("accounts.external_accounts", "list"),
    "external_accounts.delete": ("accounts.external_accounts", "delete"),
    "files.create": ("files", "create"), "files.retrieve": ("files", "retrieve"),
    "country_specs.list": ("country_specs", "list"), "country_specs.retrieve": ("country_specs", "retrieve"),
    "tokens.create": ("tokens", "create"), "events.list": ("events", "list"), "events.retrieve": ("events", "retrieve"),
    "account_links.create": ("account_links", "create"),
}
MAP = "<map>"  # a free-form dictionary: any key is allowed below it
LEAF = "<leaf>"
_CLASS = re.compile(r"\b([A-Z][A-Za-z0-9]*Params[A-Za-z0-9]*)\b")


def api_version() -> str:
    """Return the Stripe API version the installed SDK pins (sent as `Stripe-Version`)."""
    return str(stripe.api_version)


def _params_class(operation: str) -> type:
    service_path, method = OPERATIONS[operation]
    service: Any = stripe.StripeClient("sk_test_types").v1
    for part in service_path.split("."):
        service = getattr(service, part)
    bound = getattr(service, method)
    annotation = str(inspect.signature(bound).parameters["params"].annotation)
    name = _CLASS.findall(annotation)[0]
    return getattr(importlib.import_module("stripe.params"), name)


def _annotations(cls: type) -> dict[str, str]:
    merged: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if base.__name__ in ("RequestOptions", "dict", "object", "Generic"):
            continue
        for key, value in getattr(base, "__annotations__", {}).items():
            merged[key] = value if isinstance(value, str) else getattr(value, "__forward_arg__", repr(value))
    return merged


@functools.cache
def tree(cls: type) -> dict[str, Any]:
    """Return {key: subtree | MAP | LEAF} for a TypedDict parameter class."""
    module = sys.modules[cls.__module__]
    out: dict[str, Any] = {}
    for key, annotation in _annotations(cls).items():
        nested = [getattr(module, n) for n in _CLASS.findall(annotation) if hasattr(module, n)]
        if nested:
            merged: dict[str, Any] = {}
            for sub in nested:
                merged.update(tree(sub))
            out[key] = merged
        elif "Dict[" in annotation:
            out[key] = MAP
        else:
            out[key] = LEAF
    return out


@functools.cache
def operation_tree(operation: str) -> dict[str, Any]:
    """Return the parameter tree of an operation (`accounts.update`, `persons.create`, ...)."""
    return tree(_params_class(operation))


def unknown_params(operation: str, params: Any) -> list[str]:
    """Return the dotted parameter paths in `params` that the SDK's types do not know."""
    found: list[str] = []

    def walk(value: Any, allowed: Any, path: str) -> None:
        if allowed in (MAP, LEAF) or value is None:
            return
        if isinstance(value, list):
            for item in value:
                walk(item, allowed, path)
            return
        if not isinstance(value, dict):
            return
        for key, sub in value.items():
            if key not in allowed:
                found.append(f"{path}{key}")
            else:
                walk(sub, allowed[key], f"{path}{key}.")

    walk(params or {}, operation_tree(operation), "")
    return found


def is_param_path(operation: str, dotted: str) -> bool:
    """Return whether `dotted` (`individual.address.line1`) names a parameter of the operation.

    Intermediate objects (`individual.address`) count; one free-form key below a map is allowed.
    """
    node: Any = operation_tree(operation)
    segments = dotted.split(".")
    for index, segment in enumerate(segments):
        if node == MAP:
            return index == len(segments) - 1 and segment != ""
        if node == LEAF or segment not in node:
            return False
        node = node[segment]
    return bool(dotted)
