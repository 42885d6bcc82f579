"""Where a formula is not differentiable: the expressions that are zero at its kinks.

Read off the formula itself (Piecewise conditions, abs, max/min, sign, Heaviside), so that
checks can sample away from the kinks and reports can state the convention used there.
"""

from __future__ import annotations

import sympy as sp


def at_kinks_zero(expr: sp.Basic) -> sp.Basic:
    """Apply the convention at non-differentiable points: Heaviside(0) = 0 (so relu'(0) = 0)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Heaviside),
        lambda e: sp.Heaviside(e.args[0], 0),
    ).replace(sp.DiracDelta, lambda *args: sp.Integer(0))


def kink_expressions(expr: sp.Basic) -> list[sp.Basic]:
    """Expressions g such that the formula may be non-differentiable where g = 0."""
    found = []
    for piecewise in expr.atoms(sp.Piecewise):
        for _, cond in piecewise.args:
            if isinstance(cond, sp.core.relational.Relational):
                found.append(cond.lhs - cond.rhs)
    for func in expr.atoms(sp.Abs, sp.sign, sp.Heaviside):
        found.append(func.args[0])
    for func in expr.atoms(sp.Max, sp.Min):
        first, *rest = func.args
        found.extend(first - other for other in rest)
    unique = []
    for item in found:
        if item.free_symbols and item not in unique and -item not in unique:
            unique.append(item)
    return unique
