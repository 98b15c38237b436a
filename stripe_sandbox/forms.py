"""Decode Stripe-style request bodies into nested Python structures.

stripe-python (16.x) flattens request parameters with ``stripe._encode._api_encode``
and then ``urllib.parse.urlencode`` (``stripe._api_requestor``), finally turning
``%5B``/``%5D`` back into literal brackets.  The encoding rules are:

* a nested dict ``{"individual": {"dob": {"day": 1}}}`` becomes
  ``individual[dob][day]=1``;
* a list always uses explicit indexes: ``expand[0]=a&expand[1]=b``; a list of
  dicts ``additional[0][name]=x``; a list of lists ``a[0][0]=x``;
* ``True``/``False`` become ``true``/``false``; ints, floats and Decimals are
  ``str()``-ed; datetimes become an integer Unix timestamp; objects with an
  ``id`` attribute are sent as that id;
* ``None`` values of dict keys are dropped (but a ``None`` *list item* is sent
  as the string ``"None"``), and empty dicts/lists produce no pair at all;
* an explicit empty string ``key=`` means "unset" to the Stripe API.

:func:`decode_form` is the exact inverse of that encoding for everything that is
representable (see the caveats below).  It also accepts the ``expand[]=a``
append style that curl users and some other SDKs send.

Decoding rules and their deliberate limits:

* Values always stay strings; type coercion is done by
  :mod:`stripe_sandbox.schema`.
* A container whose keys are *all* ASCII decimal integers is a list.  The
  indexes must be canonical (no leading zeros) and contiguous from 0, otherwise
  :class:`FormDecodeError` is raised.  Consequently a dict whose keys are all
  numeric strings (``metadata[0]=x``) decodes as a list; the schema layer turns
  such a list back into a map where a map is expected.
* ``[]`` (append) may only be the last bracket segment (``a[]=x``), and a list
  built with ``[]`` cannot be mixed with indexed or named keys.
* The same full key given twice (``a=1&a=2`` or ``a[0]=x&a[0]=y``) is rejected
  as ambiguous, as is a key that is both a value and a container
  (``a=1&a[b]=2``).
* Keys containing literal ``[`` or ``]`` cannot be represented (the SDK does not
  escape them either) and are rejected as unbalanced brackets.

:func:`decode_multipart` parses the ``multipart/form-data`` bodies that
``stripe._multipart_data_generator.MultipartDataGenerator`` produces for
``POST /v1/files``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from typing import Any, Iterable
from urllib.parse import parse_qsl

__all__ = [
    "FormDecodeError",
    "UploadedFile",
    "decode_form",
    "decode_multipart",
    "build_nested",
]

_INDEX_RE = re.compile(r"[0-9]+", re.ASCII)
_CANONICAL_INDEX_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
# RFC 2046 boundary characters.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_MAX_FIELDS = 10_000


class FormDecodeError(ValueError):
    """A request body or query string could not be decoded.

    Attributes:
        message: human-readable explanation (Stripe ``invalid_request_error`` style).
        param: the offending parameter in bracket notation (``individual[dob]``),
            or ``None`` when the problem is not tied to one parameter.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def __repr__(self) -> str:
        return f"FormDecodeError({self.message!r}, {self.param!r})"


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a ``multipart/form-data`` body."""

    filename: str
    content_type: str | None
    data: bytes


class _Append(list):
    """Marker type for lists built with the ``key[]=value`` append syntax."""


_APPEND = object()  # segment marker for "[]"


def _bracket(segments: Iterable[Any]) -> str:
    """Render path segments back into Stripe bracket notation."""
    it = iter(segments)
    out = str(next(it))
    for seg in it:
        out += "[]" if seg is _APPEND else f"[{seg}]"
    return out


def _split_key(key: str) -> list[Any]:
    """Split ``a[b][c]`` into ``["a", "b", "c"]`` (``[]`` becomes ``_APPEND``)."""
    open_at = key.find("[")
    if open_at == -1:
        if "]" in key:
            raise FormDecodeError(f"Invalid parameter name (unbalanced brackets): {key}", key)
        if not key:
            raise FormDecodeError("Invalid parameter name: empty key", key)
        return [key]
    name = key[:open_at]
    if not name or "]" in name:
        raise FormDecodeError(f"Invalid parameter name (unbalanced brackets): {key}", key)
    segments: list[Any] = [name]
    pos = open_at
    length = len(key)
    while pos < length:
        if key[pos] != "[":
            raise FormDecodeError(f"Invalid parameter name (unbalanced brackets): {key}", key)
        close = key.find("]", pos + 1)
        if close == -1:
            raise FormDecodeError(f"Invalid parameter name (unbalanced brackets): {key}", key)
        seg = key[pos + 1 : close]
        if "[" in seg:
            raise FormDecodeError(f"Invalid parameter name (unbalanced brackets): {key}", key)
        segments.append(_APPEND if seg == "" else seg)
        pos = close + 1
    for seg in segments[:-1]:
        if seg is _APPEND:
            raise FormDecodeError(
                f"Invalid parameter name: '[]' is only allowed at the end of a key: {key}", key
            )
    return segments


def _conflict(key: str, segments: list[Any]) -> FormDecodeError:
    where = _bracket(segments)
    return FormDecodeError(
        f"Conflicting parameter {key}: '{where}' is given both as a value and as nested parameters",
        key,
    )


def _append_conflict(key: str, segments: list[Any]) -> FormDecodeError:
    where = _bracket(segments)
    return FormDecodeError(
        f"Conflicting parameter {key}: '{where}' mixes the '[]' list syntax with other keys",
        key,
    )


def build_nested(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build the nested structure from already-unescaped ``(key, value)`` pairs.

    This is the shared core of :func:`decode_form` and :func:`decode_multipart`.
    Raises :class:`FormDecodeError` on malformed or conflicting keys.
    """
    root: dict[str, Any] = {}
    count = 0
    for key, value in pairs:
        count += 1
        if count > _MAX_FIELDS:
            raise FormDecodeError(f"Too many parameters (more than {_MAX_FIELDS})")
        segments = _split_key(key)
        if segments[-1] is _APPEND:
            parent_path, container_key = segments[:-2], segments[-2]
        else:
            parent_path, container_key = segments[:-1], segments[-1]
        node: dict[str, Any] = root
        for depth, seg in enumerate(parent_path):
            child = node.get(seg)
            if child is None:
                child = {}
                node[seg] = child
            elif isinstance(child, _Append):
                raise _append_conflict(key, segments[: depth + 1])
            elif not isinstance(child, dict):
                raise _conflict(key, segments[: depth + 1])
            node = child
        if segments[-1] is _APPEND:
            existing = node.get(container_key)
            if existing is None:
                existing = _Append()
                node[container_key] = existing
            elif isinstance(existing, dict):
                raise _append_conflict(key, segments[:-1])
            elif not isinstance(existing, _Append):
                raise _conflict(key, segments[:-1])
            existing.append(value)
        else:
            existing = node.get(container_key)
            if existing is None:
                node[container_key] = value
            elif isinstance(existing, str):
                raise FormDecodeError(f"Duplicate parameter: {key}", key)
            elif isinstance(existing, _Append):
                raise _append_conflict(key, segments)
            else:
                raise _conflict(key, segments)
    return {k: _finalize(v, [k]) for k, v in root.items()}


