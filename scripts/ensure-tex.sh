#!/usr/bin/env bash
# Make sure the TeX tools derive's reports need are installed: pdflatex, latexmk, pdftotext, the
# TikZ and Latin Modern packages, and for Chinese reports (--lang zh, names such as 大米) xelatex,
# ctex and the Noto CJK fonts. Installs the Debian TeX Live packages only when something is
# missing (sudo is used only when not root).   Usage: scripts/ensure-tex.sh [--check]
#   --check   report what is missing and exit 1 instead of installing
set -euo pipefail

PACKAGES=(texlive-latex-base texlive-latex-recommended texlive-pictures
          texlive-fonts-recommended latexmk poppler-utils lmodern
          texlive-xetex texlive-lang-chinese fonts-noto-cjk fontconfig)

missing() {
  local tool style
  for tool in latexmk pdflatex xelatex pdftotext kpsewhich fc-list; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
  if command -v kpsewhich >/dev/null 2>&1; then
    for style in tikz.sty lmodern.sty ctex.sty; do
      [ -n "$(kpsewhich "$style" 2>/dev/null)" ] || echo "$style"
    done
  fi
  if command -v fc-list >/dev/null 2>&1; then
    fc-list "Noto Serif CJK SC" 2>/dev/null | grep -q . || echo "Noto-Serif-CJK-SC"
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
