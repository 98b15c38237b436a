"""The database backends tests run on: SQLite and PostgreSQL, or those named in ONBOARDING_TEST_DATABASES.

`scripts/test.sh` runs everything on both; its passes with the clock moved ahead use SQLite alone (the
clock is read in Python, never by the database, so the backend does not change what they prove).
"""

from __future__ import annotations

import os

KNOWN = ("sqlite", "postgresql")


def _chosen() -> tuple[str, ...]:
    named = [name.strip() for name in os.environ.get("ONBOARDING_TEST_DATABASES", ",".join(KNOWN)).split(",")]
    unknown = sorted(set(named) - set(KNOWN) - {""})
    if unknown:
        raise ValueError(f"ONBOARDING_TEST_DATABASES names unknown backends: {', '.join(unknown)}")
    return tuple(name for name in KNOWN if name in named) or KNOWN


BACKENDS = _chosen()
