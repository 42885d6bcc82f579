"""Bad matrix input: one clear line on stderr naming what was wrong, exit code 2."""

import os
import subprocess
import sys

import pytest

from derive.errors import DeriveError
from derive.pipeline import derive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_show(*args):
    env = dict(os.environ, DERIVE_NO_CACHE="1")
    return subprocess.run([sys.executable, "-m", "derive", "show", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=60)


def test_incompatible_shapes_name_both_shapes():
    result = run_show("--formula", "W @ X", "--shape", "W=3,4", "--shape", "X=5,2")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "(3, 4)" in lines[0] and "(5, 2)" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("formula, shapes, words", [
    ("W @ x", {"W": (3, 4)}, ["'x' is not a declared matrix", "--shape"]),
    ("max(W, X)", {"W": (3, 4), "X": (3, 4)}, ["'max' of a matrix is not supported"]),
    ("erf(W, W)", {"W": (3, 4)}, ["takes one argument"]),
    ("det(W)", {"W": (3, 4)}, ["square", "(3, 4)"]),
    ("W + X", {"W": (3, 4), "X": (3, 2)}, ["(3, 4)", "(3, 2)", "broadcast"]),
    ("sum(W, axis=2)", {"W": (3, 4)}, ["axis must be 0 or 1"]),
    ("W ** X", {"W": (2, 2), "X": (2, 2)}, ["matrix exponent"]),
    ("trace(x)", {}, ["needs a matrix argument"]),
    ("W.T @ W", {"W": ("n", "m"), "Q": (2, 2)}, ["'Q' does not occur"]),
    ("n * W", {"W": ("n", "m")}, ["'n' is both a dimension and a variable"]),
    ("softmax(W, beta=2)", {"W": (2, 2)}, ["no keyword argument 'beta'"]),
])
def test_bad_matrix_formulas_are_refused(formula, shapes, words):
    with pytest.raises(DeriveError) as info:
        derive(formula=formula, shapes=shapes)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_undeclared_matrix_in_product_exits_2_with_one_line():
    result = run_show("--formula", "W @ x", "--shape", "W=3,4")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "'x' is not a declared matrix" in result.stderr
