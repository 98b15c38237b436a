"""Request-parameter schemas derived from stripe-python's own ``TypedDict`` params.

stripe-python 16.x ships one ``TypedDict`` per API operation under
``stripe.params`` (e.g. ``AccountCreateParams``) that lists every parameter of
its pinned API version.  Their annotations are a mix of real ``typing`` objects
and strings (``NotRequired["Literal['']|AccountUpdateParamsIndividualDob"]``),
and ``typing.get_type_hints`` cannot evaluate them (``RequestOptions`` refers
to names that are only imported under ``TYPE_CHECKING``).  This module resolves
them itself:

* request options inherited from ``stripe._request_options.RequestOptions``
  (``api_key``, ``stripe_account``, ``idempotency_key``, ...) are skipped;
* ``NotRequired[...]``/``Required[...]`` are stripped (required-ness comes from
  ``__required_keys__``);
* string/``ForwardRef`` annotations are evaluated with ``eval`` in the defining
  module's namespace plus the ``typing`` names the generator uses.  The text
  being evaluated is the installed SDK's own generated source, never request
  data.

The resulting :class:`Node` tree drives :func:`validate` (Stripe-faithful
errors, string -> int/bool/float coercion), :func:`param_paths` and
:func:`is_valid_path`.

Type mapping:

==============================================  ===================================
SDK annotation                                  Node
==============================================  ===================================
``str``                                         ``string``
``int`` / ``bool``                              ``integer`` / ``boolean``
``float`` / ``Decimal``                         ``number`` (``decimal`` flag for Decimal)
``Literal['a', 'b']`` (with or without ``|str``) ``enum`` (the ``|str`` forward-compat
                                                escape is ignored: the real API rejects
                                                unknown enum values)
``Literal[''] | X``                             ``X`` with ``emptyable=True``
``List[X]``                                     ``list`` of ``X``
``Dict[str, str] | UntypedStripeObject[str]``   ``map`` (free-form string -> string)
``SomeParamsTypedDict``                         ``object``
``str | ObjA | ObjB``                           ``union``
``Any`` (``FileCreateParams.file``)             ``any`` (accepts an uploaded file)
==============================================  ===================================

Error messages and codes (``ParamError``) follow what the live API returns:

* ``Received unknown parameter: individual[foo]`` -- ``parameter_unknown``;
* ``Missing required param: business_profile[annual_revenue][amount].`` --
  ``parameter_missing``;
* ``You passed an empty string for 'x'. We assume empty values are an attempt to
  unset a parameter; however 'x' cannot be unset. You should remove 'x' from your
  request or supply a non-empty value.`` -- ``parameter_invalid_empty``;
* ``Invalid integer: abc`` -- ``parameter_invalid_integer``;
* ``Invalid boolean: abc``, ``Invalid decimal: abc``, ``Invalid hash``,
  ``Invalid array``, ``Invalid string`` and the enum message
  ``Invalid business_type: must be one of company, government_entity,
  individual, or non_profit`` -- no ``code`` (``None``): observed live
  responses for these carry only ``type``/``message``/``param``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import sys
import threading
import types
import typing
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ForwardRef, Iterable, Mapping

import typing_extensions

import stripe.params as _stripe_params
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

__all__ = [
    "Field",
    "Node",
    "ParamError",
    "SchemaError",
    "SERVICE_PARAMS",
    "is_valid_path",
    "param_paths",
    "schema",
    "validate",
]

# ---------------------------------------------------------------------------
# Operation -> params class, as typed by the SDK 16.1 services
# (``client.v1.accounts.persons.create(..., params: AccountPersonCreateParams)``).
# ---------------------------------------------------------------------------

SERVICE_PARAMS: dict[str, str] = {
    "accounts.create": "AccountCreateParams",
    "accounts.update": "AccountUpdateParams",
    "accounts.retrieve": "AccountRetrieveParams",
    "accounts.list": "AccountListParams",
    "accounts.delete": "AccountDeleteParams",
    "persons.create": "AccountPersonCreateParams",
    "persons.update": "AccountPersonUpdateParams",
    "persons.retrieve": "AccountPersonRetrieveParams",
    "persons.list": "AccountPersonListParams",
    "persons.delete": "AccountPersonDeleteParams",
    "external_accounts.create": "AccountExternalAccountCreateParams",
    "external_accounts.update": "AccountExternalAccountUpdateParams",
    "external_accounts.retrieve": "AccountExternalAccountRetrieveParams",
    "external_accounts.list": "AccountExternalAccountListParams",
    "external_accounts.delete": "AccountExternalAccountDeleteParams",
    "files.create": "FileCreateParams",
    "files.retrieve": "FileRetrieveParams",
    "files.list": "FileListParams",
    "country_specs.list": "CountrySpecListParams",
    "country_specs.retrieve": "CountrySpecRetrieveParams",
    "tokens.create": "TokenCreateParams",
    "tokens.retrieve": "TokenRetrieveParams",
    "account_links.create": "AccountLinkCreateParams",
}

KINDS = frozenset(
    {"object", "string", "integer", "number", "boolean", "enum", "list", "map", "union", "any"}
)

_EMPTY_FIELDS: Mapping[str, "Field"] = MappingProxyType({})


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    """One node of a parameter schema.

    Attributes:
        kind: one of ``object``, ``string``, ``integer``, ``number``, ``boolean``,
            ``enum``, ``list``, ``map``, ``union``, ``any``.
        emptyable: ``Literal['']`` is allowed, i.e. ``""`` may be sent to unset it.
        fields: for ``object``: field name -> :class:`Field` (read-only mapping).
        required: for ``object``: names of required fields.
        values: for ``enum``: the allowed values, in SDK order.
        item: for ``list``: the item schema.
        options: for ``union``: the alternatives, in SDK order.
        type_name: for ``object``: the SDK ``TypedDict`` class name.
        decimal: for ``number``: the SDK type is ``Decimal`` (coerce to ``Decimal``).

    Nodes compare by identity; object nodes may be shared (and, in principle,
    recursive), so ``repr`` does not descend into fields.
    """

    kind: str
    emptyable: bool = False
    fields: Mapping[str, "Field"] = field(default_factory=lambda: _EMPTY_FIELDS)
    required: frozenset[str] = frozenset()
    values: tuple[str, ...] = ()
    item: "Node | None" = None
    options: tuple["Node", ...] = ()
    type_name: str | None = None
    decimal: bool = False

    def __repr__(self) -> str:
        extra = ""
        if self.kind == "object":
            extra = f", type_name={self.type_name!r}, fields={sorted(self.fields)!r}"
        elif self.kind == "enum":
            extra = f", values={self.values!r}"
        elif self.kind == "list":
            extra = f", item={self.item!r}"
        elif self.kind == "union":
            extra = f", options={self.options!r}"
        empt = ", emptyable=True" if self.emptyable else ""
        return f"Node(kind={self.kind!r}{empt}{extra})"


@dataclass(frozen=True, eq=False)
class Field:
    """A named member of an ``object`` node."""

    name: str
    node: Node
    required: bool


class SchemaError(LookupError):
    """The params class is unknown or uses an annotation this resolver cannot map."""


class ParamError(ValueError):
    """A request parameter is invalid, in the shape of a Stripe ``invalid_request_error``.

    Attributes:
        message: the Stripe-style message.
        param: the parameter in bracket notation (``individual[dob][year]``).
        code: the Stripe error code (``parameter_unknown``, ``parameter_missing``,
            ``parameter_invalid_empty``, ``parameter_invalid_integer``) or ``None``
            for errors the live API reports without a code.
    """

    def __init__(self, message: str, param: str | None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def __repr__(self) -> str:
        return f"ParamError({self.message!r}, param={self.param!r}, code={self.code!r})"


# ---------------------------------------------------------------------------
# Annotation resolution
# ---------------------------------------------------------------------------

_STRING = Node("string")
_INTEGER = Node("integer")
_BOOLEAN = Node("boolean")
_NUMBER = Node("number")
_DECIMAL = Node("number", decimal=True)
_MAP = Node("map")
_ANY = Node("any")

_TYPING_NS: dict[str, Any] = {
    "Any": typing.Any,
    "Dict": typing.Dict,
    "List": typing.List,
    "Mapping": typing.Mapping,
    "Optional": typing.Optional,
    "Union": typing.Union,
    "Literal": typing.Literal,
    "NotRequired": typing.NotRequired,
    "Required": typing.Required,
    "Decimal": Decimal,
    "UntypedStripeObject": UntypedStripeObject,
}
_LITERAL_ORIGINS = {typing.Literal, typing_extensions.Literal}
_NOT_REQUIRED = {typing.NotRequired, typing_extensions.NotRequired}
_REQUIRED = {typing.Required, typing_extensions.Required}
_UNION_ORIGINS = {typing.Union, types.UnionType}
_LIST_ORIGINS = {list, tuple, typing.List}
_MAP_ORIGINS = {dict, typing.Dict, Mapping, typing.Mapping, UntypedStripeObject}
_REQUEST_OPTION_ANNOTATIONS: Mapping[str, Any] = RequestOptions.__annotations__

_BUILD_LOCK = threading.RLock()
_OBJECT_NODES: dict[type, Node] = {}


@functools.cache
def _module_namespace(module_name: str) -> dict[str, Any]:
    namespace = dict(_TYPING_NS)
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    namespace.update(vars(module))
    return namespace


def _is_typeddict(obj: Any) -> bool:
    return isinstance(obj, type) and typing_extensions.is_typeddict(obj)


def _evaluate(annotation: Any, namespaces: tuple[str, ...]) -> Any:
    """Turn a ``ForwardRef``/string annotation into a typing object."""
    if isinstance(annotation, ForwardRef):
        annotation = annotation.__forward_arg__
    if not isinstance(annotation, str):
        return annotation
    error: Exception | None = None
    for module_name in namespaces:
        try:
            # The string is generated SDK source (a type expression), not user input.
            return eval(annotation, _module_namespace(module_name))  # noqa: S307
        except NameError as exc:
            error = exc
    raise SchemaError(f"Cannot resolve annotation {annotation!r}: {error}")


def _to_node(annotation: Any, namespaces: tuple[str, ...]) -> Node:
    tp = _evaluate(annotation, namespaces)
    origin = typing.get_origin(tp)
    if origin in _NOT_REQUIRED or origin in _REQUIRED:
        return _to_node(typing.get_args(tp)[0], namespaces)
    if tp is str:
        return _STRING
    if tp is bool:
        return _BOOLEAN
    if tp is int:
        return _INTEGER
    if tp is float:
        return _NUMBER
    if tp is Decimal:
        return _DECIMAL
    if tp is Any:
        return _ANY
    if origin in _LITERAL_ORIGINS or origin in _UNION_ORIGINS:
        return _union_node([tp], namespaces)
    if origin in _LIST_ORIGINS:
        args = typing.get_args(tp)
        item = _to_node(args[0], namespaces) if args else _ANY
        return Node("list", item=item)
    if origin in _MAP_ORIGINS or tp in (dict, UntypedStripeObject):
        return _MAP
    if _is_typeddict(tp):
        return _object_node(tp)
    raise SchemaError(f"Unsupported annotation {tp!r}")


def _flatten_union(args: Iterable[Any], namespaces: tuple[str, ...]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        tp = _evaluate(arg, namespaces)
        if typing.get_origin(tp) in _UNION_ORIGINS:
            out.extend(_flatten_union(typing.get_args(tp), namespaces))
        else:
            out.append(tp)
    return out


def _union_node(args: list[Any], namespaces: tuple[str, ...]) -> Node:
    literals: list[str] = []
    has_str = False
    emptyable = False
    others: list[Node] = []
    for tp in _flatten_union(args, namespaces):
        if tp is type(None):
            continue
        if typing.get_origin(tp) in _LITERAL_ORIGINS:
            for value in typing.get_args(tp):
                if not isinstance(value, str):
                    raise SchemaError(f"Unsupported non-string Literal value {value!r}")
                if value == "":
                    emptyable = True
                elif value not in literals:
                    literals.append(value)
        elif tp is str:
            has_str = True
        else:
            node = _to_node(tp, namespaces)
            if node.kind == "map" and any(o.kind == "map" for o in others):
                continue  # Dict[str, str] | UntypedStripeObject[str] is one map
            others.append(node)
    options: list[Node] = []
    if literals:
        options.append(Node("enum", values=tuple(literals)))
    elif has_str:
        options.append(_STRING)
    options.extend(others)
    if not options:  # bare Literal['']
        return Node("enum", emptyable=True)
    if len(options) == 1:
        only = options[0]
        return replace(only, emptyable=True) if emptyable and not only.emptyable else only
    return Node("union", options=tuple(options), emptyable=emptyable)


def _annotation_namespaces(cls: type) -> tuple[str, ...]:
    names: list[str] = [cls.__module__]
    pending = list(getattr(cls, "__orig_bases__", ()))
    while pending:
        base = pending.pop(0)
        if isinstance(base, type) and base.__module__ not in names:
            names.append(base.__module__)
            pending.extend(getattr(base, "__orig_bases__", ()))
    return tuple(names)


def _object_node(cls: type) -> Node:
    cached = _OBJECT_NODES.get(cls)
    if cached is not None:
        return cached
    annotations: dict[str, Any] = {}
    for key, annotation in cls.__annotations__.items():
        # TypedDict merges base annotations into the subclass, keeping the same
        # objects: anything identical to RequestOptions' annotation is a request
        # option (api_key, stripe_account, ...), not an API parameter.
        if _REQUEST_OPTION_ANNOTATIONS.get(key, None) is annotation:
            continue
        annotations[key] = annotation
    required_keys = getattr(cls, "__required_keys__", frozenset())
    required = frozenset(k for k in annotations if k in required_keys)
    fields: dict[str, Field] = {}
    node = Node(
        "object",
        fields=MappingProxyType(fields),
        required=required,
        type_name=cls.__name__,
    )
    _OBJECT_NODES[cls] = node  # registered before filling: tolerates recursion
    namespaces = _annotation_namespaces(cls)
    try:
        for key in sorted(annotations):
            fields[key] = Field(
                name=key,
                node=_to_node(annotations[key], namespaces),
                required=key in required,
            )
    except BaseException:
        del _OBJECT_NODES[cls]
        raise
    return node


def _find_class(params_class: str) -> type:
    if "." in params_class:
        module_path, _, name = params_class.rpartition(".")
        try:
            module = importlib.import_module(f"stripe.params.{module_path}")
        except ImportError:
            raise SchemaError(f"Unknown params class {params_class!r}") from None
        cls = getattr(module, name, None)
    else:
        cls = getattr(_stripe_params, params_class, None)
        if cls is None:
            for info in pkgutil.iter_modules(_stripe_params.__path__):
                if not info.ispkg or info.name == "v2":
                    continue
                module = importlib.import_module(f"stripe.params.{info.name}")
                cls = getattr(module, params_class, None)
                if cls is not None:
                    break
    if cls is None or not _is_typeddict(cls):
        raise SchemaError(f"Unknown params class {params_class!r}")
    return cls


@functools.cache
def schema(params_class: str) -> Node:
    """Return the (cached) ``object`` schema of an SDK params class.

    ``params_class`` is a class name exported by ``stripe.params`` (e.g.
    ``"AccountCreateParams"``) or one of its v1 sub-packages (``"treasury.X"`` or
    just ``"X"``).

    Raises:
        SchemaError: unknown class, or an annotation that cannot be mapped.
    """
    cls = _find_class(params_class)
    with _BUILD_LOCK:
        return _object_node(cls)


# ---------------------------------------------------------------------------
# Validation / coercion
# ---------------------------------------------------------------------------

_INTEGER_RE = re.compile(r"-?[0-9]+", re.ASCII)
_NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _child(param: str, key: object) -> str:
    return f"{param}[{key}]" if param else str(key)


def _empty_error(param: str) -> ParamError:
    return ParamError(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt "
        f"to unset a parameter; however '{param}' cannot be unset. You should remove "
        f"'{param}' from your request or supply a non-empty value.",
        param,
        "parameter_invalid_empty",
    )


def _one_of(values: tuple[str, ...]) -> str:
    if len(values) <= 1:
        return "".join(values)
    if len(values) == 2:
        return f"{values[0]} or {values[1]}"
    return ", ".join(values[:-1]) + f", or {values[-1]}"


def _scalar_text(value: Any) -> str | None:
    """The wire form of a scalar as stripe-python would send it (None for containers)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return None


