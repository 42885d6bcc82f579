"""Elementwise structure of matrix expressions, and an elementwise function's slope through
its own output.

A part of a matrix expression that applies one scalar function f(u) to every entry of one
matrix A (nested functions, ⊙, + and numeric factors over A) is recognised as the pair
(A, f); code generation fuses such parts into one local, saved forms rewrite them in terms
of the output, and the elementwise primitive writes its slope f'(A) through f(A) itself.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derive.simplify.scalar import saved_form
from derive.vocab.functions import OUT
from derive.vocab.kinks import at_kinks_zero
from derive.vocab.nodes import Broadcast, Elementwise, U

CONSTANT = None  # the "base" of a constant matrix: it fits with any base


@lru_cache(maxsize=256)
def slope_in_output(body):
    """(f'(u), f' with f(u) written as u where that is simpler and calls no function, or None)."""
    slope = at_kinks_zero(sp.diff(body, U))
    form = saved_form(body, slope, [U], {})
    if form is None or form.atoms(sp.Function):
        return slope, None
    return slope, form.xreplace({OUT: U})


def grouped_by_matrix(e):
    """A ⊙ or + whose operands are elementwise in different matrices, with the operands in
    the same matrix put together (dout ⊙ f(A) ⊙ g(A) → dout ⊙ (f(A) ⊙ g(A))) to be fused."""
    if not isinstance(e, (sp.HadamardProduct, sp.MatAdd)):
        return e
    groups: dict = {}
    for arg in e.args:
        groups.setdefault(elementwise_in_one_matrix(arg)[0], []).append(arg)
    if len(groups) == 1:
        return e
    args = []
    for base, members in groups.items():
        if base is CONSTANT or len(members) == 1:
            args.extend(members)
        else:
            args.append(e.func(*members))
    return e if len(args) == len(e.args) else e.func(*args)


def elementwise_in_one_matrix(e):
    """(A, f(u)) when the matrix expression `e` equals f applied to every entry of one matrix
    A; (CONSTANT, c) for a constant; for any other matrix (e, u)."""
    if isinstance(e, Elementwise):
        base, inner = elementwise_in_one_matrix(e.arg)
        return base, e.body.xreplace({U: inner})
    if isinstance(e, sp.OneMatrix):
        return CONSTANT, sp.Integer(1)
    if isinstance(e, sp.ZeroMatrix):
        return CONSTANT, sp.Integer(0)
    if isinstance(e, Broadcast) and e.arg.is_number:
        return CONSTANT, e.arg
    if isinstance(e, sp.MatMul):
        numbers = [a for a in e.args if a.is_number]
        rest = [a for a in e.args if not a.is_number]
        if numbers and rest:
            base, body = elementwise_in_one_matrix(rest[0] if len(rest) == 1 else sp.MatMul(*rest))
            return base, sp.Mul(*numbers) * body
    if isinstance(e, (sp.HadamardProduct, sp.MatAdd)):
        parts = [elementwise_in_one_matrix(a) for a in e.args]
        bases = {base for base, _ in parts if base is not CONSTANT}
        if len(bases) <= 1:
            combine = sp.Mul if isinstance(e, sp.HadamardProduct) else sp.Add
            return (bases.pop() if bases else CONSTANT), combine(*[body for _, body in parts])
    return e, U
