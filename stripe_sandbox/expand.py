"""`expand[]`: which fields of an answer can be expanded, checked before a request runs, then applied.

Stripe documents (docs.stripe.com/api/expanding_objects): `expand` is accepted by every request,
applies to that request's answer only, a dot walks into nested fields (`a.b` expands `a`, then `b`
inside it), and on a list every path starts with `data`. Which fields are expandable is read from
stripe-python's own response types: a field typed `ExpandableField[X]` (`str | X`) holds an id that
expands into an `X`. Fields typed as nested objects (`Account.individual`, `Person.verification`)
are always inline: a path walks through them, and one that ends on them changes nothing, as
`expand[]=data` on a list is reported to (an assumption for other inline objects).

A path that names no expandable field is refused before anything runs (a bad path on a create
writes nothing; on an unknown id it is the 400, not the 404), as public code reports live Stripe
to answer (read 2026-12-06): a 400 `invalid_request_error` with the message
`This property cannot be expanded (<path up to the failing part>).`, no `param` and no `code`; on
a list endpoint, a path that would be right under `data` adds
` You may want to try expanding 'data.<part>' instead.` Stripe's four-level depth limit is not
enforced (whether inline hashes count towards it is not documented).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any, ForwardRef, Union

import stripe
from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject

from .errors import StripeError

# The resource an operation answers with (`<resource>.<verb>`, as the sandbox names operations).
RESPONSES: dict[str, type] = {
    "accounts": stripe.Account, "persons": stripe.Person, "external_accounts": stripe.BankAccount,
    "files": stripe.File, "country_specs": stripe.CountrySpec, "tokens": stripe.Token, "events": stripe.Event,
    "balance": stripe.Balance, "payouts": stripe.Payout,
}
INLINE, EXPANDABLE, LIST = "inline", "expandable", "list"


def _resolve(annotation: Any) -> Any:
    """Return an annotation with its string forward references (`"File"`) replaced by stripe's classes."""
    if isinstance(annotation, ForwardRef):
        return getattr(stripe, annotation.__forward_arg__, None)
    if isinstance(annotation, str):
        return getattr(stripe, annotation, None)
    return annotation


def _objects(annotations: tuple[Any, ...]) -> tuple[type, ...]:
    resolved = (_resolve(a) for a in annotations)
    return tuple(a for a in resolved if isinstance(a, type) and issubclass(a, StripeObject))


@functools.cache
def fields(cls: type) -> dict[str, tuple[str, tuple[type, ...]]]:
    """Return {field: (INLINE | EXPANDABLE | LIST, the classes it holds)} for a response class's object fields."""
    found: dict[str, tuple[str, tuple[type, ...]]] = {}
    for name, annotation in vars(cls).get("__annotations__", {}).items():
        annotation = _resolve(annotation)
        args = typing.get_args(annotation) if typing.get_origin(annotation) is Union else (annotation,)
        args = tuple(a for a in args if a is not type(None))
        if len(args) == 1 and typing.get_origin(args[0]) in (list, typing.List):
            args = typing.get_args(args[0])  # a list of ids or objects expands item by item
            if typing.get_origin(args[0]) is Union:
                args = typing.get_args(args[0])
        origin = typing.get_origin(args[0]) if len(args) == 1 else None
        if isinstance(origin, type) and issubclass(origin, ListObject):
            item = typing.get_args(args[0])[0]
            found[name] = (LIST, _objects(typing.get_args(item) or (item,)))
        elif str in args and (classes := _objects(args)):
            found[name] = (EXPANDABLE, classes)
        elif classes := _objects(args):
            found[name] = (INLINE, classes)
    return found


def _first_bad(classes: tuple[type, ...], parts: list[str]) -> int | None:
    """Return the index of the first part of a path that cannot be expanded on these classes, or None."""
    for index, part in enumerate(parts):
        if part == "data" and any(c is ListObject for c in classes):
            continue  # walking a list object's items, which the previous part set as `classes`
        kinds = [fields(c)[part] for c in classes if part in fields(c)]
        if not kinds:
            return index  # not a field, or a scalar one
        kind, held = kinds[0]
        classes = (ListObject, *held) if kind == LIST else held
    return None


def check(operation: str, paths: list[str]) -> None:
    """Refuse, as Stripe does, an `expand[]` path that names nothing expandable in the operation's answer."""
    resource, _, verb = operation.partition(".")
    root = RESPONSES.get(resource)
    if root is None:
        return
    for path in paths:
        parts = path.split(".")
        if verb != "list":
            bad = _first_bad((root,), parts)
        elif parts[0] != "data":
            raise _cannot(parts, 0, hint=_first_bad((root,), parts) is None)
        else:  # `expand[]=data` alone is accepted and changes nothing
            bad = _first_bad((root,), parts[1:])
            bad = None if bad is None else bad + 1
        if bad is not None:
            raise _cannot(parts, bad)


def _cannot(parts: list[str], bad: int, hint: bool = False) -> StripeError:
    message = f"This property cannot be expanded ({'.'.join(parts[:bad + 1])})."
    if hint:
        message += f" You may want to try expanding 'data.{parts[0]}' instead."
    return StripeError(400, message)


def apply(body: dict[str, Any], paths: list[str], resolve: Callable[[str], dict[str, Any] | None]) -> dict[str, Any]:
    """Return the answer with each path's ids replaced by their objects (`resolve(id)`; None leaves the id).

    Paths have passed `check`, so a string met on the way is an expandable id. The answer is
    copied along the paths, never changed in place: it may be stored state (an event).
    """
    for path in paths:
        body = _apply(body, path.split("."), resolve)
    return body


def _apply(value: Any, parts: list[str], resolve: Callable[[str], dict[str, Any] | None]) -> Any:
    if isinstance(value, list):
        return [_apply(item, parts, resolve) for item in value]
    if not parts or not isinstance(value, dict) or value.get(parts[0]) is None:
        return value
    child = value[parts[0]]
    if isinstance(child, str):
        child = resolve(child) or child
    elif isinstance(child, list):
        child = [resolve(item) or item if isinstance(item, str) else item for item in child]
    return {**value, parts[0]: _apply(child, parts[1:], resolve) if not isinstance(child, str) else child}
