"""Read catalog TOML files, collecting problems that name the file, the place and the line."""

from __future__ import annotations

import re
from pathlib import Path

import rtoml  # a Rust TOML parser: a fifth of tomllib's time, so the catalog loads in well under 100 ms
from typing import Any

from .model import Problem

_TOML_POSITION = re.compile(r"at line (\d+)")


class Reader:
    """Read the files of one catalog version and collect what is wrong with them."""

    def __init__(self, root: Path) -> None:
        self.root = root  # names are shown relative to the catalog root
        self.problems: list[Problem] = []
        self.reported = 0  # every call of `problem`, repeats included: callers compare counts
        self._texts: dict[str, str] = {}

    def name(self, path: Path) -> str:
        """Return a file's name as problems show it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def load(self, path: Path) -> dict[str, Any] | None:
        """Parse a TOML file; record a problem and return None when it cannot be read."""
        name = self.name(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(name, "", f"cannot be read ({exc})"))
            return None
        self._texts[name] = text
        try:
            return rtoml.loads(text)
        except rtoml.TomlParsingError as exc:
            match = _TOML_POSITION.search(str(exc))
            self.problems.append(Problem(name, "", f"is not valid TOML: {exc}",
                                         int(match.group(1)) if match else None))
            return None

    def problem(self, file: str, place: str, message: str, needle: str | None = None) -> None:
        """Record a problem (once); `needle` (a key or value as written) locates its line."""
        self.reported += 1
        problem = Problem(file, place, message, self._line(file, needle))
        if problem not in self.problems:
            self.problems.append(problem)

    def _line(self, file: str, needle: object) -> int | None:
        text = self._texts.get(file)
        if not text or needle is None or needle == "":
            return None
        needle = str(needle)
        quoted = f'"{needle}"'
        for number, line in enumerate(text.splitlines(), start=1):
            if quoted in line:
                return number
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(rf"\s*(\[{re.escape(needle)}[\].]|{re.escape(needle)}\s*=)", line):
                return number
        return None

    def expect(self, file: str, place: str, value: Any, kind: type | tuple[type, ...], what: str,
               needle: str | None = None) -> bool:
        """Record a problem unless `value` is of `kind`; return whether it is."""
        if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
            if not isinstance(value, str) or value.strip():
                return True
        shown = "missing" if value is None else f"got {type(value).__name__} {value!r}"
        self.problem(file, place, f"must be {what} ({shown})", needle or place.rsplit(".", 1)[-1])
        return False

    def table(self, file: str, place: str, value: Any) -> dict[str, Any]:
        """Return `value` if it is a table (missing: empty); otherwise record a problem and return {}."""
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.problem(file, place, f"must be a table (got {type(value).__name__} {value!r})", place.rsplit(".", 1)[-1])
        return {}

    def tables(self, file: str, place: str, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """Return the (index, table) entries of an array of tables, recording a problem for anything else."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(file, place, f"must be an array of tables ([[{place}]]), got {type(value).__name__}", place)
            return []
        entries = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                entries.append((index, item))
            else:
                self.problem(file, f"{place}[{index}]", f"must be a table (got {type(item).__name__} {item!r})", place)
        return entries

    def unknown_keys(self, file: str, place: str, table: Any, allowed: tuple[str, ...]) -> None:
        """Record a problem for each key of `table` outside `allowed`."""
        if not isinstance(table, dict):
            return
        for key in table:
            if key not in allowed:
                where = f"{place}.{key}" if place else key
                self.problem(file, where, f"is not a known key here; allowed: {', '.join(allowed)}", key)
