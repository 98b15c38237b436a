"""A Babel extractor for catalog files: every `label`, `help`, `holder_name_help` and `group` string.

Registered as the `requirements_catalog` extraction method (`babel.cfg`), so `pybabel extract`
puts the catalog's wording into the same message template as the code and templates. Each
message carries a comment naming where it is used (`countries/US.toml: person.id_number.label`).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO

MESSAGE_KEYS = frozenset({"label", "help", "holder_name_help", "group"})


def messages(data: Any, place: str = "") -> Iterator[tuple[str, str]]:
    """Yield (place, message) for every translatable string in parsed catalog data."""
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{place}.{key}" if place else key
            if key in MESSAGE_KEYS and isinstance(value, str):
                yield where, value
            else:
                yield from messages(value, where)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from messages(item, f"{place}[{index}]")


def _line_of(lines: list[str], message: str) -> int:
    encoded = json.dumps(message, ensure_ascii=False)
    return next((number for number, line in enumerate(lines, start=1) if encoded in line or
                 f"'{message}'" in line), 1)


def extract_catalog(fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: dict[str, Any]
                    ) -> Iterator[tuple[int, None, str, list[str]]]:
    """Yield Babel's (line, function, message, comments) for one catalog TOML file."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    name = getattr(fileobj, "name", "")
    short = "/".join(str(name).replace("\\", "/").split("/")[-2:])
    data = tomllib.loads(text)
    if "names_from" in data:  # names shown in the user's language come from Babel, not from here
        return
    for place, message in messages(data):
        yield _line_of(lines, message), None, message, [f"{short}: {place}"]