def _finalize(value: Any, path: list[str]) -> Any:
    """Turn intermediate dicts into lists where keys are indexes."""
    if isinstance(value, str):
        return value
    if isinstance(value, _Append):
        return list(value)
    # plain dict of children
    keys = list(value.keys())
    if all(_INDEX_RE.fullmatch(k) for k in keys):
        if not all(_CANONICAL_INDEX_RE.fullmatch(k) for k in keys):
            param = _bracket(path)
            raise FormDecodeError(
                f"Invalid array indexes for {param}: indexes must not have leading zeros", param
            )
        indexes = sorted(int(k) for k in keys)
        if indexes != list(range(len(indexes))):
            param = _bracket(path)
            raise FormDecodeError(
                f"Invalid array indexes for {param}: indexes must be contiguous from 0, "
                f"got {', '.join(map(str, indexes))}",
                param,
            )
        return [_finalize(value[str(i)], path + [str(i)]) for i in indexes]
    return {k: _finalize(v, path + [k]) for k, v in value.items()}


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Decode an ``application/x-www-form-urlencoded`` body or query string.

    ``individual[address][line1]=x`` -> ``{"individual": {"address": {"line1": "x"}}}``;
    ``expand[0]=a&expand[1]=b`` and ``expand[]=a&expand[]=b`` -> ``{"expand": ["a", "b"]}``.
    A leading ``?`` is ignored.  Values stay strings (``""`` means "unset").

    Raises:
        FormDecodeError: undecodable bytes, unbalanced brackets, a key used both
            as a value and a container, duplicate keys, or non-contiguous indexes.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormDecodeError(f"Request body is not valid UTF-8: {exc.reason}") from None
    elif isinstance(body, str):
        text = body
    else:  # pragma: no cover - defensive
        raise TypeError(f"decode_form() expects bytes or str, not {type(body).__name__}")
    if text.startswith("?"):
        text = text[1:]
    if not text:
        return {}
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=_MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise FormDecodeError(f"Invalid percent-encoding (not UTF-8): {exc.reason}") from None
    except ValueError as exc:
        raise FormDecodeError(str(exc)) from None
    return build_nested(pairs)


