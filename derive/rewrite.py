"""Rewriting gradients: simplification, and the saved-value form in terms of `out`.

The saved form expresses a gradient through the forward output (sigmoid → out·(1−out),
tanh → 1−out², exp → out) when that is simpler. It is found by solving out = f(x) for x,
substituting and simplifying; a candidate is kept only if no inverse function is left in it
and it agrees with the original gradient at random points.
"""

from __future__ import annotations

import random

import sympy as sp

from derive.functions import ArraySize, ArraySum

OUT = sp.Symbol("out", real=True)
SIMPLIFY_LIMIT = 150
INVERSE_FUNCTIONS = (sp.log, sp.asin, sp.acos, sp.atan, sp.asinh, sp.acosh, sp.atanh,
                     sp.LambertW, sp.erfinv, sp.erfcinv)


def function_kinds(expr: sp.Basic) -> set:
    return {type(f) for f in expr.atoms(sp.Function)} | (
        {sp.Piecewise} if expr.has(sp.Piecewise) else set())


def simplify_gradient(expr: sp.Basic) -> sp.Basic:
    """The shortest of several equivalent forms that adds no new kind of function."""
    if getattr(expr, "is_Matrix", False) or isinstance(expr, sp.MatrixExpr):
        return expr
    if sp.count_ops(expr) > SIMPLIFY_LIMIT:
        return sp.factor_terms(expr)
    kinds = function_kinds(expr)
    candidates = [expr, sp.factor_terms(expr), sp.cancel(expr), sp.factor(expr)]
    try:
        candidates.append(sp.simplify(expr))
    except (TypeError, ValueError, NotImplementedError):
        pass
    allowed = [c for c in candidates if function_kinds(c) <= kinds | {sp.Heaviside}]
    return min(allowed, key=lambda c: (sp.count_ops(c), len(str(c))))


def saved_form(forward: sp.Basic, gradient: sp.Basic, inputs: list[sp.Symbol],
               domains: dict) -> sp.Basic | None:
    """`gradient` rewritten in terms of OUT = forward, if that is simpler; otherwise None."""
    if forward.has(ArraySum) or not isinstance(forward, sp.Expr) or gradient == 0:
        return None
    if len(inputs) != 1 or sp.count_ops(forward) > 25 or forward.has(sp.Piecewise, sp.Abs):
        return None
    x = inputs[0]
    candidates = [gradient.subs(forward, OUT)]
    try:
        solutions = _solve_for(forward, x)
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
    for _ in range(points):
        values = {}
        for name in list(names) + extra:
            low, high = domains.get(str(name), (-2.0, 2.0))
            values[name] = sp.Float(rng.uniform(low, high), 30)
        try:
            va = complex(_numeric(a, values))
            vb = complex(_numeric(b, values))
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if abs(va - vb) > tolerance * max(1.0, abs(va), abs(vb)):
            return False
    return True


def _numeric(expr, values):
    expr = expr.replace(lambda e: isinstance(e, ArraySize), lambda e: sp.Integer(1))
    expr = expr.replace(lambda e: isinstance(e, ArraySum), lambda e: e.args[0])
    return expr.xreplace(values).evalf(30)
