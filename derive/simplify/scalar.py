"""Rewriting gradients: simplification, and the saved-value form in terms of `out`.

The saved form expresses a gradient through the forward output (sigmoid → out·(1−out),
tanh → 1−out², exp → out) when that is simpler. It is found by solving out = f(x) for x,
substituting and simplifying; a candidate is kept only if no inverse function is left in it
and it agrees with the original gradient at random points.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import sympy as sp

from derive.printers.code import numpy_function
from derive.vocab.functions import OUT, ArraySize, ArraySum
from derive.vocab.shapes import is_matrix

SIMPLIFY_LIMIT = 150
FULL_SIMPLIFY_LIMIT = 30
SOLVE_LIMIT = 10  # out = f(x) is solved for x only for small f: larger inverses are not simpler
INVERSE_FUNCTIONS = (sp.log, sp.asin, sp.acos, sp.atan, sp.asinh, sp.acosh, sp.atanh,
                     sp.LambertW, sp.erfinv, sp.erfcinv)


def function_kinds(expr: sp.Basic) -> set:
    return {type(f) for f in expr.atoms(sp.Function)} | (
        {sp.Piecewise} if expr.has(sp.Piecewise) else set())


def simplify_gradient(expr: sp.Basic, thorough: bool = True) -> sp.Basic:
    """The shortest of several equivalent forms that adds no new kind of function.

    SymPy's `simplify` is tried only on small expressions (its cost grows very fast); a large
    sum is simplified term by term, and a large product factor by factor, so the cost of
    simplifying grows about linearly with the size of the formula.
    """
    if is_matrix(expr):
        return expr
    return with_opaque_wholes(lambda e: _simplify(e, thorough), expr)


def with_opaque_wholes(function, *exprs):
    """function(*exprs) with every value that stands for a whole array (sum(x), size(x), and
    numbers computed from matrices: sum, trace, det of a matrix) replaced by a symbol, so
    that SymPy neither reads an entry for the whole nor takes matrices apart as scalars."""
    wholes: dict = {}

    def is_whole(e):
        return isinstance(e, (ArraySum, ArraySize)) or (
            isinstance(e, sp.Expr) and not isinstance(e, sp.MatrixExpr)
            and any(isinstance(a, sp.MatrixExpr) for a in e.args))

    def symbol(e):
        return wholes.setdefault(e, sp.Dummy(
            **({"positive": True} if isinstance(e, ArraySize) else {"real": True})))

    result = function(*(e.replace(is_whole, symbol) if isinstance(e, sp.Basic) else e
                        for e in exprs))
    back = {dummy: whole for whole, dummy in wholes.items()}
    while isinstance(result, sp.Basic) and result.has(*back):
        result = result.xreplace(back)
    return result


def _simplify(expr: sp.Basic, thorough: bool) -> sp.Basic:
    """simplify_gradient without the protection of sums: sum(x) stands for the whole array,
    so SymPy must never see its x (inside a Piecewise branch x > 0 it would put x for relu(x)
    in sum(relu(x)), true for the one entry only); each sum is an opaque Dummy here."""
    ops = sp.count_ops(expr)
    if ops > FULL_SIMPLIFY_LIMIT and isinstance(expr, (sp.Add, sp.Mul)):
        parts = [_simplify(a, thorough=False) for a in expr.args]
        return _shortest([expr.func(*parts)], function_kinds(expr))
    if ops > SIMPLIFY_LIMIT:
        return sp.factor_terms(expr)
    candidates = [expr, sp.factor_terms(expr), sp.cancel(expr)]
    if thorough and ops <= FULL_SIMPLIFY_LIMIT:
        candidates.append(sp.factor(expr))
        try:
            candidates.append(sp.simplify(expr))
        except (TypeError, ValueError, NotImplementedError):
            pass
    return _shortest(candidates, function_kinds(expr))


def _shortest(candidates: list, kinds: set) -> sp.Basic:
    """The shortest candidate adding no new function kind and no power that NumPy cannot take
    on real inputs (simplify turns |x|**y/|x| into Abs(x**(y - 1)): NaN for x < 0)."""
    powers = _fractional_powers(candidates[0])
    allowed = [c for c in candidates if function_kinds(c) <= kinds | {sp.Heaviside}
               and _fractional_powers(c) <= powers]
    return min(allowed or candidates[:1], key=lambda c: (sp.count_ops(c), len(str(c))))


def _fractional_powers(expr: sp.Basic) -> set:
    """Powers whose base may be negative and whose exponent may be fractional."""
    return {p for p in expr.atoms(sp.Pow)
            if p.exp.is_integer is not True and p.base.is_nonnegative is not True}


def saved_form(forward: sp.Basic, gradient: sp.Basic, inputs: list[sp.Symbol],
               domains: dict) -> sp.Basic | None:
    """`gradient` rewritten in terms of OUT = forward, if that is simpler; otherwise None."""
    if forward.has(ArraySum) or not isinstance(forward, sp.Expr) or gradient == 0:
        return None
    if len(inputs) != 1 or sp.count_ops(forward) > 25 or forward.has(sp.Piecewise, sp.Abs):
        return None
    x = inputs[0]
    candidates = [gradient.subs(forward, OUT)]
    try:  # SymPy's solve takes seconds to minutes on compositions (sigmoid(sigmoid(...)))
        solutions = _solve_for(forward, x) if sp.count_ops(forward) <= SOLVE_LIMIT else []
    except Exception:  # SymPy's solver raises many types on hard equations
        solutions = []
    for solution in solutions:
        candidate = simplify_gradient(gradient.subs(x, solution))
        candidates.append(candidate)
    best = None
    for candidate in candidates:
        if candidate.has(x) or candidate.has(*INVERSE_FUNCTIONS) and not gradient.has(sp.log):
            continue
        if not candidate.has(OUT) or candidate.has(sp.I):
            continue
        if not agrees(gradient, candidate.subs(OUT, forward), [x], domains):
            continue
        if best is None or sp.count_ops(candidate) < sp.count_ops(best):
            best = candidate
    if best is None or sp.count_ops(best) > sp.count_ops(gradient):
        return None
    factored = _absorb_sign(sp.factor(best))
    return factored if sp.count_ops(factored) <= sp.count_ops(best) + 1 else best


def _absorb_sign(expr: sp.Basic) -> sp.Basic:
    """-a*(b - c) -> a*(c - b): the form people write, such as out*(1 - out)."""
    if not isinstance(expr, sp.Mul) or expr.args[0] != -1:
        return expr
    rest = list(expr.args[1:])
    for i, factor in enumerate(rest):
        if isinstance(factor, sp.Add):
            rest[i] = -factor
            return sp.Mul(*rest)
    return expr


def _solve_for(forward, x):
    positive = sp.Symbol("out", positive=True)
    solutions = sp.solve(sp.Eq(positive, forward), x, rational=False)
    return [s.subs(positive, OUT) for s in solutions if not s.has(sp.I)][:3]


def agrees(a: sp.Basic, b: sp.Basic, names: list[sp.Symbol], domains: dict,
           points: int = 6, tolerance: float = 1e-9) -> bool:
    """Numerical agreement of two expressions at random points of the names' domains."""
    rng = random.Random(1234)
    extra = sorted((a.free_symbols | b.free_symbols) - set(names), key=str)
    symbols = list(names) + extra
    finite = _float_finiteness(a, b, symbols)
    for _ in range(points):
        values = {}
        for name in symbols:
            low, high = domains.get(str(name), (-2.0, 2.0))
            values[name] = sp.Float(rng.uniform(low, high), 30)
        if not finite([float(values[s]) for s in symbols]):
            return False
        try:
            va = complex(_numeric(a, values))
            vb = complex(_numeric(b, values))
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if abs(va - vb) > tolerance * max(1.0, abs(va), abs(vb)):
            return False
    return True


