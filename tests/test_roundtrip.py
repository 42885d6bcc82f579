"""Round-trips: every formula derive prints (a generated class's `formula`, JSON `formula`, the
report's "as read") is read back by derive's own reader to the same expression — over the
catalog, the LaTeX corpus and formulas Hypothesis builds from the whole function vocabulary."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive import catalog
from derive.codegen.source import compile_expression
from derive.errors import DeriveError
from derive.index import is_index_formula
from derive.primitives import FUNCTIONS
from derive.read.formula import parse_formula
from derive.read.latex import parse_latex
from derive.read.shapes import parse_shapes
from derive.serialize import expr_text
from derive.vocab.shapes import MatrixDimension

CORPUS = tomllib.loads((Path(__file__).parent / "latex_corpus.toml").read_text())["formula"]
# index-notation operators round-trip through derive.index (tests/test_index_formulas.py)
INDEX_OPS = {name for name, entry in catalog.load().items() if is_index_formula(entry.formula)}


def assert_reads_back(expr, shapes=None):
    """Printed, then read: the same expression — the same SymPy object, or, where SymPy's
    own construction is not canonical (broadcasts the printer leaves implicit, Max(x, Max(2,
    x)) read as Max(2, x)), text that reads back to itself and the same values."""
    shapes = shapes or {}
    text = expr_text(expr)
    read = parse_formula(text, shapes)
    back = read.expr
    if back == expr:
        return
    again = expr_text(back)
    assert expr_text(parse_formula(again, shapes).expr) == again, f"{text!r} is not stable"
    values = _values(read.names, shapes)
    with np.errstate(all="ignore"):
        first = compile_expression(expr, read.names, "printed", shapes)(**values)
        second = compile_expression(back, read.names, "read", shapes)(**values)
    np.testing.assert_allclose(second, first, rtol=1e-12, atol=1e-12, equal_nan=True,
                               err_msg=f"{text!r} reads back as {back}, not {expr}")


def _values(names, shapes):
    rng = np.random.default_rng(0)
    sizes = {}
    values = {}
    for name in names:
        dims = [sizes.setdefault(str(d), 2 + len(sizes)) if not str(d).isdigit() else int(d)
                for d in shapes.get(name, ())]
        values[name] = rng.uniform(0.2, 1.0, size=tuple(dims)) if dims else rng.uniform(0.2, 1)
    return values


CATALOG = [e for e in catalog.load().values() if e.name not in INDEX_OPS]


@pytest.mark.parametrize("entry", CATALOG, ids=[e.name for e in CATALOG])
def test_every_catalog_formula_reads_back(entry):
    assert_reads_back(parse_formula(entry.formula, entry.shapes).expr, entry.shapes)


READ = [e for e in CORPUS if "means" in e]


@pytest.mark.parametrize("entry", READ, ids=[e["latex"] for e in READ])
def test_every_latex_corpus_formula_as_read_reads_back(entry):
    shapes = parse_shapes([f"{k}={v}" for k, v in entry.get("shapes", {}).items()])
    expr = parse_latex(entry["latex"], shapes, log_base=10 if entry.get("log10") else None).expr
    assert_reads_back(expr, shapes)


def test_names_sympy_prints_its_own_way_read_back():
    x, y = sp.symbols("x y", real=True)
    for expr in (sp.Abs(x), sp.Max(x, y, 1), sp.Min(x, 0), sp.Heaviside(x), sp.Heaviside(x, 0),
                 sp.sign(x), sp.E * x, x / (1 + sp.Abs(x)), sp.Max(0, x) - sp.Min(0, x)):
        assert_reads_back(expr)
    assert expr_text(x / (1 + sp.Abs(x))) == "x/(abs(x) + 1)"


@pytest.mark.parametrize("text", [
    "where(x > relu(x), x, 2*x)", "where(relu(x) > 0.5, x, y)",
    "where(abs(x) > relu(y), exp(x), x)", "where(where(x > 0, x, y) > y, 1, 2)",
    "where(max(x, y) >= min(x, 0), x, -x)"])
def test_a_comparison_of_piecewise_values_reads_back(text):
    """SymPy folds a piecewise value inside a comparison into the condition (x > relu(x)
    becomes ITE(x > 0, False, x > 0)); derive prints it as nested wheres of single
    comparisons, which its reader takes."""
    expr = parse_formula(text).expr
    assert "ITE" not in expr_text(expr)
    assert_reads_back(expr)


def test_a_dimension_name_reads_as_that_size():
    """`sum(x)/N` as derive prints a mean over samples: N is the declared dimension, not a
    new variable (so the printed gradient reads back)."""
    shapes = {"W": ("n", "m")}
    read = parse_formula("n * W", shapes)
    assert read.names == ["W"]
    assert MatrixDimension("n") in read.expr.free_symbols
    assert_reads_back(read.expr, shapes)


# --- formulas built from the whole vocabulary -----------------------------------------------

UNARY = sorted(n for n, (arity, _) in FUNCTIONS.items() if arity == 1 and n != "size")
BINARY = sorted(n for n, (arity, _) in FUNCTIONS.items() if arity == 2)
LEAVES = st.sampled_from(["x", "y", "2", "0.5", "1/3", "0.1", "pi", "exp(1)"])


def _extend(children):
    """Formula text: every function of the vocabulary, the operators, where() and clip()."""
    return st.one_of(
        st.builds("{}({})".format, st.sampled_from(UNARY), children),
        st.builds("{}({}, {})".format, st.sampled_from(BINARY), children, children),
        st.builds("({}) {} ({})".format, children, st.sampled_from("+-*/"), children),
        st.builds("({})**{}".format, children, st.integers(-3, 3)),
        st.builds("where({} > {}, {}, {})".format, LEAVES, LEAVES, children, children),
        # a comparison of piecewise values (relu, where, abs) becomes SymPy's ITE
        st.builds("where({} > {}, {}, {})".format, children, children, children, children),
        st.builds("clip({}, {}, {})".format, children, children, children),
    )


FORMULAS = st.recursive(LEAVES, _extend, max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_generated_formulas_read_back(text):
    try:
        expr = parse_formula(text).expr
    except (DeriveError, ValueError, TypeError):  # complex or undefined: not a formula
        assume(False)
    assert_reads_back(expr)


@pytest.mark.parametrize("text", ["acos(2)**2*x", "x*sqrt(-1)", "(x*log(-2))**2"])
def test_a_constant_that_is_not_real_is_refused_in_one_line(text):
    """Found by test_generated_formulas_read_back: acos(2)**2 was an internal error."""
    with pytest.raises(DeriveError, match="not a real number"):
        parse_formula(text)
