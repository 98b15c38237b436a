"""The passes of `scripts/test.sh` in the future really run there (a pass that silently ran today would prove nothing).

This is the one test that reads the real clock on purpose: it compares the time the process sees with the
time the kernel stamps on a new file, which libfaketime does not move.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

# This test reads the real clock on purpose.
pytestmark = pytest.mark.own_clock

SHIFT = os.environ.get("ONBOARDING_TEST_CLOCK_SHIFT_DAYS")


@pytest.mark.skipif(not SHIFT, reason="only in the passes with the clock moved ahead (scripts/test.sh)")
def test_the_clock_is_moved_ahead_by_the_days_asked(tmp_path: Path) -> None:
    stamped = tmp_path / "now"
    stamped.write_text("")
    kernel = stamped.stat().st_mtime
    seen = time.time()
    assert abs(seen - kernel - int(SHIFT or 0) * 86_400) < 3_600, (seen, kernel)
    assert abs(datetime.now(timezone.utc).timestamp() - seen) < 60
