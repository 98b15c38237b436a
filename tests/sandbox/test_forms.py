"""Tests for stripe_sandbox.forms: decoding what stripe-python 16.1 actually sends."""

from __future__ import annotations

import datetime
import io
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode
from stripe._http_client import HTTPClient
from stripe._multipart_data_generator import MultipartDataGenerator

from stripe_sandbox.forms import (
    FormDecodeError,
    UploadedFile,
    decode_form,
    decode_multipart,
)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def sdk_encode(params: dict[str, Any]) -> str:
    """Exactly the body stripe._api_requestor builds for v1 form requests."""
    encoded = urlencode(list(_api_encode(params)))
    return encoded.replace("%5B", "[").replace("%5D", "]")


class RecordingHTTPClient(HTTPClient):
    """An SDK HTTP client that records the request instead of sending it."""

    name = "recording"

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__()
        self.response = response
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ANN001
        self.calls.append((method, url, dict(headers or {}), post_data))
        return json.dumps(self.response), 200, {"Request-Id": "req_test"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):  # noqa: ANN001
        raise NotImplementedError

    def close(self) -> None:
        pass


def make_client(response: dict[str, Any]) -> tuple[stripe.StripeClient, RecordingHTTPClient]:
    http = RecordingHTTPClient(response)
    client = stripe.StripeClient("sk_test_sandbox", http_client=http, max_network_retries=0)
    return client, http


_EMPTY = object()


class _Unrepresentable(Exception):
    pass


def expected_decoding(value: Any) -> Any:
    """Model what stripe._encode._api_encode + urlencode make of a dict value.

    The SDK treats values differently by position:

    * as a dict value: ``None`` is dropped, booleans become ``true``/``false``;
    * as a direct list item: scalars are ``str()``-ed (``None`` -> ``"None"``,
      ``True`` -> ``"True"``), dicts are encoded as dicts, and an inner list is
      encoded like a dict keyed by index (so its ``None`` items are dropped).

    Returns _EMPTY for values that produce no pair at all (empty containers, or
    containers of only ``None``).  Raises _Unrepresentable when the encoding is
    lossy: an item that produces no pair leaves a gap in the list indexes.
    """
    if value is None:
        return _EMPTY
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            decoded = expected_decoding(sub)
            if decoded is not _EMPTY:
                out[str(key)] = decoded
        return out if out else _EMPTY
    if isinstance(value, list):
        return _dense([_expected_list_item(sub) for sub in value])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _expected_list_item(item: Any) -> Any:
    if isinstance(item, dict):
        return expected_decoding(item)
    if isinstance(item, list):
        # encoded via _encode_nested_dict(key, dict(enumerate(item))): dict semantics
        return _dense([expected_decoding(sub) for sub in item])
    return str(item)


def _dense(items: list[Any]) -> Any:
    if all(item is _EMPTY for item in items):
        return _EMPTY
    if any(item is _EMPTY for item in items):
        raise _Unrepresentable
    return items


# Keys the SDK can round-trip: no brackets (not escaped by the SDK), not empty, and
# not all-ASCII-digits (a dict keyed "0", "1", ... is indistinguishable from a list).
keys = st.text(min_size=1, max_size=8).filter(
    lambda k: "[" not in k and "]" not in k and not re.fullmatch(r"[0-9]+", k)
)
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    st.one_of(scalars, st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=20,
)
param_dicts = st.dictionaries(keys, values, max_size=5)


# ---------------------------------------------------------------------------
# decode_form: examples
# ---------------------------------------------------------------------------


def test_nested_objects() -> None:
    assert decode_form("individual[address][line1]=x") == {
        "individual": {"address": {"line1": "x"}}
    }
    assert decode_form("a[b][c]=1&a[b][d]=2&a[e]=3&f=4") == {
        "a": {"b": {"c": "1", "d": "2"}, "e": "3"},
        "f": "4",
    }


def test_indexed_lists_and_lists_of_objects() -> None:
    assert decode_form("expand[0]=a&expand[1]=b") == {"expand": ["a", "b"]}
    # index order on the wire does not matter, the index does
    assert decode_form("expand[1]=b&expand[0]=a") == {"expand": ["a", "b"]}
    assert decode_form(
        "additional[0][name]=x&additional[0][age]=1&additional[1][name]=y"
    ) == {"additional": [{"name": "x", "age": "1"}, {"name": "y"}]}
    assert decode_form("grid[0][0]=a&grid[0][1]=b&grid[1][0]=c") == {
        "grid": [["a", "b"], ["c"]]
    }


