"""Seals: an approved version records the SHA-256 of every file, so any later edit is detected."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

METADATA = "version.toml"  # sealed as its content without the seal itself
# What approving a draft writes into its version.toml (the author too: older drafts had it only in
# `reviewed_by`): not part of what the reviewer reviewed.
SIGN_OFF_KEYS = ("status", "reviewed_by", "reviewed_on", "author", "sign_off_note", "reviewed_digest",
                 "reviewed_against")


def _metadata_digest(directory: Path, leave_out: tuple[str, ...] = ()) -> str:
    data = tomllib.loads((directory / METADATA).read_text(encoding="utf-8"))
    for key in ("seal", *leave_out):
        data.pop(key, None)
    canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def digests(directory: Path) -> dict[str, str]:
    """Return {relative file: sha256} for every file of a version directory."""
    found = {METADATA: _metadata_digest(directory)}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative != METADATA and "__pycache__" not in relative:
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def review_digest(directory: Path) -> str:
    """Return one SHA-256 of everything a reviewer reviews in a version: every file and its metadata.

    The sign-off itself (status, reviewer, date, note) is left out, so the digest of a draft as the
    reviewer saw it equals the digest of the version they approved, and any edit in between changes it.
    """
    found = digests(directory)
    found[METADATA] = _metadata_digest(directory, SIGN_OFF_KEYS)
    canonical = "".join(f"{name}\0{digest}\n" for name, digest in sorted(found.items()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check(directory: Path, seal: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (place, problem) pairs for every difference between a directory and its seal."""
    problems = []
    actual = digests(directory)
    for name in sorted(set(seal) | set(actual)):
        if name not in actual:
            problems.append((f"seal.{name}", f"{name} was removed after the version was approved"))
        elif name not in seal:
            problems.append(("seal", f"{name} was added after the version was approved"))
        elif seal[name] != actual[name]:
            problems.append((f"seal.{name}", f"{name} was changed after the version was approved "
                                             "(approved versions never change: make a new version)"))
    return problems
