#!/usr/bin/env bash
# Install everything the suite needs (PostgreSQL from Debian, the Python test extra) and run it.
# Arguments go to pytest. Fails loudly when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
# PostgreSQL for the database tests, Chromium for the browser tests (Playwright drives Debian's build).
scripts/ensure-system-packages.sh postgresql chromium
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
