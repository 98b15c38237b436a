"""Compare Stripe API objects (JSON) with the response types of the installed stripe-python.

An independent client's view of the sandbox: every field, its type and its enum come from the
annotations of stripe-python's `StripeObject` subclasses (`stripe.Account`, its nested
`Account.Settings.Payments`, ...), never from a list written here, so the check follows the SDK.

- A field annotated without `Optional[...]` is *always present*: it must be in the object, not
  null, of the annotated type. (stripe-python writes `Optional` both for nullable fields and for
  fields the API may leave out; `NotRequired` does not occur in response classes.)
- An `Optional` field is checked only when present and not null.
- `Literal[...]` must hold one of its values, even where the SDK adds `| str` for values of a
  newer API version: the sandbox speaks the pinned version, so an unknown value is its mistake.
- `ExpandableField[X]` is an id or, expanded, an `X`; `ListObject[X]` the list envelope of `X`s;
  `Union[BankAccount, Card]` picks the class by the object's `object`.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ForwardRef, Literal, Union

from stripe._list_object import ListObject
from stripe._stripe_object import StripeObject, UntypedStripeObject

JSON_TYPES: dict[type, tuple[type, ...]] = {str: (str,), int: (int,), float: (int, float), bool: (bool,)}


@dataclass
class Report:
    """What a comparison found: always-present fields seen, those right, and every problem."""

    always: int = 0
    always_ok: int = 0
    problems: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # "Class.field" of every always-present field checked
    wrong: set[str] = field(default_factory=set)  # the ones that were missing or mistyped somewhere

    @property
    def share(self) -> float:
        """Return the share of always-present field occurrences found with the right type."""
        return self.always_ok / self.always if self.always else 1.0


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    """Return a module's names plus those it imports only under `TYPE_CHECKING` (its string annotations use them)."""
    module = sys.modules[module_name]
    names = dict(vars(module))
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    imported = importlib.import_module(statement.module)
                    for alias in statement.names:
                        names[alias.asname or alias.name] = getattr(imported, alias.name)
    return names


@functools.cache
def hints(cls: type) -> dict[str, Any]:
    """Return a response class's own field annotations, evaluated (forward references resolved)."""
    annotations = {k: v for k, v in cls.__dict__.get("__annotations__", {}).items()
                   if not k.startswith("_") and k.upper() != k}
    if cls is ListObject:  # `object` is a class constant there, not an annotation
        annotations["object"] = Literal[ListObject.OBJECT_NAME]  # type: ignore[valid-type]
    owner = sys.modules[cls.__module__]
    localns = dict(_namespace(cls.__module__))
    # Nested classes may name their siblings and their enclosing class's nested classes.
    for outer in _enclosing(cls, owner):
        localns.update(vars(outer))
    resolved = {}
    for name, annotation in annotations.items():
        if isinstance(annotation, str):
            annotation = ForwardRef(annotation)
        resolved[name] = typing._eval_type(annotation, vars(owner), localns)  # type: ignore[attr-defined]
    return resolved


def _enclosing(cls: type, module: types.ModuleType) -> list[type]:
    """Return the classes enclosing a nested class, outermost first, and the class itself."""
    chain: list[type] = []
    scope: Any = module
    for part in cls.__qualname__.split("."):
        scope = getattr(scope, part)
        chain.append(scope)
    return chain


def is_optional(annotation: Any) -> bool:
    """Return whether an annotation admits None."""
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in typing.get_args(annotation)


def _strip_none(annotation: Any) -> Any:
    if not is_optional(annotation):
        return annotation
    rest = tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return rest[0] if len(rest) == 1 else Union[rest]  # type: ignore[valid-type]


