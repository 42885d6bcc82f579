"""Tidying matrix gradients into closed forms.

A bottom-up pass that pulls scalar coefficients out, drops identity and all-ones factors,
distributes ⊙ over sums, merges elementwise functions of the same matrix (σ ⊙ (1/σ) = 1),
collects like terms, undoes broadcasts of constants, and applies declared identities
(such as sum(t, axis=0) = 1) wherever their left side appears.
"""

from __future__ import annotations

from functools import reduce

import sympy as sp
from sympy.core.symbol import Str

from derive.simplify.scalar import with_opaque_wholes
from derive.vocab.nodes import AxisSum, Broadcast, Elementwise, SumAll, U
from derive.vocab.shapes import is_matrix


def split(expr):
    """(scalar coefficient, matrix part) of a matrix expression."""
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not is_matrix(a)]
        matrices = [a for a in expr.args if is_matrix(a)]
        part = matrices[0] if len(matrices) == 1 else sp.MatMul(*matrices)
        return sp.Mul(*scalars), part
    return sp.Integer(1), expr


def scaled(coefficient, matrix):
    if coefficient == 0 or isinstance(matrix, sp.ZeroMatrix):
        return sp.ZeroMatrix(*matrix.shape)
    if coefficient == 1:
        return matrix
    inner_coefficient, part = split(matrix)
    coefficient *= inner_coefficient
    if isinstance(part, sp.MatMul):
        return sp.MatMul(coefficient, *part.args) if coefficient != 1 else part
    return sp.MatMul(coefficient, part) if coefficient != 1 else part


def _matmul(args):
    coefficient, matrices = sp.Integer(1), []
    for arg in args:
        c, part = split(arg) if is_matrix(arg) else (arg, None)
        coefficient *= c
        if part is not None:
            matrices.extend(part.args if isinstance(part, sp.MatMul) else [part])
    shape = (matrices[0].shape[0], matrices[-1].shape[1])
    if coefficient == 0 or any(isinstance(m, sp.ZeroMatrix) for m in matrices):
        return sp.ZeroMatrix(*shape)
    kept = [m for m in matrices if not isinstance(m, sp.Identity)] or [matrices[0]]
    return scaled(coefficient, kept[0] if len(kept) == 1 else sp.MatMul(*kept))


def _matadd(args):
    terms: dict = {}
    shape = args[0].shape
    for arg in args:
        for term in (arg.args if isinstance(arg, sp.MatAdd) else [arg]):
            c, part = split(term)
            if c != 0 and not isinstance(part, sp.ZeroMatrix):
                terms[part] = terms.get(part, 0) + c
    terms = {part: c for part, c in terms.items()
             if with_opaque_wholes(sp.simplify, c) != 0}
    if not terms:
        return sp.ZeroMatrix(*shape)
    common = with_opaque_wholes(lambda *cs: reduce(sp.gcd, cs), *terms.values())
    if common.is_number or len(terms) == 1:
        common = sp.Integer(1)
    summed = [scaled(with_opaque_wholes(lambda c: sp.cancel(c / common), c), part)
              for part, c in terms.items()]
    total = summed[0] if len(summed) == 1 else sp.MatAdd(*summed)
    return scaled(common, total)


def _elementwise_of(body, base, name=""):
    """f(base) for f given by `body` in U, in its simplest form."""
    if not body.has(U):
        return scaled(body, sp.OneMatrix(*base.shape))
    if body.is_polynomial(U) and sp.degree(body, U) == 1 and body.subs(U, 0) == 0:
        return scaled(sp.diff(body, U), base)
    if isinstance(base, sp.OneMatrix):
        return scaled(body.subs(U, 1), base)
    coefficient, rest = body.as_coeff_Mul()
    if coefficient != 1:
        return scaled(coefficient, Elementwise("", rest, base))
    return Elementwise(name, body, base)


