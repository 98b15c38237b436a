"""Cross-check the sandbox's objects and stripe-python's nullability against stripe-node's `.d.ts`.

stripe-python 16.1.0 writes `Optional[...]` both for a nullable field and for one the API may leave
out; stripe-node 23.1.0 (same API version) keeps them apart: `name: T | null` is always sent, maybe
null, and `name?: T` may be missing. This script, outside the test suite because it needs npm:

1. reads the response interfaces of stripe-node (`Account`, `Person`, `Capability`, `BankAccount`,
   `File`, `Event`, `CountrySpec` and everything nested in them);
2. lists every field where the two SDKs disagree: python says always present (not `Optional`) and
   node says nullable or optional, or python says `Optional` and node says always present, not null;
3. gathers the sandbox's objects exactly as `tests/sandbox/test_sdk_types.py` does and reports each
   field that node says is always sent (no `?`) but the object lacks, or that is null where node
   does not allow null.

    python scripts/node_types_check.py            # runs `npm pack stripe@23.1.0` into a temporary folder
    python scripts/node_types_check.py --package DIR   # an unpacked package (DIR/cjs/resources/*.d.ts)

Exit status 1 when the sandbox misses a field node says is always sent.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NODE_VERSION = "23.1.0"
FILES = ("shared", "resources/Accounts", "resources/Persons", "resources/Capabilities", "resources/BankAccounts",
         "resources/Files", "resources/Events", "resources/CountrySpecs", "resources/FileLinks")
ROOTS = {"Account": "account", "Person": "person", "Capability": "capability", "BankAccount": "bank_account",
         "File": "file", "Event": "event", "CountrySpec": "country_spec"}
# Node's name for a root where it differs: an event is a union of per-type interfaces over `EventBase`.
NODE_NAMES = {"Event": "EventBase"}
_MEMBER = re.compile(r"^\s*(\w+)(\??):\s*(.+);\s*$")
_OPEN = re.compile(r"^\s*(?:export\s+)?(?:declare\s+)?(interface|namespace)\s+(\w+)(?:<\w+>)?(?:\s+extends\s+[^{]+)?\s*\{\s*$")


@dataclass(frozen=True)
class Member:
    """One field of a node interface."""

    optional: bool  # `name?:`
    nullable: bool  # `| null`
    type: str  # the TypeScript type, as written
    scope: str  # the dotted interface it belongs to, for resolving the type's names


def parse(package: Path) -> dict[str, dict[str, Member]]:
    """Return {"Account.Settings.Payouts": {field: Member}} for the interfaces of the files read."""
    interfaces: dict[str, dict[str, Member]] = {}
    for name in FILES:
        stack: list[tuple[str, str | None]] = []  # (kind, name) of each open brace
        for line in (package / "cjs" / f"{name}.d.ts").read_text().splitlines():
            if (opened := _OPEN.match(line)) is not None:
                stack.append((opened.group(1), opened.group(2)))
                continue
            if line.strip().endswith("{"):
                stack.append(("other", None))
                continue
            if line.strip() == "}":
                if stack:
                    stack.pop()
                continue
            if stack and stack[-1][0] == "interface" and (member := _MEMBER.match(line)):
                path = ".".join(n for _, n in stack if n)
                scope = ".".join(n for _, n in stack[:-1] if n)
                text = member.group(3)
                parts = [p.strip() for p in _split_union(text)]
                interfaces.setdefault(path, {})[member.group(1)] = Member(
                    member.group(2) == "?", "null" in parts, " | ".join(p for p in parts if p != "null"), scope)
    return interfaces


def _split_union(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "<({[" and 1 or 0
        depth -= char in ">)}]" and 1 or 0
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def resolve(interfaces: dict[str, dict[str, Member]], member: Member) -> tuple[str | None, bool]:
    """Return the interface a member's type names (or None) and whether it is a list of them."""
    text = member.type
    listed = False
    for wrapper in ("Array<", "ApiList<"):
        if text.startswith(wrapper) and text.endswith(">"):
            text, listed = text[len(wrapper):-1], True
    for candidate in (p.strip() for p in _split_union(text)):
        scope = member.scope.split(".") if member.scope else []
        while True:
            name = ".".join([*scope, candidate])
            if name in interfaces:
                return name, listed
            if not scope:
                break
            scope.pop()
    return None, listed


