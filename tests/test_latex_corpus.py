"""The LaTeX corpus (tests/latex_corpus.toml): every formula is read to the intended formula
(the same SymPy expression as the SymPy-syntax parser builds, and the same values at random
points) or refused cleanly (one line naming the construct; CLI exit 2, no traceback)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.cli import main
from derive.codegen.source import compile_expression
from derive.errors import DeriveError
from derive.read.formula import parse_formula
from derive.read.latex import parse_latex
from derive.read.shapes import parse_shapes

CORPUS = tomllib.loads((Path(__file__).parent / "latex_corpus.toml").read_text())["formula"]
READ = [e for e in CORPUS if "means" in e]
REFUSED = [e for e in CORPUS if "refused" in e]


def _id(entry):
    return entry["latex"] + (" [shapes]" if "shapes" in entry else "")


def _shapes(entry) -> dict:
    return parse_shapes([f"{k}={v}" for k, v in entry.get("shapes", {}).items()])


def _log_base(entry):
    return 10 if entry.get("log10") else None


def test_corpus_is_large_and_each_entry_says_what_it_expects():
    assert len(CORPUS) >= 40
    assert len(READ) >= 20 and len(REFUSED) >= 20
    for entry in CORPUS:
        assert ("means" in entry) != ("refused" in entry), entry["latex"]


def _scalar_values(expr, names, points):
    fn = compile_expression(expr, names, "corpus")
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(*points), dtype=float), points[0].shape)


def _matrix_values(expr, shapes, rng):
    from derive.selfcheck.entries import explicit

    env = {n: sp.Matrix(rng.uniform(0.2, 2.0, size=tuple(int(d) for d in dims)))
           for n, dims in shapes.items()}
    return np.array(explicit(expr, env, {}).evalf(), dtype=float)


def _distributed(expr):
    """-(a + b) as -a - b: derive's own reader keeps a typed -(a + b) whole (one ×(−1) node in
    the graph, as the formula was written); latex2sympy2 distributes the sign."""
    return expr.replace(lambda e: e.is_Mul and len(e.args) == 2 and e.args[0] == -1
                        and e.args[1].is_Add, lambda e: -e.args[1])


@pytest.mark.parametrize("entry", READ, ids=_id)
def test_read_as_the_same_formula_in_sympy_syntax(entry):
    shapes = _shapes(entry)
    read = parse_latex(entry["latex"], shapes, log_base=_log_base(entry))
    meant = parse_formula(entry["means"], shapes)
    assert _distributed(read.expr) == _distributed(meant.expr), \
        f"read {read.expr}, meant {meant.expr}"
    assert sorted(read.names) == sorted(meant.names)
    rng = np.random.default_rng(7)
    if shapes:
        for _ in range(3):
            seed = int(rng.integers(1 << 30))
            got = _matrix_values(read.expr, shapes, np.random.default_rng(seed))
            want = _matrix_values(meant.expr, shapes, np.random.default_rng(seed))
            np.testing.assert_allclose(got, want, rtol=1e-10)
        return
    for low, high in ((0.1, 0.9), (-2.5, 2.5)):
        points = [rng.uniform(low, high, size=40) for _ in meant.names]
        got = _scalar_values(read.expr, meant.names, points)
        want = _scalar_values(meant.expr, meant.names, points)
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
        assert low < 0 or np.isfinite(want).all()


@pytest.mark.parametrize("entry", REFUSED, ids=_id)
def test_refused_with_one_line_naming_the_construct(entry):
    with pytest.raises(DeriveError) as caught:
        parse_latex(entry["latex"], _shapes(entry), log_base=_log_base(entry))
    message = str(caught.value)
    assert entry["refused"] in message
    assert message.startswith("--latex: ") and "\n" not in message


@pytest.mark.parametrize("entry", REFUSED, ids=_id)
def test_cli_refusal_is_exit_2_and_one_line_on_stderr(entry, capsys):
    argv = ["show", "--latex", entry["latex"]]
    for name, dims in entry.get("shapes", {}).items():
        argv += ["--shape", f"{name}={dims}"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert entry["refused"] in err
