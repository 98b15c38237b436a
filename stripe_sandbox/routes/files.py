"""`/v1/files`: uploads checked by content, as Stripe checks them."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ..core import Context, route
from ..errors import invalid, missing
from ..ids import new_id
from ..objects import render_file
from ..state import File

if TYPE_CHECKING:
    from ..core import Sandbox

MB = 1024 * 1024
# Per purpose, as docs.stripe.com/file-upload lists them (read 2026-12-06); other purposes: 10 MB, an assumption.
MAX_BYTES_BY_PURPOSE = {"identity_document": 32 * MB, "additional_verification": 16 * MB,
                        "account_requirement": 64 * MB}
MAX_BYTES = 10 * MB
MAX_PIXELS = 8000
# Identity documents may be PDFs too: the SDK's parameter docs ("JPG, PNG, or PDF format") and the page above.
TYPES_BY_PURPOSE = {
    "identity_document": {"jpg", "png", "pdf"},
    "additional_verification": {"jpg", "png", "pdf"},
    "account_requirement": {"jpg", "png", "pdf"},
}


def sniff(data: bytes) -> str | None:
    """Return the file type from its first bytes: jpg, png, pdf or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def dimensions(data: bytes, kind: str) -> tuple[int, int] | None:
    """Return (width, height) of a PNG or JPEG, or None when the header is unreadable."""
    if kind == "png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        return struct.unpack(">II", data[16:24])
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None


@route("POST", "/v1/files", "files.create")
def create(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Upload a file."""
    upload = ctx.files.get("file")
    if upload is None:
        raise invalid("Missing required param: file.", "file", "parameter_missing")
    purpose = ctx.params.get("purpose")
    if not purpose:
        raise invalid("Missing required param: purpose.", "purpose", "parameter_missing")
    data = upload.data
    if not data:
        raise invalid("The file is empty.", "file")
    limit = MAX_BYTES_BY_PURPOSE.get(purpose, MAX_BYTES)
    if len(data) > limit:
        raise invalid(f"The file is {len(data)} bytes; files for {purpose} can be at most {limit} bytes.", "file")
    kind = sniff(data)
    allowed = TYPES_BY_PURPOSE.get(purpose, {"jpg", "png", "pdf"})
    if kind not in allowed:
        raise invalid(f"Files for {purpose} must be one of: {', '.join(sorted(allowed))}; this file's content is "
                      f"{kind or 'not a supported type'}.", "file")
    if kind in ("png", "jpg"):
        size = dimensions(data, kind)
        if size is None:
            raise invalid("The image could not be read.", "file")
        if size[0] > MAX_PIXELS or size[1] > MAX_PIXELS or 0 in size:
            raise invalid(f"Images must be between 1 and {MAX_PIXELS} pixels on each side; this one is "
                          f"{size[0]}x{size[1]}.", "file")
    file = File(new_id("file"), ctx.now, purpose, upload.filename, len(data), kind or "")
    sb.store.files[file.id] = file
    return 200, render_file(file)


@route("GET", "/v1/files/{file}", "files.retrieve")
def retrieve(sb: Sandbox, ctx: Context) -> tuple[int, dict[str, Any]]:
    """Retrieve a file's metadata."""
    file = sb.store.files.get(ctx.args["file"])
    if file is None:
        raise missing("file upload", ctx.args["file"], "file")
    return 200, render_file(file)