def python_optional(root: str, path: str, field: str) -> bool | None:
    """Return whether stripe-python annotates the field `Optional` (None when it has no such class or field)."""
    import stripe

    from tests.support.sdk_types import hints, is_optional

    cls: Any = getattr(stripe, root)
    for part in path.split(".")[1:]:
        cls = getattr(cls, part, None)
        if cls is None:
            return None
    annotation = hints(cls).get(field)
    return None if annotation is None else is_optional(annotation)


def disagreements(interfaces: dict[str, dict[str, Member]]) -> list[str]:
    """Return a line per field whose nullability the two SDKs state differently."""
    lines = []
    python_names = {node: python for python, node in NODE_NAMES.items()}
    for path, members in sorted(interfaces.items()):
        head, _, rest = path.partition(".")
        root = python_names.get(head, head)
        path = ".".join(filter(None, (root, rest)))
        if root not in ROOTS:
            continue
        for field, member in sorted(members.items()):
            optional = python_optional(root, path, field)
            if optional is None:
                continue
            node_always = not member.optional and not member.nullable
            if optional and node_always:
                lines.append(f"{path}.{field}: python Optional, node always present and not null")
            elif not optional and not node_always:
                lines.append(f"{path}.{field}: python always present, node "
                             + ("optional and nullable" if member.optional and member.nullable
                                else "optional (`?`)" if member.optional else "nullable"))
    return lines


def missing(interfaces: dict[str, dict[str, Member]], value: Any, path: str, where: str) -> list[str]:
    """Return the fields node says are always sent that a sandbox object lacks (or has null unduly)."""
    if not isinstance(value, dict) or path not in interfaces:
        return []
    found = []
    for field, member in interfaces[path].items():
        if field not in value:
            if not member.optional:
                found.append(f"{where}.{field}: missing (node: `{field}: {member.type}"
                             f"{' | null' if member.nullable else ''}`)")
            continue
        if value[field] is None:
            if not member.nullable:
                found.append(f"{where}.{field}: null (node: not nullable)")
            continue
        target, listed = resolve(interfaces, member)
        if target is None:
            continue
        items = (value[field].get("data", []) if isinstance(value[field], dict) else value[field]) if listed \
            else [value[field]]
        for index, item in enumerate(items if isinstance(items, list) else []):
            found += missing(interfaces, item, target, f"{where}.{field}" + (f"[{index}]" if listed else ""))
    return found


def npm_pack(folder: Path) -> Path:
    """Download and unpack stripe-node with npm; return the package folder."""
    subprocess.run(["npm", "pack", f"stripe@{NODE_VERSION}", "--silent"], cwd=folder, check=True,
                   stdout=subprocess.DEVNULL)
    with tarfile.open(folder / f"stripe-{NODE_VERSION}.tgz") as archive:
        archive.extractall(folder, filter="data")
    return folder / "package"


def main() -> int:
    """Print the disagreements and the sandbox's missing fields."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="an unpacked stripe-node package (default: npm pack)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        package = args.package or npm_pack(Path(scratch))
        interfaces = parse(package)
    unread = sorted(root for root in ROOTS if NODE_NAMES.get(root, root) not in interfaces)
    if unread:  # a reader that finds nothing would report no problem at all
        raise SystemExit(f"no interface read for {', '.join(unread)}: has the .d.ts layout changed?")
    print("# Nullability: stripe-python 16.1.0 vs stripe-node", NODE_VERSION)
    for line in disagreements(interfaces):
        print(line)
    from tests.sandbox.test_sdk_types import gather_objects

    problems = []
    for name, body, cls in gather_objects():
        node_root = cls.__name__ if cls.__name__ in ROOTS else None
        bodies = body["data"] if node_root is None and isinstance(body.get("data"), list) else [body]
        for index, item in enumerate(bodies):
            kind = node_root or next((k for k, v in ROOTS.items() if v == item.get("object")), None)
            if kind:
                problems += missing(interfaces, item, NODE_NAMES.get(kind, kind),
                                    f"{name}[{index}]" if node_root is None else name)
            if item.get("object") == "event":
                inner = item["data"]["object"]
                kind = next((k for k, v in ROOTS.items() if v == inner.get("object")), None)
                if kind:
                    problems += missing(interfaces, inner, NODE_NAMES.get(kind, kind), f"{name}[{index}].data.object")
    print(f"\n# Sandbox objects against stripe-node {NODE_VERSION}: {len(problems)} problem(s)")
    for line in sorted(set(re.sub(r"\[\d+\]", "[]", p) for p in problems)):
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