def _hadamard(args):
    coefficient, factors, pending = sp.Integer(1), [], list(args)
    while pending:
        c, part = split(pending.pop(0))
        coefficient *= c
        if isinstance(part, sp.HadamardProduct):
            pending[:0] = part.args
        else:
            factors.append(part)
    shape = factors[0].shape
    for index, factor in enumerate(factors):
        if isinstance(factor, sp.MatAdd):
            rest = factors[:index] + factors[index + 1:]
            return scaled(coefficient, _matadd([_hadamard(rest + [t]) for t in factor.args]))
    bodies, names = {}, {}
    for part in _composed(factors):
        if isinstance(part, sp.OneMatrix):
            continue
        if isinstance(part, sp.ZeroMatrix):
            return sp.ZeroMatrix(*shape)
        base, body = (part.arg, part.body) if isinstance(part, Elementwise) else (part, U)
        names[base] = part.name if isinstance(part, Elementwise) and base not in bodies else ""
        bodies[base] = sp.cancel(bodies[base] * body) if base in bodies else body
    parts = []
    for base, body in bodies.items():
        c, part = split(_elementwise_of(body, base, names[base]))
        coefficient *= c
        if not isinstance(part, sp.OneMatrix):
            parts.append(part)
    if not parts:
        return scaled(coefficient, sp.OneMatrix(*shape))
    return scaled(coefficient, parts[0] if len(parts) == 1 else sp.HadamardProduct(*parts))


def _composed(factors):
    """g(f(A)) as one function of A where another factor is also a function of A, so that
    their product can merge (1/Y ⊙ −(1/Y)² = −1/Y³)."""
    bases = {f.arg if isinstance(f, Elementwise) else f for f in factors}
    result = []
    for f in factors:
        if isinstance(f, Elementwise) and isinstance(f.arg, Elementwise) and f.arg.arg in bases:
            f = Elementwise("", f.body.xreplace({U: f.arg.body}), f.arg.arg)
        result.append(f)
    return result


def _broadcast(arg, rows, cols):
    if not is_matrix(arg):
        if arg.is_number:
            return scaled(arg, sp.OneMatrix(rows, cols))
        return Broadcast(arg, rows, cols)
    if tuple(arg.shape) == (rows, cols):
        return arg
    c, part = split(arg)
    if isinstance(part, (sp.OneMatrix, sp.ZeroMatrix)):
        return scaled(c, type(part)(rows, cols))
    return scaled(c, Broadcast(part, rows, cols))


def _axis_sum(arg, axis):
    if arg.shape[axis] == 1:
        return arg
    c, part = split(arg)
    if isinstance(part, sp.OneMatrix):
        return scaled(c * part.shape[axis], sp.OneMatrix(*AxisSum(part, axis).shape))
    return scaled(c, AxisSum(part, axis))


def _sum_all(arg):
    c, part = split(arg)
    if isinstance(part, sp.OneMatrix):
        return c * part.shape[0] * part.shape[1]
    return c * SumAll(part)


def _transpose(arg):
    c, part = split(arg)
    if isinstance(part, Broadcast):
        inner = part.arg.T if is_matrix(part.arg) else part.arg
        return scaled(c, Broadcast(inner, part.shape[1], part.shape[0]))
    if isinstance(part, (sp.OneMatrix, sp.ZeroMatrix)):
        return scaled(c, type(part)(part.shape[1], part.shape[0]))
    return scaled(c, sp.Transpose(part).doit(deep=False))


BUILDERS = {
    sp.MatMul: lambda e, a: _matmul(a),
    sp.MatAdd: lambda e, a: _matadd(a),
    sp.HadamardProduct: lambda e, a: _hadamard(a),
    Broadcast: lambda e, a: _broadcast(*a),
    AxisSum: lambda e, a: _axis_sum(a[0], int(a[1])),
    SumAll: lambda e, a: _sum_all(a[0]),
    sp.Transpose: lambda e, a: _transpose(a[0]),
    Elementwise: lambda e, a: _elementwise_of(e.body, a[2], e.name),
}


def tidy(expr, identities: dict | None = None):
    """`expr` in a simpler equal form; `identities` maps expressions to known equal values."""
    identities = identities or {}

    def walk(e):
        if not e.args or isinstance(e, (Str, sp.Lambda, sp.MatrixSymbol)):
            return identities.get(e, e)
        args = [walk(a) for a in e.args]
        builder = next((b for kind, b in BUILDERS.items() if isinstance(e, kind)), None)
        result = builder(e, args) if builder else e.func(*args)
        if result in identities:
            return identities[result]
        if is_matrix(result):
            c, part = split(result)
            if part in identities:
                return scaled(c, identities[part])
        return result

    return walk(expr)
