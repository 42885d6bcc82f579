"""The ``requires_tex`` marker and ``tex`` fixture: skip without TeX, fail when TeX is required."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent

PROBE = """
import pytest

@pytest.mark.requires_tex
def test_marker():
    pass

def test_fixture(tex):
    assert tex.pdflatex and tex.latexmk and tex.pdftotext
"""


def run_probe(tmp_path, path, **env):
    """Run the probe tests with this conftest.py under the given PATH and environment."""
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE)
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "DERIVE_REQUIRE_TEX", "PYTEST_ADDOPTS")
    }
    clean.update(PATH=path, **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def no_tex_path(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


def test_skips_without_tex(tmp_path, no_tex_path):
    proc = run_probe(tmp_path, no_tex_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 skipped" in proc.stdout


@pytest.mark.parametrize("env", [{"DERIVE_REQUIRE_TEX": "1"}, {"CI": "true"}], ids=str)
def test_fails_without_tex_when_required(tmp_path, no_tex_path, env):
    proc = run_probe(tmp_path, no_tex_path, **env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 errors" in proc.stdout and "pdflatex" in proc.stdout


@pytest.mark.requires_tex
def test_passes_with_tex(tmp_path):
    proc = run_probe(tmp_path, os.environ["PATH"], DERIVE_REQUIRE_TEX="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