def _is_container(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple))


def _validate(node: Node, value: Any, param: str) -> Any:
    if isinstance(value, str) and value == "":
        if node.emptyable:
            return ""
        raise _empty_error(param)
    kind = node.kind
    if kind == "string":
        text = _scalar_text(value)
        if text is None:
            raise ParamError("Invalid string", param)
        return text
    if kind == "enum":
        text = _scalar_text(value)
        if text is None:
            raise ParamError("Invalid string", param)
        if text in node.values:
            return text
        raise ParamError(f"Invalid {param}: must be one of {_one_of(node.values)}", param)
    if kind == "object":
        if not isinstance(value, Mapping):
            raise ParamError("Invalid hash", param)
        return _validate_object(node, value, param)
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INTEGER_RE.fullmatch(value):
            number = int(value)
        elif _is_container(value):
            raise ParamError("Invalid integer", param, "parameter_invalid_integer")
        else:
            raise ParamError(
                f"Invalid integer: {_scalar_text(value)}", param, "parameter_invalid_integer"
            )
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise ParamError(f"Invalid integer: {number}", param, "parameter_invalid_integer")
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value == "true":
            return True
        if value == "false":
            return False
        if _is_container(value):
            raise ParamError("Invalid boolean", param)
        raise ParamError(f"Invalid boolean: {_scalar_text(value)}", param)
    if kind == "number":
        return _validate_number(node, value, param)
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise ParamError("Invalid array", param)
        item = node.item or _ANY
        return [_validate(item, v, f"{param}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        return _validate_map(value, param)
    if kind == "union":
        return _validate_union(node, value, param)
    return value  # "any"


def _validate_number(node: Node, value: Any, param: str) -> Any:
    if _is_container(value):
        raise ParamError("Invalid decimal", param)
    text = _scalar_text(value)
    if text is None or not _NUMBER_RE.fullmatch(text):
        raise ParamError(f"Invalid decimal: {text}", param)
    if node.decimal:
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex guarantees validity
            raise ParamError(f"Invalid decimal: {text}", param) from None
    return float(text)


def _validate_map(value: Any, param: str) -> dict[str, str]:
    if isinstance(value, (list, tuple)):
        # decode_form turns an all-numeric-key container (metadata[0]=x) into a list.
        value = {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, Mapping):
        raise ParamError("Invalid hash", param)
    out: dict[str, str] = {}
    for key in sorted(value, key=str):
        text = _scalar_text(value[key])
        if text is None:
            raise ParamError("Invalid string", _child(param, key))
        out[str(key)] = text
    return out


def _validate_object(node: Node, value: Mapping[str, Any], param: str) -> dict[str, Any]:
    fields = node.fields
    given = {str(k): v for k, v in value.items() if v is not None}
    out: dict[str, Any] = {}
    keys = sorted(given.keys() | node.required) if node.required else sorted(given)
    for key in keys:
        child_param = f"{param}[{key}]" if param else key
        spec = fields.get(key)
        if spec is None:
            raise ParamError(
                f"Received unknown parameter: {child_param}", child_param, "parameter_unknown"
            )
        if key not in given:
            raise ParamError(
                f"Missing required param: {child_param}.", child_param, "parameter_missing"
            )
        out[key] = _validate(spec.node, given[key], child_param)
    return out


def _object_discriminator(option: Node) -> tuple[str, ...]:
    spec = option.fields.get("object")
    if spec is None or spec.node.kind != "enum":
        return ()
    return spec.node.values


def _validate_union(node: Node, value: Any, param: str) -> Any:
    if isinstance(value, Mapping):
        candidates = [o for o in node.options if o.kind in ("object", "map", "any")]
        tag = value.get("object")
        if isinstance(tag, str):
            tagged = [o for o in candidates if tag in _object_discriminator(o)]
            if tagged:
                candidates = tagged
    elif isinstance(value, (list, tuple)):
        candidates = [o for o in node.options if o.kind in ("list", "any")]
    else:
        candidates = [o for o in node.options if o.kind not in ("object", "map", "list")]
    if not candidates:
        candidates = list(node.options)
    first_error: ParamError | None = None
    for option in candidates:
        try:
            return _validate(option, value, param)
        except ParamError as exc:
            if first_error is None:
                first_error = exc
    assert first_error is not None
    raise first_error


def validate(params_class: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate request params against ``params_class`` and return a coerced copy.

    Strings from a decoded form body are coerced to the schema's types:
    integers (``"1990"`` -> ``1990``), booleans (only ``"true"``/``"false"``, as the
    live API), numbers (``"25.5"`` -> ``25.5``; ``Decimal`` for decimal fields).
    ``""`` is kept as ``""`` where the SDK allows it (``Literal['']``, "unset").
    Keys whose value is ``None`` are treated as absent (the SDK never sends them).

    Objects are checked key by key in sorted order (including required keys that
    are missing), depth first, so the first problem reported is deterministic.

    Raises:
        ParamError: the first invalid parameter found.
        SchemaError: ``params_class`` is unknown.
    """
    root = schema(params_class)
    if not isinstance(params, Mapping):
        raise TypeError("validate() expects a mapping of parameters")
    return _validate_object(root, params, "")


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


def _collect_paths(node: Node, prefix: str, depth: int, max_depth: int, out: set[str]) -> None:
    kind = node.kind
    if kind == "list":
        _collect_paths(node.item or _ANY, prefix, depth, max_depth, out)
    elif kind == "union":
        for option in node.options:
            _collect_paths(option, prefix, depth, max_depth, out)
    elif kind == "object":
        if depth >= max_depth:
            if prefix:
                out.add(prefix)
            return
        for name, spec in node.fields.items():
            path = f"{prefix}.{name}" if prefix else name
            _collect_paths(spec.node, path, depth + 1, max_depth, out)
    elif prefix:
        out.add(prefix)


@functools.cache
def param_paths(params_class: str, max_depth: int = 8) -> frozenset[str]:
    """Dotted leaf paths of a params class, e.g. ``"individual.address.line1"``.

    Lists are transparent: a list of scalars is a leaf at its own name
    (``"expand"``, ``"individual.full_name_aliases"``) and a list of objects
    contributes its item's fields directly below the list's name (no ``[]``
    marker), matching the dotted style of Stripe's ``requirements`` hashes.
    Unions contribute the paths of every option, so a field that accepts a
    string *or* an object (``external_account``) is a leaf and also has
    sub-paths.  Maps (``metadata``) are leaves.  Objects nested deeper than
    ``max_depth`` segments are reported as leaves at the cut-off.
    """
    out: set[str] = set()
    _collect_paths(schema(params_class), "", 0, max_depth, out)
    return frozenset(out)


def _expand(node: Node) -> Iterable[Node]:
    if node.kind == "list":
        yield from _expand(node.item or _ANY)
    elif node.kind == "union":
        for option in node.options:
            yield from _expand(option)
    else:
        yield node


@functools.lru_cache(maxsize=4096)
def is_valid_path(params_class: str, dotted: str) -> bool:
    """True when ``dotted`` names a leaf or intermediate node of the schema.

    ``"individual.address"`` and ``"individual.verification.document.front"`` are
    valid for ``AccountCreateParams``.  Lists and unions are traversed
    transparently (as in :func:`param_paths`); one free-form key below a map is
    accepted (``"metadata.order_id"``).  Empty segments make the path invalid.
    """
    if not dotted:
        return False
    current: list[Node] = [schema(params_class)]
    for segment in dotted.split("."):
        if not segment:
            return False
        following: list[Node] = []
        for node in current:
            for concrete in _expand(node):
                if concrete.kind == "object":
                    spec = concrete.fields.get(segment)
                    if spec is not None:
                        following.append(spec.node)
                elif concrete.kind == "map":
                    following.append(_STRING)
        if not following:
            return False
        current = following
    return True
