"""Time `requirements_catalog.diff` between the shipped catalog version and a draft with a few hundred changes.

Run: `.venv/bin/python bench/catalog_diff.py [ROUNDS] [--per-country 6]`.

The shipped versions are copied to a temporary directory and `Catalog.new_version` makes a draft
of the current one, which is then edited as compliance would edit it (with tomlkit, so the files
keep their layout): in every country file, label overrides for `--per-country` fields of the
individual business type, one eventually-due company field made minimum, and one eventually-due
individual field removed; the first two MCC labels are reworded. Both versions are loaded once (loading
is `bench/catalog_load.py`'s figure), then timed:

- `diff(old, new)` over every country, and `diff(old, new, "US")` for one country: min and median
  of ROUNDS runs (default 20);
- `render_text` and `json.dumps` of the full result (what `catalog diff` prints);
- `flask --app wsgi catalog diff OLD NEW --format json` in a fresh process, as a person runs it
  (start-up, both loads, the diff, the output): min and median of 5 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import harness


def make_draft(root: Path, per_country: int) -> tuple[str, str]:
    """Copy the shipped versions into `root`, write an edited draft of the current one; return both ids."""
    import tomlkit

    from requirements_catalog import DEFAULT_ROOT, Catalog

    shutil.copytree(DEFAULT_ROOT, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    store = Catalog(root)
    old = store.current_id()
    new = store.new_version(date(2099, 1, 1), "bench")
    for path in sorted((root / new / "countries").glob("*.toml")):
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        types = document["business_types"]
        fields = document.setdefault("fields", tomlkit.table(is_super_table=True))
        individual = types.get("individual", {})
        for field in list(individual.get("minimum", []))[:per_country]:
            override = fields.get(field)
            if override is None:
                override = fields[field] = tomlkit.table()
            override["label"] = f"Reworded for review: {field}"
        company = types.get("company", {})
        if company.get("eventually"):
            company["minimum"].append(company["eventually"].pop(-1))
        if len(individual.get("eventually", [])) > 1:
            individual["eventually"].pop(0)
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
    mcc = root / new / "lists" / "mcc.toml"
    mcc.write_text(mcc.read_text(encoding="utf-8").replace('label = "', 'label = "Reworded: ', 2), encoding="utf-8")
    return old, new


def timed(call: Callable[[], Any], rounds: int) -> list[float]:
    """Return the wall times of `rounds` calls, in ms."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _line(name: str, runs: list[float]) -> str:
    return f"{name}: min {min(runs):.1f} ms, median {statistics.median(runs):.1f} ms ({len(runs)} runs)"


def main(argv: list[str] | None = None) -> int:
    """Build the draft, time the diffs, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rounds", type=int, nargs="?", default=20, help="runs of each in-process timing")
    parser.add_argument("--per-country", type=int, default=6, help="label overrides per country file (default 6)")
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args(argv)

    from requirements_catalog import Catalog, diff, render_text

    print(f"machine: {harness.machine()}")
    with harness.workdir("diff") as workdir:
        root = workdir / "versions"
        old_id, new_id = make_draft(root, args.per_country)
        store = Catalog(root)
        old, new = store.version(old_id), store.version(new_id)
        result = diff(old, new)
        summary = result["summary"]
        changed_lists = sum(len(v["changed"]) for v in result["lists"].values())
        print(f"versions: {old_id} (shipped) -> {new_id} (draft): {summary['changed']} fields changed, "
              f"{summary['added']} added, {summary['removed']} removed over {len(result['countries'])} countries "
              f"and their business types; {changed_lists} list labels changed")
        print(_line("diff(old, new), every country", timed(lambda: diff(old, new), args.rounds)))
        print(_line('diff(old, new, "US")', timed(lambda: diff(old, new, "US"), args.rounds)))
        print(_line("render_text(result)", timed(lambda: render_text(result), args.rounds)))
        print(_line("json.dumps(result, indent=2)",
                    timed(lambda: json.dumps(result, indent=2, ensure_ascii=False), args.rounds)))
        env = {**os.environ, "CATALOG_PATH": str(root), "DATABASE_URL": f"sqlite:///{workdir / 'diff.sqlite3'}",
               "SECRET_KEY": "bench", "PYTHONPATH": str(harness.ROOT)}
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "catalog", "diff", old_id, new_id, "--format", "json"]

        def cli() -> None:
            done = subprocess.run(command, cwd=harness.ROOT, env=env, capture_output=True, text=True, timeout=120,
                                  check=False)
            if done.returncode != 0 or json.loads(done.stdout)["summary"] != summary:
                raise RuntimeError(f"catalog diff failed ({done.returncode}): {done.stderr[-2000:]}")

        print(_line(f"flask --app wsgi catalog diff {old_id} {new_id} --format json (fresh process)",
                    timed(cli, args.cli_runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
