#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the HTML reports' browser test (tests/test_html_browser.py)
# opens them in headless Chromium. Installs the package only when the browser is missing
# (sudo is used only when not root).   Usage: scripts/ensure-chromium.sh [--check]
#   --check   report whether it is missing and exit 1 instead of installing
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)

missing() {
  command -v chromium >/dev/null 2>&1 || echo chromium
}

todo="$(missing | tr '\n' ' ')"
[ -z "$todo" ] && exit 0

if [ "${1:-}" = "--check" ]; then
  echo "ensure-chromium: missing: $todo" >&2
  exit 1
fi

echo "ensure-chromium: missing: $todo-- installing Chromium from Debian" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-chromium: not root and no sudo; install as root: apt-get install ${PACKAGES[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"

todo="$(missing | tr '\n' ' ')"
if [ -n "$todo" ]; then
  echo "ensure-chromium: still missing after installing: $todo" >&2
  exit 1
fi
