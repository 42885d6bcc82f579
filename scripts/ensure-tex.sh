#!/usr/bin/env bash
# Make sure the TeX tools derive's reports need are installed: pdflatex, latexmk, pdftotext and
# the TikZ and Latin Modern packages. Installs the Debian TeX Live packages only when something is
# missing (sudo is used only when not root).   Usage: scripts/ensure-tex.sh [--check]
#   --check   report what is missing and exit 1 instead of installing
set -euo pipefail

PACKAGES=(texlive-latex-base texlive-latex-recommended texlive-pictures
          texlive-fonts-recommended latexmk poppler-utils lmodern)

missing() {
  local tool style
  for tool in latexmk pdflatex pdftotext kpsewhich; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
  if command -v kpsewhich >/dev/null 2>&1; then
    for style in tikz.sty lmodern.sty; do
      [ -n "$(kpsewhich "$style" 2>/dev/null)" ] || echo "$style"
    done
  fi
}

todo="$(missing | tr '\n' ' ')"
[ -z "$todo" ] && exit 0

if [ "${1:-}" = "--check" ]; then
  echo "ensure-tex: missing: $todo" >&2
  exit 1
fi

echo "ensure-tex: missing: $todo-- installing TeX Live from Debian" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "ensure-tex: not root and no sudo; install as root: apt-get install ${PACKAGES[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"

todo="$(missing | tr '\n' ' ')"
if [ -n "$todo" ]; then
  echo "ensure-tex: still missing after installing: $todo" >&2
  exit 1
fi
