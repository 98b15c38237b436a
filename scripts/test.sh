#!/usr/bin/env bash
# Install everything the suite needs (PostgreSQL, Chromium and faketime from Debian, the Python test extra)
# and run it: the whole suite, then again with the clock moved ahead (TIME_SHIFTS, days; default "200 400").
# Arguments go to pytest. Fails loudly when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
# PostgreSQL for the database tests, Chromium for the browser tests (Playwright drives Debian's build),
# faketime (libfaketime) for the passes in the future.
scripts/ensure-system-packages.sh postgresql chromium faketime
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

# A suite that is green today and red next month is broken today: run it again with the system clock
# moved ahead, so a test that reads the real date, or a shipped file that ages, shows up now. The browser
# tests are left out (Chromium does not run under libfaketime), and SQLite alone is used: the clock is read
# in Python, never by the database, and the first pass covered PostgreSQL. The shipped catalog is stale in
# these passes; the tests of its freshness set their own date, and the app keeps working with it.
for days in ${TIME_SHIFTS-200 400}; do
  echo "scripts/test.sh: the suite again, with the clock ${days} days ahead ($(faketime -f "+${days}d" date -u +%F))"
  ONBOARDING_TEST_DATABASES=sqlite ONBOARDING_TEST_CLOCK_SHIFT_DAYS="$days" faketime -f "+${days}d" \
    .venv/bin/python -m pytest "$@" --ignore=tests/browser -q || status=$?
  case "$status" in
    0) ;;
    5) echo "scripts/test.sh: only browser tests were chosen; nothing to run in the future"; status=0 ;;
    *) exit "$status" ;;
  esac
done