def test_append_style_lists() -> None:
    assert decode_form("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}
    assert decode_form("x[y][]=1&x[y][]=2&x[z]=3") == {"x": {"y": ["1", "2"], "z": "3"}}


def test_empty_values_stay_empty_strings() -> None:
    assert decode_form("metadata=&individual[dob]=&name") == {
        "metadata": "",
        "individual": {"dob": ""},
        "name": "",
    }


def test_values_stay_strings_and_are_unescaped() -> None:
    body = "email=jane%40example.com&name=Jane+Doe&amount=1000&ok=true&brackets=a[b]"
    assert decode_form(body) == {
        "email": "jane@example.com",
        "name": "Jane Doe",
        "amount": "1000",
        "ok": "true",
        "brackets": "a[b]",
    }


def test_bytes_query_string_and_escaped_brackets() -> None:
    assert decode_form(b"expand%5B0%5D=a&x%5By%5D=%C3%A9") == {
        "expand": ["a"],
        "x": {"y": "é"},
    }
    assert decode_form("?limit=3&starting_after=acct_1") == {
        "limit": "3",
        "starting_after": "acct_1",
    }
    assert decode_form("") == {} and decode_form(b"") == {}


def test_mixed_numeric_and_named_keys_is_a_dict() -> None:
    assert decode_form("metadata[0]=a&metadata[k]=b") == {"metadata": {"0": "a", "k": "b"}}


# ---------------------------------------------------------------------------
# decode_form: round trip with the SDK's own encoder
# ---------------------------------------------------------------------------


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(param_dicts)
def test_round_trip_with_sdk_encoder(params: dict[str, Any]) -> None:
    try:
        expected = expected_decoding(params)
    except _Unrepresentable:
        assume(False)
    if expected is _EMPTY:
        expected = {}
    assert decode_form(sdk_encode(params)) == expected
    assert decode_form(sdk_encode(params).encode("utf-8")) == expected


def test_round_trip_of_special_sdk_values() -> None:
    class WithId:
        id = "acct_123"

    when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    params = {
        "account": WithId(),
        "created": when,
        "percent": Decimal("12.50"),
        "ratio": 0.25,
        "flags": [True, False],
        "flag": True,
        "dropped": None,
        "items": [None, "x"],
        "empty_list": [],
        "empty_dict": {},
        "nested": {"only_none": None},
        "tos_acceptance": {"date": 1700000000, "ip": "127.0.0.1"},
    }
    assert decode_form(sdk_encode(params)) == {
        "account": "acct_123",
        "created": str(int(when.timestamp())),
        "percent": "12.50",
        "ratio": "0.25",
        "flags": ["True", "False"],  # direct list items are str()-ed by the SDK
        "flag": "true",
        "items": ["None", "x"],
        "tos_acceptance": {"date": "1700000000", "ip": "127.0.0.1"},
    }


ACCOUNT_PARAMS: dict[str, Any] = {
    "business_type": "individual",
    "individual": {
        "first_name": "Zoë",
        "last_name": "O'Brien & Sons",
        "dob": {"day": 1, "month": 2, "year": 1990},
        "address": {"line1": "1 Main St #2", "city": "San Francisco", "country": "US"},
        "full_name_aliases": ["Z", "Zed=1"],
    },
    "tos_acceptance": {"date": 1700000000, "ip": "127.0.0.1"},
    "capabilities": {"transfers": {"requested": True}},
    "metadata": {"internal id": "42", "unset_me": ""},
    "expand": ["external_accounts", "individual"],
    "company": {"owners_provided": False},
}


def test_body_sent_by_real_sdk_client_decodes() -> None:
    client, http = make_client({"id": "acct_1", "object": "account"})
    client.v1.accounts.create(ACCOUNT_PARAMS)
    (method, url, headers, body), = http.calls
    assert method == "post" and url.endswith("/v1/accounts")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body == sdk_encode(ACCOUNT_PARAMS)  # the helper is the SDK's encoding
    assert decode_form(body) == {
        "business_type": "individual",
        "individual": {
            "first_name": "Zoë",
            "last_name": "O'Brien & Sons",
            "dob": {"day": "1", "month": "2", "year": "1990"},
            "address": {"line1": "1 Main St #2", "city": "San Francisco", "country": "US"},
            "full_name_aliases": ["Z", "Zed=1"],
        },
        "tos_acceptance": {"date": "1700000000", "ip": "127.0.0.1"},
        "capabilities": {"transfers": {"requested": "true"}},
        "metadata": {"internal id": "42", "unset_me": ""},
        "expand": ["external_accounts", "individual"],
        "company": {"owners_provided": "false"},
    }


def test_query_string_sent_by_real_sdk_client_decodes() -> None:
    client, http = make_client({"object": "list", "data": [], "has_more": False, "url": "/v1/accounts"})
    client.v1.accounts.list({"limit": 3, "expand": ["data.individual"]})
    (method, url, _headers, body), = http.calls
    assert method == "get" and body is None
    query = url.split("?", 1)[1]
    assert decode_form(query) == {"limit": "3", "expand": ["data.individual"]}


# ---------------------------------------------------------------------------
# decode_form: malformed input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("individual[address=x", "individual[address"),
        ("individual]=x", "individual]"),
        ("individual[a]b=x", "individual[a]b"),
        ("individual[a[b]]=x", "individual[a[b]]"),
        ("[a]=x", "[a]"),
        ("=x", ""),
        ("a=1&a[b]=2", "a[b]"),
        ("a[b]=2&a=1", "a"),
        ("a[b][c]=1&a[b]=2", "a[b]"),
        ("a=1&a=2", "a"),
        ("a[0]=x&a[0]=y", "a[0]"),
        ("a[0]=x&a[2]=y", "a"),
        ("a[1]=x", "a"),
        ("a[00]=x", "a"),
        ("a[b][0]=x&a[b][01]=y", "a[b]"),
        ("a[]=1&a[0]=2", "a[0]"),
        ("a[0]=1&a[]=2", "a[]"),
        ("a[]=1&a=2", "a"),
        ("a[][b]=1", "a[][b]"),
    ],
)
def test_malformed_keys_raise(body: str, param: str) -> None:
    with pytest.raises(FormDecodeError) as info:
        decode_form(body)
    assert info.value.param == param
    assert info.value.message == str(info.value) and info.value.message


