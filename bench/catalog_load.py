"""Print how long the requirements catalog takes to load: imports, first load, and warm loads.

Run: `.venv/bin/python bench/catalog_load.py [ROUNDS]`. The target is under 100 ms for a load
(the app loads the current version once per process, on first use).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _cold() -> float:
    code = ("import time; from requirements_catalog import Catalog; t = time.perf_counter(); Catalog().version(); "
            "print((time.perf_counter() - t) * 1000)")
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def main(rounds: int = 20) -> None:
    started = time.perf_counter()
    from requirements_catalog import Catalog
    imported = (time.perf_counter() - started) * 1000
    version = Catalog().version()
    fields = sum(len(f) for c in version.countries.values() for f in c.business_types.values())
    from requirements_catalog.store import DEFAULT_ROOT
    from requirements_catalog.loader import load_version

    directory = DEFAULT_ROOT / version.id
    warm, shared = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        load_version(directory)  # parse and resolve again
        warm.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        Catalog().version()  # another app in the same process: the approved version is shared
        shared.append((time.perf_counter() - started) * 1000)
    cold = [_cold() for _ in range(7)]
    print(f"catalog {version.id}: {len(version.countries)} countries, {fields} resolved fields")
    print(f"import of requirements_catalog (with its libraries): {imported:.1f} ms")
    for name, runs in (("first load in a fresh process", cold), ("load, warm interpreter", warm),
                       ("another Catalog on the same files (shared)", shared)):
        print(f"{name}: min {min(runs):.1f} ms, median {statistics.median(runs):.1f} ms, max {max(runs):.1f} ms "
              f"({len(runs)} runs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
