#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the HTML reports' browser test (tests/test_html_browser.py)
# opens them in headless Chromium. Installs the package only when the browser is missing
# (through scripts/apt-install.sh).   Usage: scripts/ensure-chromium.sh [--check]
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
"$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" ensure-chromium "${PACKAGES[@]}"

todo="$(missing | tr '\n' ' ')"
if [ -n "$todo" ]; then
  echo "ensure-chromium: still missing after installing: $todo" >&2
  exit 1
fi
