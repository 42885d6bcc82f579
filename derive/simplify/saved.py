"""Saved forms of matrix gradients: the gradient in terms of the forward output `out`.

Where the output occurs in a gradient as it is (det(X) in d det(X)/dX, sigmoid(Z) in the slope
sigmoid(Z) ⊙ (1 − sigmoid(Z))), it is written `out`. Where the output is elementwise in one
matrix A, out = F(A) (2·sigmoid(A), exp(−A), sigmoid(A) − 0.5), the gradient holds its slope
F'(A) (times numbers): F' is rewritten once through the scalar engine's saved form, as the
elementwise rule does for a single function (derive.simplify.elementwise.slope_in_output: solve
out = F(u) for u, keep the result if it is simpler, agrees at random points and calls no
function, so that it is cheap and cannot overflow).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str

from derive.simplify.elementwise import (
    CONSTANT,
    elementwise_in_one_matrix,
    grouped_by_matrix,
    slope_in_output,
)
from derive.simplify.matrix import tidy
from derive.vocab.functions import OUT
from derive.vocab.nodes import Elementwise, U
from derive.vocab.shapes import is_matrix


def matrix_saved_forms(expr, gradients: dict, params: list[str]) -> dict:
    """name -> the gradient in terms of `out`, or None where it cannot use the output."""
    if "out" in params:
        return {n: None for n in gradients}
    out = sp.MatrixSymbol("out", *expr.shape) if is_matrix(expr) else OUT
    base, body = elementwise_in_one_matrix(expr) if is_matrix(expr) else (expr, U)
    slope = None
    if base is not CONSTANT and base != expr and any(g.has(base) for g in gradients.values()):
        slope, in_output = slope_in_output(body)
        slope = None if in_output is None else (slope, in_output)
    forms = {}
    for name, gradient in gradients.items():
        form = gradient
        if slope is not None:
            form = tidy(_in_output(form, base, slope, out))
        form = form.xreplace({expr: out})
        forms[name] = form if form.has(out) else None
    return forms


def _in_output(e, base, slope, out):
    """`e` with each part that is a multiple of F'(base) written as a function of `out`."""
    if not isinstance(e, sp.Basic) or not e.args or isinstance(e, (Str, sp.Lambda)):
        return e
    if is_matrix(e) and e.has(Elementwise) and not e.has(out):
        part_base, part = elementwise_in_one_matrix(e)
        ratio = sp.cancel(part / slope[0]) if part_base == base else None
        if ratio is not None and ratio.is_number and ratio != 0:
            return Elementwise("", ratio * slope[1], out)
    e = grouped_by_matrix(e)
    args = [_in_output(a, base, slope, out) for a in e.args]
    return e if args == list(e.args) else e.func(*args)
