#!/usr/bin/env bash
# Create the project virtualenv (.venv by default) if it is missing or broken. On Debian,
# `python3 -m venv` needs the python3-venv package: install it (sudo only when not root) and retry.
#   Usage: scripts/ensure-venv.sh [VENV_DIR]      (PYTHON=python3 by default)
set -euo pipefail

VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3}"

"$VENV/bin/python" -m pip --version >/dev/null 2>&1 && exit 0

echo "ensure-venv: creating $VENV with $PYTHON" >&2
if ! "$PYTHON" -m venv "$VENV"; then
  rm -rf "$VENV"
  SUDO=()
  [ "$(id -u)" -ne 0 ] && SUDO=(sudo)
  echo "ensure-venv: installing python3-venv from Debian" >&2
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends python3-venv
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip --version >/dev/null
