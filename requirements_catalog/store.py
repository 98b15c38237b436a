"""The catalog's versions on disk: listing, the current pointer, new drafts and approval.

Each version is a directory named by its id, the date its review began (`2026-11-28`, then
`2026-11-28.2` for a second one that day). `CURRENT` names the version the forms use; only an
approved version can be current. Approval records a seal of every file; approved versions are
never edited again (loading one whose files changed fails).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from . import integrity
from .loader import load_version
from .model import Version, VersionInfo

DEFAULT_ROOT = Path(__file__).resolve().parent / "versions"
POINTER = "CURRENT"
VERSION_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(\d+))?$")


class StoreError(Exception):
    """Raised when a catalog operation cannot be done (unknown version, not a draft, ...)."""


def _sort_key(version_id: str) -> tuple[str, int]:
    match = VERSION_ID.match(version_id)
    return (match.group(1), int(match.group(2) or 1)) if match else (version_id, 0)


# Approved versions loaded in this process, by their directory and the size and time of every file in it: a
# second `Catalog` on the same files (each app, each worker's app, each test's app) reuses the resolved version
# instead of parsing and resolving ~4,700 fields again. Any change to a file changes the key.
_SHARED: dict[tuple[Any, ...], Version] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 16


def _files_key(directory: Path) -> tuple[Any, ...]:
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            found.append((str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return (str(directory.resolve()), *found)


def _load_shared(directory: Path, root: Path) -> Version:
    """Load a version, reusing an approved one this process already resolved from the same files."""
    key = _files_key(directory)
    with _SHARED_LOCK:
        found = _SHARED.get(key)
    if found is not None:
        return found
    version = load_version(directory, root)
    if version.info.status == "approved":  # drafts change while they are edited: always read them
        with _SHARED_LOCK:
            if len(_SHARED) >= _SHARED_MAX:
                _SHARED.pop(next(iter(_SHARED)))
            _SHARED[key] = version
    return version


class Catalog:
    """All versions under a root directory; resolved versions are loaded once and kept."""

    def __init__(self, root: Path | str = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        self._loaded: dict[str, Version] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        """Return every version id, oldest first."""
        found = [p.name for p in self.root.iterdir() if (p / "version.toml").is_file()] if self.root.is_dir() else []
        return sorted(found, key=_sort_key)

    def current_id(self) -> str:
        """Return the id the `CURRENT` pointer names."""
        pointer = self.root / POINTER
        if not pointer.is_file():
            raise StoreError(f"{pointer}: missing; it names the current version")
        return pointer.read_text(encoding="utf-8").strip()

    def info(self, version_id: str) -> VersionInfo:
        """Return a version's metadata without resolving its fields."""
        path = self._directory(version_id) / "version.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return VersionInfo(id=data.get("id", version_id), reviewed_on=data.get("reviewed_on", date.min),
                           reviewed_by=data.get("reviewed_by", ""), status=data.get("status", ""),
                           notes=data.get("notes", ""), based_on=data.get("based_on") or None,
                           api_version=data.get("api_version", ""), seal=data.get("seal", {}),
                           author=data.get("author", ""), sign_off_note=data.get("sign_off_note", ""),
                           reviewed_digest=data.get("reviewed_digest", ""),
                           reviewed_against=data.get("reviewed_against", ""))

    def version(self, version_id: str | None = None) -> Version:
        """Return a resolved version (the current one by default), loading it on first use."""
        version_id = version_id or self.current_id()
        with self._lock:
            if version_id not in self._loaded:
                self._loaded[version_id] = _load_shared(self._directory(version_id), self.root)
            return self._loaded[version_id]

    def reload(self, version_id: str) -> Version:
        """Load a version from its files again, replacing the kept one."""
        version = load_version(self._directory(version_id), self.root)
        with self._lock:
            self._loaded[version_id] = version
        return version

    def _directory(self, version_id: str) -> Path:
        directory = self.root / version_id
        if not VERSION_ID.match(version_id) or not (directory / "version.toml").is_file():
            known = ", ".join(self.ids()) or "none"
            raise StoreError(f"no catalog version {version_id!r} (known: {known})")
        return directory

    def new_version(self, today: date, author: str, based_on: str | None = None, api_version: str | None = None
                    ) -> str:
        """Copy a version (the current one by default) into a new draft; return the draft's id.

        `api_version` is the Stripe API version the draft's paths will be checked against (the
        installed SDK's); by default the source version's is kept.
        """
        source = self._directory(based_on or self.current_id())
        version_id, suffix = today.isoformat(), 1
        while (self.root / version_id).exists():
            suffix += 1
            version_id = f"{today.isoformat()}.{suffix}"
        target = self.root / version_id
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        metadata = tomllib.loads((source / "version.toml").read_text(encoding="utf-8"))
        for key in ("seal", *integrity.SIGN_OFF_KEYS):
            metadata.pop(key, None)
        metadata.update(id=version_id, reviewed_on=today, reviewed_by="", author=author, status="draft",
                        based_on=source.name, notes=f"Draft based on {source.name}; say here what changed and why.")
        if api_version:
            metadata["api_version"] = api_version
        write_metadata(target, metadata)
        return version_id

    def annotate(self, version_id: str, notes: str) -> None:
        """Replace a draft's notes (what changed and why); approved versions cannot be annotated."""
        directory = self._directory(version_id)
        metadata = tomllib.loads((directory / "version.toml").read_text(encoding="utf-8"))
        if metadata.get("status") != "draft":
            raise StoreError(f"{version_id} is not a draft; approved versions never change")
        metadata["notes"] = notes
        write_metadata(directory, metadata)

    def approve(self, version_id: str, reviewed_by: str, today: date, make_current: bool = True,
                note: str | None = None, reviewed_digest: str | None = None, reviewed_against: str | None = None
                ) -> Version:
        """Sign a draft off: check it, seal its files and (by default) make it current.

        Four eyes: whoever prepared the draft (`author`) cannot approve it. With `reviewed_digest` (the
        `integrity.review_digest` of the draft when the reviewer opened its diff), a draft that changed
        since is refused, and so is one that changes while it is being sealed: what is sealed is what
        was reviewed.
        """
        directory = self._directory(version_id)
        metadata_path = directory / "version.toml"
        original = metadata_path.read_text(encoding="utf-8")
        metadata = tomllib.loads(original)
        if metadata.get("status") != "draft":
            raise StoreError(f"{version_id} is {metadata.get('status')!r}, not a draft; approved versions never change")
        author = str(metadata.get("author") or metadata.get("reviewed_by") or "")
        if same_person(author, reviewed_by):
            raise StoreError(f"{author} prepared {version_id}: someone else must approve it (four eyes)")
        if reviewed_digest is not None and integrity.review_digest(directory) != reviewed_digest:
            raise StoreError(f"{version_id} changed after its diff was opened: read the diff again before approving")
        load_version(directory, self.root)  # refuse to approve broken data
        reviewed = {name: digest for name, digest in integrity.digests(directory).items() if name != "version.toml"}
        metadata.update(status="approved", author=author, reviewed_by=reviewed_by, reviewed_on=today)
        metadata.update({key: value for key, value in (("sign_off_note", note), ("reviewed_digest", reviewed_digest),
                                                       ("reviewed_against", reviewed_against)) if value})
        metadata.pop("seal", None)
        write_metadata(directory, metadata)
        metadata["seal"] = integrity.digests(directory)
        sealed = {name: digest for name, digest in metadata["seal"].items() if name != "version.toml"}
        if sealed != reviewed or (reviewed_digest is not None and integrity.review_digest(directory) != reviewed_digest):
            _write_atomically(metadata_path, original)  # a file changed while sealing: it stays a draft
            raise StoreError(f"{version_id} changed while it was being approved: read the diff again")
        write_metadata(directory, metadata)
        if make_current:
            _write_atomically(self.root / POINTER, version_id + "\n")
        with self._lock:
            self._loaded.pop(version_id, None)
        return self.version(version_id)


