#!/usr/bin/env bash
# Install Debian packages for a set-up script (scripts/ensure-*.sh): apt-get update, then
# apt-get install without recommends; sudo only when not root.
#   Usage: scripts/apt-install.sh WHO PACKAGE...   (WHO names the caller in messages)
set -euo pipefail

who="$1"
shift
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$who: not root and no sudo; install as root: apt-get install $*" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
