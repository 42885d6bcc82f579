"""Simplification: gradients in a simpler equal form, and rewritten in terms of the forward
output where that is simpler (saved forms: σ(1−σ), 1−y², y for exp).

Formulas without matrices go through SymPy (scalar.py: the shortest of several equal forms;
the saved form by solving out = f(x)); matrix gradients through a bottom-up tidying pass with
the declared identities (matrix.py) and the elementwise saved forms (saved.py, through the
scalar rewrite of each elementwise function, elementwise.py).
"""

from __future__ import annotations

import sympy as sp

from derive.simplify.matrix import tidy
from derive.simplify.saved import matrix_saved_forms
from derive.simplify.scalar import saved_form, simplify_gradient
from derive.vocab.functions import DOUT


def simplify_gradients(raw: dict, shapes: dict, identities: dict) -> dict:
    """Each gradient simplified; a matrix input that gets no gradient gets a zero matrix."""
    if not shapes:
        return {n: simplify_gradient(g) for n, g in raw.items()}
    return {n: tidy(sp.ZeroMatrix(*shapes[n]) if g == 0 and n in shapes else g, identities)
            for n, g in raw.items()}


def saved_forms(expr, gradients: dict, inputs: list[str], params: list[str], domains: dict,
                shapes: dict) -> dict:
    """name -> the gradient in terms of the output `out`, or None where it cannot use it."""
    if shapes:
        return matrix_saved_forms(expr, gradients, params)
    saved = {n: None for n in inputs}
    if len(inputs) == 1:
        (name,) = inputs
        per_unit = simplify_gradient(gradients[name] / DOUT)
        form = saved_form(expr, per_unit, [sp.Symbol(name, real=True)], domains)
        saved[name] = None if form is None else DOUT * form
    return saved