def same_person(first: str, second: str) -> bool:
    """Return whether two names or e-mail addresses name the same person (case and spaces aside)."""
    return bool(first.strip()) and first.strip().casefold() == second.strip().casefold()


def _toml_value(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    # JSON string escapes are valid TOML basic-string escapes. JSON leaves DEL (U+007F) and the C1 controls
    # as they are, which TOML forbids in a string (a DEL in a note made version.toml unreadable): escape them.
    return _TOML_FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


_TOML_FORBIDDEN = re.compile("[\x7f-\x9f]")


def write_metadata(directory: Path, metadata: dict[str, Any]) -> None:
    """Write `version.toml` with a stable key order (the seal last)."""
    order = ("id", "reviewed_on", "reviewed_by", "author", "status", "based_on", "api_version", "notes",
             "sign_off_note", "reviewed_against", "reviewed_digest")
    lines = [f"{key} = {_toml_value(metadata[key])}" for key in order if metadata.get(key) not in (None, "")]
    lines += [f"{key} = {_toml_value(value)}" for key, value in metadata.items()
              if key not in order and key != "seal" and value not in (None, "")]
    if metadata.get("seal"):
        lines += ["", "# SHA-256 of every file at approval; any change makes `catalog validate` fail.", "[seal]"]
        lines += [f"{json.dumps(name)} = {json.dumps(digest)}" for name, digest in metadata["seal"].items()]
    _write_atomically(directory / "version.toml", "\n".join(lines) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    # Readers (other workers) see the old file or the new one, never half of it.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