def test_invalid_utf8_raises() -> None:
    with pytest.raises(FormDecodeError):
        decode_form(b"name=\xff\xfe")
    with pytest.raises(FormDecodeError):
        decode_form("name=%FF%FE")


# ---------------------------------------------------------------------------
# decode_multipart
# ---------------------------------------------------------------------------


def _multipart(params: dict[str, Any]) -> tuple[bytes, str]:
    gen = MultipartDataGenerator()
    gen.add_params(params)
    return gen.get_post_data(), f"multipart/form-data; boundary={gen.boundary}"


def test_multipart_from_sdk_generator() -> None:
    payload = b"\x89PNG\r\n\x1a\n\x00--not-a-boundary\r\n\r\n" + bytes(range(256)) * 8
    upload = io.BytesIO(payload)
    upload.name = "passport front.png"
    body, content_type = _multipart(
        {
            "purpose": "identity_document",
            "file": upload,
            "file_link_data": {"create": True, "expires_at": 1700000000, "metadata": {"k": "v"}},
            "expand": ["links"],
        }
    )
    params, files = decode_multipart(body, content_type)
    assert params == {
        "purpose": "identity_document",
        "file_link_data": {"create": "true", "expires_at": "1700000000", "metadata": {"k": "v"}},
        "expand": ["links"],
    }
    assert files == {
        "file": UploadedFile(
            filename="passport front.png",
            content_type="application/octet-stream",
            data=payload,
        )
    }


def test_multipart_sent_by_real_sdk_client() -> None:
    client, http = make_client({"id": "file_1", "object": "file"})
    upload = io.BytesIO(b"%PDF-1.4 fake\r\n")
    upload.name = "/tmp/statement.pdf"
    client.v1.files.create({"purpose": "account_requirement", "file": upload})
    (method, url, headers, body), = http.calls
    assert method == "post" and url.endswith("/v1/files")
    params, files = decode_multipart(body, headers["Content-Type"])
    assert params == {"purpose": "account_requirement"}
    assert files["file"].filename == "/tmp/statement.pdf"
    assert files["file"].data == b"%PDF-1.4 fake\r\n"


def test_multipart_blob_filename_and_quote_escaping() -> None:
    class Blob:
        def __init__(self) -> None:
            self._buf = io.BytesIO(b"abc")

        def read(self, n: int = -1) -> bytes:
            return self._buf.read(n)

    named = io.BytesIO(b"x")
    named.name = 'my "quoted" file.txt'
    body, content_type = _multipart({"file": Blob(), "other": named})
    _params, files = decode_multipart(body, content_type)
    assert files["file"] == UploadedFile("blob", "application/octet-stream", b"abc")
    # the SDK escapes '"' as %22 in the header; the sandbox reports it as sent
    assert files["other"].filename == "my %22quoted%22 file.txt"


def test_multipart_quoted_boundary_and_preamble() -> None:
    body = (
        b"preamble\r\n--b1\r\nContent-Disposition: form-data; name=\"a[0]\"\r\n\r\nx\r\n"
        b"--b1\r\nContent-Disposition: form-data; name=\"a[1]\"\r\n\r\ny\r\n--b1--\r\nepilogue"
    )
    params, files = decode_multipart(body, 'multipart/form-data; boundary="b1"')
    assert params == {"a": ["x", "y"]} and files == {}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n", "text/plain"),
        (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data"),
        (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", "multipart/form-data; boundary=b"),
        (b"no boundary here", "multipart/form-data; boundary=b"),
        (b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (b"--bjunk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),
        (
            b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"a[b]\"\r\n\r\ny\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (
            b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n1\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"y\"\r\n\r\n2\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_multipart_malformed_raises(body: bytes, content_type: str) -> None:
    with pytest.raises(FormDecodeError):
        decode_multipart(body, content_type)


def test_uploaded_file_is_frozen() -> None:
    upload = UploadedFile("a.png", None, b"")
    with pytest.raises(AttributeError):
        upload.filename = "b.png"  # type: ignore[misc]
