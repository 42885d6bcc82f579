"""Saved forms of matrix gradients: the gradient in terms of the forward output `out`.

Where the output occurs in a gradient as it is (det(X) in d det(X)/dX, sigmoid(Z) in the slope
sigmoid(Z) ⊙ (1 − sigmoid(Z))), it is written `out`. Where the output is elementwise in one
matrix A, out = F(A) (2·sigmoid(A), 2·tanh(W @ x) + 1), each part of a gradient elementwise in
the same A, h(A), is rewritten through the scalar engine's saved form of h for F
(derive.rewrite.saved_form: solve out = F(u) for u, keep the result if it is simpler and
agrees at random points), as h_out(out), when h_out calls no function.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.core.symbol import Str

from derive.matrix.nodes import Elementwise, U
from derive.matrix.shapes import is_matrix
from derive.matrix.simplify import tidy
from derive.matrix.stable import CONSTANT, elementwise_in_one_matrix, grouped_by_matrix
from derive.rewrite import OUT, saved_form


def saved_forms(expr, gradients: dict, params: list[str]) -> dict:
    """name -> the gradient in terms of `out`, or None where it cannot use the output."""
    if "out" in params:
        return {n: None for n in gradients}
    out = sp.MatrixSymbol("out", *expr.shape) if is_matrix(expr) else OUT
    base, body = elementwise_in_one_matrix(expr) if is_matrix(expr) else (expr, U)
    rewrite_parts = base is not CONSTANT and base != expr
    forms = {}
    for name, gradient in gradients.items():
        form = gradient.xreplace({expr: out})
        if rewrite_parts:
            form = tidy(_in_output(form, base, body, out))
        forms[name] = form if form.has(out) else None
    return forms


def _in_output(e, base, body, out):
    """`e` with every part elementwise in `base` written as a function of `out` if simpler."""
    if not isinstance(e, sp.Basic) or not e.args or isinstance(e, (Str, sp.Lambda)):
        return e
    if is_matrix(e) and e.has(Elementwise) and not e.has(out):
        part_base, part = elementwise_in_one_matrix(e)
        if part_base == base and part.has(U):
            in_out = _saved_slope(body, part)
            if in_out is not None:
                return Elementwise("", in_out, out)
    e = grouped_by_matrix(e)
    args = [_in_output(a, base, body, out) for a in e.args]
    return e if args == list(e.args) else e.func(*args)


@lru_cache(maxsize=256)
def _saved_slope(forward, part):
    """h in terms of the output, if that is simpler and calls no function (then it is cheap
    and cannot overflow: softplus' 1 − exp(−out) is neither)."""
    form = saved_form(forward, part, [U], {})
    if form is None or form.atoms(sp.Function):
        return None
    return form.xreplace({OUT: U})