def _multipart_boundary(content_type: str) -> bytes:
    msg = Message()
    msg["Content-Type"] = content_type
    if msg.get_content_type() != "multipart/form-data":
        raise FormDecodeError(
            f"Expected Content-Type multipart/form-data, got {content_type!r}"
        )
    boundary = msg.get_param("boundary")
    if isinstance(boundary, tuple):
        boundary = collapse_rfc2231_value(boundary)
    if not boundary or not isinstance(boundary, str) or not _BOUNDARY_RE.fullmatch(boundary):
        raise FormDecodeError("Missing or invalid multipart boundary in Content-Type")
    return boundary.encode("ascii")


def _header_param(msg: Message, name: str) -> str | None:
    value = msg.get_param(name, header="content-disposition")
    if value is None:
        return None
    if isinstance(value, tuple):
        return collapse_rfc2231_value(value)
    return str(value)


def decode_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parse a ``multipart/form-data`` body as sent by stripe-python for ``POST /v1/files``.

    Text parts are collected as ``(name, value)`` pairs and nested-decoded exactly like
    :func:`decode_form` (``file_link_data[create]=true`` -> ``{"file_link_data":
    {"create": "true"}}``).  Parts whose ``Content-Disposition`` carries a
    ``filename`` become :class:`UploadedFile` values keyed by their (raw) field name.

    Returns:
        ``(params, files)``.

    Raises:
        FormDecodeError: wrong content type, missing boundary, missing closing
            delimiter, parts without ``Content-Disposition: form-data; name=...``,
            non-UTF-8 text parts or headers, duplicate file fields, or any error
            :func:`decode_form` would raise for the text parameters.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise TypeError("decode_multipart() expects bytes")
    body = bytes(body)
    delimiter = b"--" + _multipart_boundary(content_type)
    separator = b"\r\n" + delimiter
    if body.startswith(delimiter):
        pos = len(delimiter)
    else:  # tolerate a preamble, as RFC 2046 allows
        first = body.find(separator)
        if first == -1:
            raise FormDecodeError("Malformed multipart body: boundary not found")
        pos = first + len(separator)

    pairs: list[tuple[str, str]] = []
    files: dict[str, UploadedFile] = {}
    parser = HeaderParser(policy=compat32)
    while True:
        if body.startswith(b"--", pos):
            break  # close delimiter; anything after it is epilogue
        line_end = body.find(b"\r\n", pos)
        if line_end == -1 or body[pos:line_end].strip(b" \t"):
            raise FormDecodeError("Malformed multipart body: bad boundary line")
        start = line_end + 2
        end = body.find(separator, start)
        if end == -1:
            raise FormDecodeError("Malformed multipart body: missing closing boundary")
        part = body[start:end]
        pos = end + len(separator)

        header_end = part.find(b"\r\n\r\n")
        if part.startswith(b"\r\n"):
            header_bytes, payload = b"", part[2:]
        elif header_end == -1:
            raise FormDecodeError("Malformed multipart part: no blank line after headers")
        else:
            header_bytes, payload = part[:header_end], part[header_end + 4 :]
        try:
            header_text = header_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise FormDecodeError("Malformed multipart part: headers are not UTF-8") from None
        headers = parser.parsestr(header_text + "\r\n\r\n", headersonly=True)
        if headers.get_content_disposition() != "form-data":
            raise FormDecodeError(
                "Malformed multipart part: missing Content-Disposition: form-data"
            )
        name = _header_param(headers, "name")
        if not name:
            raise FormDecodeError("Malformed multipart part: Content-Disposition has no name")
        filename = _header_param(headers, "filename")
        if filename is not None:
            if name in files:
                raise FormDecodeError(f"Duplicate file parameter: {name}", name)
            part_type = headers.get_content_type() if headers.get("content-type") else None
            files[name] = UploadedFile(filename=filename, content_type=part_type, data=payload)
        else:
            try:
                pairs.append((name, payload.decode("utf-8")))
            except UnicodeDecodeError:
                raise FormDecodeError(
                    f"Multipart parameter {name} is not valid UTF-8", name
                ) from None
    params = build_nested(pairs)
    for name in files:
        top = _split_key(name)[0]
        if top in params:
            raise FormDecodeError(
                f"Conflicting parameter {name}: given both as a file and as a value", name
            )
    return params, files
