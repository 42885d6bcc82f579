"""Shared pytest configuration for the derive test suite.

TeX-dependent tests
-------------------
Tests that need a working TeX installation (pdflatex, latexmk, pdftotext and TikZ) declare it
in one of two ways::

    @pytest.mark.requires_tex
    def test_report_compiles(tmp_path): ...

    def test_report_text(tex, tmp_path):
        subprocess.run([tex.latexmk, "-pdf", ...])   # tex.pdflatex / tex.latexmk / tex.pdftotext
                                                     # are absolute paths

Either way the test is *skipped* when a tool is missing, except when the environment says TeX
is required — ``CI=true`` (or 1/yes) or ``DERIVE_REQUIRE_TEX=1`` — where the same situation is a
*failure* (so CI never passes by silently skipping). ``scripts/ensure-tex.sh`` installs the tools.
"""

import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

# the tests import their helpers (numgrad.py, ...) as top-level modules
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

TEX_TOOLS = ("pdflatex", "latexmk", "pdftotext")
TEX_STYLES = ("tikz.sty",)


def tex_required():
    """True when a missing TeX tool must fail the run instead of skipping (CI, DERIVE_REQUIRE_TEX)."""
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    return ci or os.environ.get("DERIVE_REQUIRE_TEX", "").strip() == "1"


def find_tex():
    """(paths, missing): absolute paths of the TeX tools found and the names of what is missing."""
    paths = {tool: shutil.which(tool) for tool in TEX_TOOLS}
    missing = [tool for tool, path in paths.items() if path is None]
    kpsewhich = shutil.which("kpsewhich")
    for style in TEX_STYLES:
        found = False
        if kpsewhich:
            try:
                proc = subprocess.run(
                    [kpsewhich, style], check=False, capture_output=True, text=True, timeout=60
                )
                found = proc.returncode == 0 and proc.stdout.strip() != ""
            except (OSError, subprocess.SubprocessError):
                found = False
        if not found:
            missing.append(style)
    return paths, missing


def require_tex():
    """Skip (or, when TeX is required, fail) the current test unless TeX is usable."""
    paths, missing = find_tex()
    if missing:
        msg = f"TeX not available: missing {', '.join(missing)} (run scripts/ensure-tex.sh)"
        if tex_required():
            pytest.fail(f"{msg}; required because CI=true or DERIVE_REQUIRE_TEX=1", pytrace=False)
        pytest.skip(msg)
    return SimpleNamespace(**paths)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "requires_tex: needs pdflatex, latexmk, pdftotext and tikz.sty; skipped when missing, "
        "a failure when CI=true or DERIVE_REQUIRE_TEX=1",
    )


def pytest_runtest_setup(item):
    if item.get_closest_marker("requires_tex") is not None:
        require_tex()


@pytest.fixture
def tex():
    """Paths of the TeX tools (``tex.pdflatex``, ``tex.latexmk``, ``tex.pdftotext``); see module doc."""
    return require_tex()
