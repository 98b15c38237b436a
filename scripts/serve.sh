#!/usr/bin/env bash
# Install and start the service offline: SQLite + the in-process Stripe sandbox, no keys needed.
# HOST and PORT choose the address (default 127.0.0.1:5000). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/flask --app wsgi db upgrade
# One worker: the in-process sandbox keeps its state in memory. Several workers (or gunicorn
# behind a load balancer) need real Stripe or a shared `python -m stripe_sandbox` (README).
exec .venv/bin/gunicorn --workers 1 --threads 8 --bind "${HOST:-127.0.0.1}:${PORT:-5000}" \
  --access-logfile - wsgi:app
