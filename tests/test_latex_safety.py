"""LaTeX input is safe: no user text reaches eval/parse_expr, latex2sympy2's module state
neither changes nor matters, hostile input is refused quickly, and any text either reads or
ends in a DeriveError (never another exception)."""

from __future__ import annotations

import builtins
import contextlib
import time

import latex2sympy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.parsing import sympy_parser
from test_latex_corpus import CORPUS, _log_base, _shapes

from derive.errors import DeriveError
from derive.read.latex import MAX_LENGTH, parse_latex

_STATE = ("is_real", "frac_type", "variances", "var", "VARIABLE_VALUES")


def _read_or_refused(tex, shapes=None, log_base=None):
    try:
        return str(parse_latex(tex, shapes or {}, log_base=log_base).expr)
    except DeriveError as exc:
        return "refused: " + str(exc)


def test_no_user_text_reaches_eval_or_parse_expr(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"reached with {args!r}")

    real_eval = builtins.eval

    def guarded_eval(source, *args, **kwargs):
        if isinstance(source, str):
            forbidden(source)
        return real_eval(source, *args, **kwargs)

    monkeypatch.setattr(latex2sympy2, "parse_expr", forbidden)
    monkeypatch.setattr(latex2sympy2, "latex2sympy", forbidden)
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    monkeypatch.setattr(builtins, "eval", guarded_eval)
    for entry in CORPUS:
        _read_or_refused(entry["latex"], _shapes(entry), _log_base(entry))
    assert _read_or_refused(r"\variable{x}").startswith("refused: ")


def test_latex2sympy2_state_is_neither_changed_nor_used():
    before = {name: getattr(latex2sympy2, name) for name in _STATE}
    first = [_read_or_refused(e["latex"]) for e in CORPUS if "shapes" not in e]
    assert {name: getattr(latex2sympy2, name) for name in _STATE} == before
    # latex2sympy2's own converter corrupts its globals (after \int ... dx its `var` is a
    # Symbol, and every later latex2sympy call fails); derive's reading does not change.
    with contextlib.suppress(Exception):  # whatever latex2sympy2 raises: only its state matters
        latex2sympy2.latex2sympy(r"\int x dx")
        latex2sympy2.latex2sympy(r"a \in \mathbb{R}^{2 \times 2}")
    latex2sympy2.VARIABLE_VALUES = {"x": "y"}
    try:
        assert [_read_or_refused(e["latex"]) for e in CORPUS if "shapes" not in e] == first
    finally:
        for name, value in before.items():
            setattr(latex2sympy2, name, value)


def test_what_latex2sympy2_misreads_derive_reads_right_or_refuses():
    assert str(latex2sympy2.latex2sympy(r"\log(x)")) == "log(x, 10)"
    assert _read_or_refused(r"\log(x)") == "log(x)"
    assert str(latex2sympy2.latex2sympy(r"x^{\top} A x")) == "A*x*x"
    assert "needs a matrix" in _read_or_refused(r"x^{\top} A x")
    assert str(latex2sympy2.latex2sympy(r"i + j")) == "i + j"  # symbols, as in derive
    assert _read_or_refused(r"i \cdot i") == "i**2"  # never the imaginary unit (-1)
    assert "differential" in _read_or_refused(r"\frac{d}{dx} x^2")


@pytest.mark.parametrize("hostile", [
    "x+" * (MAX_LENGTH // 2) + "x",
    "(" * 30 + "x" + ")" * 30,
    r"\left(" * 30 + "x" + r"\right)" * 30,
    "|x" * 20 + "|",
    r"\frac{" * 15 + "x" + "}{y}" * 15,
    r"\sqrt{" * 15 + "x" + "}" * 15,
    r"\sum_k " * 25 + "x_k",
    "x^{" * 15 + "2" + "}" * 15,
    "9^{9^{9^{9}}}",
    "1" * 40,
])
def test_hostile_input_is_answered_quickly(hostile):
    start = time.perf_counter()
    _read_or_refused(hostile)
    assert time.perf_counter() - start < 5.0


def test_overlong_and_empty_input_are_refused():
    assert "too large" in _read_or_refused("x" * (MAX_LENGTH + 1))
    assert "empty" in _read_or_refused("   ")
    assert "empty" in _read_or_refused("$$ $$")


_PIECES = [r"x", "y", "W", r"\sigma", r"\frac{", "}{", "}", "{", "(", ")", "[", "]", "^", "_",
           "+", "-", r"\cdot", r"\odot", "|", r"\log", r"\ln", r"\exp", "e", "2", "0.5", "=",
           r"\sum_k", "x_k", r"\top", "^T", r"\mathbf{", r"\operatorname{relu}", r"\max(",
           ",", r"\sqrt", " ", "d", r"\partial", "'", r"\left(", r"\right)", "i", r"\alpha"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14))
def test_any_text_reads_or_is_refused_with_a_derive_error(pieces):
    tex = "".join(pieces)
    start = time.perf_counter()
    try:
        formula = parse_latex(tex, {})
    except DeriveError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("--latex: ")
    else:
        assert formula.names == sorted(set(formula.names), key=formula.names.index)
    assert time.perf_counter() - start < 5.0
