"""Which request parameters the stripe SDK's own types know, found independently of the sandbox.

The sandbox validates parameters with `stripe_sandbox/schema.py`; this module re-derives the
allowed keys from the SDK's service signatures and `TypedDict` annotations with a deliberately
simple walker, so a test can catch the sandbox (or our gateway) using a parameter the SDK
does not know.
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
}
MAP = "<map>"  # a free-form dictionary: any key is allowed below it
LEAF = "<leaf>"
_CLASS = re.compile(r"\b([A-Z][A-Za-z0-9]*Params[A-Za-z0-9]*)\b")


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

    walk(params or {}, tree(_params_class(operation)), "")
    return found


def check_log(log: list[dict[str, Any]]) -> list[str]:
    """Return a line per logged request that used a parameter the SDK does not know."""
    problems = []
    for entry in log:
        if entry.get("operation") not in OPERATIONS or not entry.get("params"):
            continue
        for path in unknown_params(entry["operation"], entry["params"]):
            problems.append(f"{entry['method']} {entry['path']} ({entry['operation']}): {path}")
    return problems


def assert_log_uses_sdk_params(log: list[dict[str, Any]], node: Any) -> None:
    """Fail unless every logged request used SDK-known parameters (tests marked `sends_unknown_params` opt out)."""
    if node.get_closest_marker("sends_unknown_params"):
        return
    problems = check_log(log)
    assert not problems, "requests used parameters the stripe SDK does not know:\n" + "\n".join(problems)
