#!/usr/bin/env bash
# Install the Debian packages named as arguments when they are not already installed.
#
# Usage: scripts/ensure-system-packages.sh PACKAGE [PACKAGE...]
#   e.g. scripts/ensure-system-packages.sh postgresql
#
# As root: apt-get update (once) + apt-get install. Otherwise tries the same via
# `sudo -n` (non-interactive); if that is not possible, names the missing
# packages and exits 1.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 PACKAGE [PACKAGE...]" >&2
    exit 2
fi

missing=()
for pkg in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "ensure-system-packages: already installed: $*"
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "ensure-system-packages: missing Debian packages: ${missing[*]}" >&2
    echo "ensure-system-packages: not root and no passwordless sudo; install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update -qq >/dev/null
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "ensure-system-packages: installed: ${missing[*]}"