def _numeric(expr, values):
    return _as_scalar(expr).xreplace(values).evalf(30)


def _as_scalar(expr):
    expr = expr.replace(lambda e: isinstance(e, ArraySize), lambda e: sp.Integer(1))
    return expr.replace(lambda e: isinstance(e, ArraySum), lambda e: e.args[0])


def _float_finiteness(a, b, symbols):
    """A test `point -> bool`: are both expressions finite in float64 at the point?

    30-digit evaluation of a value beyond float range (a power tower such as x**x**x**x at
    x = 3) can run for hours; such a point is refused first, in float64, in microseconds.
    """
    names = [str(s) for s in symbols]
    try:
        functions = [numpy_function(_as_scalar(e), names, "probe") for e in (a, b)]
    except Exception:  # not printable as NumPy code: only the 30-digit evaluation remains
        return lambda point: True

    def finite(point):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for kind in (complex, float):  # complex first: (-2)**0.5 is a number, not NaN
                arrays = [np.array([v], dtype=kind) for v in point]
                try:
                    results = [np.asarray(f(*arrays), dtype=complex) for f in functions]
                    return all(np.all(np.isfinite(r)) for r in results)
                except OverflowError:
                    return False
                except Exception:  # such as a comparison of complex numbers in a Piecewise
                    continue
        return True  # float64 cannot evaluate it at all: evalf decides

    return finite