class Checker:
    """Walk one JSON object against an SDK class and fill a `Report`."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def check_object(self, value: Any, cls: type, path: str) -> None:
        """Check a JSON object against a `StripeObject` subclass."""
        if not isinstance(value, dict):
            self.report.problems.append(f"{path}: expected a {cls.__qualname__} object, got {value!r:.60}")
            return
        for name, annotation in hints(cls).items():
            where = f"{path}.{name}"
            always = not is_optional(annotation)
            if always:
                self.report.always += 1
                self.report.fields.add(f"{cls.__qualname__}.{name}")
            if name not in value or value[name] is None:
                if always:
                    self.report.problems.append(f"{where}: always present in {cls.__qualname__}, "
                                                f"{'missing' if name not in value else 'null'}")
                    self.report.wrong.add(f"{cls.__qualname__}.{name}")
                continue
            before = len(self.report.problems)
            self.check_value(value[name], _strip_none(annotation), where)
            if always and len(self.report.problems) == before:
                self.report.always_ok += 1
            elif always:
                self.report.wrong.add(f"{cls.__qualname__}.{name}")

    def check_list(self, value: Any, item: Any, path: str) -> None:
        """Check Stripe's list envelope (`ListObject`'s fields and its `object`) and its items."""
        self.check_object(value, ListObject, path)
        data = value.get("data") if isinstance(value, dict) else None
        for index, entry in enumerate(data if isinstance(data, list) else []):
            self.check_value(entry, item, f"{path}.data[{index}]")

    def check_value(self, value: Any, annotation: Any, path: str) -> None:
        """Check a JSON value against an annotation (not None)."""
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if annotation is Any or isinstance(annotation, typing.TypeVar):
            return  # a list's items are checked by `check_list`
        if origin is Literal:
            if value not in args:
                self.report.problems.append(f"{path}: {value!r} is not one of {sorted(map(str, args))}")
            return
        if origin in (Union, types.UnionType):
            self._check_union(value, args, path)
        elif origin in (list, typing.List):
            if not isinstance(value, list):
                self.report.problems.append(f"{path}: expected a list, got {value!r:.60}")
                return
            for index, entry in enumerate(value):
                self.check_value(entry, args[0], f"{path}[{index}]")
        elif origin in (dict, typing.Dict) or (isinstance(origin, type) and issubclass(origin, UntypedStripeObject)):
            if not isinstance(value, dict):
                self.report.problems.append(f"{path}: expected a hash, got {value!r:.60}")
                return
            for key, entry in value.items():
                self.check_value(entry, args[-1], f"{path}.{key}")
        elif isinstance(origin, type) and issubclass(origin, ListObject):
            self.check_list(value, args[0], path)
        elif annotation in JSON_TYPES:
            # bool is an int in Python; JSON keeps them apart.
            if not isinstance(value, JSON_TYPES[annotation]) or (annotation is not bool and isinstance(value, bool)):
                self.report.problems.append(f"{path}: expected {annotation.__name__}, got {value!r:.60}")
        elif isinstance(annotation, type) and issubclass(annotation, StripeObject):
            self.check_object(value, annotation, path)
        else:
            raise TypeError(f"{path}: no rule for the annotation {annotation!r}")

    def _check_union(self, value: Any, args: tuple[Any, ...], path: str) -> None:
        literals = [a for a in args if typing.get_origin(a) is Literal]
        if literals and str in args and len(args) == 2:
            self.check_value(value, literals[0], path)  # `Literal[...] | str`: the enum, see the module doc
            return
        classes = [a for a in args if isinstance(a, type) and issubclass(a, StripeObject)]
        if isinstance(value, str) and str in args:
            return  # an unexpanded `ExpandableField`
        if isinstance(value, dict) and classes:
            wanted = value.get("object")
            chosen = next((c for c in classes if getattr(c, "OBJECT_NAME", None) == wanted), classes[0])
            self.check_object(value, chosen, path)
            return
        self.report.problems.append(f"{path}: {value!r:.60} matches none of {args}")


def compare(value: dict[str, Any], cls: type, path: str | None = None) -> Report:
    """Return how a JSON object compares with an SDK class."""
    report = Report()
    Checker(report).check_object(value, cls, path or cls.__name__)
    return report
