"""Where a formula is not differentiable: the expressions that are zero at its kinks.

Read off the formula itself (Piecewise conditions, abs, max/min, sign, Heaviside), so that
checks can sample away from the kinks and reports can state the convention used there.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import hypot

# functions not differentiable where an expression of their node is zero (declared here, as
# data): hypot and arctan2 at the origin, where their local derivatives (0/0) are taken as 0.
# cbrt's slope is infinite at 0, a singular point like log's, not a kink with a convention:
# it is left to the domain.
ZERO_AT = {hypot: lambda f: f, sp.atan2: lambda f: hypot(*f.args)}


def at_kinks_zero(expr: sp.Basic, at_zero=0) -> sp.Basic:
    """Apply the convention at non-differentiable points: Heaviside(0) = 0 (so relu'(0) = 0),
    or `at_zero` (½ at a tie between two inputs, see local_at_kinks)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Heaviside),
        lambda e: sp.Heaviside(e.args[0], at_zero),
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
    for func in expr.atoms(*ZERO_AT):
        found.append(ZERO_AT[type(func)](func))
    for func in expr.atoms(sp.Max, sp.Min):
        first, *rest = func.args
        found.extend(first - other for other in rest)
    unique = []
    for item in found:
        if item.free_symbols and item not in unique and -item not in unique:
            unique.append(item)
    return unique


def local_at_kinks(func: sp.Basic, holder: sp.Symbol, placeholders) -> sp.Basic:
    """d func / d holder with the kink conventions: at a tie of max/min between two inputs the
    parts must add up to the derivative along the tie (1), so each gets ½; a tie with a
    constant (relu = max(0, x)) keeps the step's 0."""
    tie = isinstance(func, (sp.Max, sp.Min)) and len(placeholders) > 1
    local = at_kinks_zero(sp.diff(func, holder), sp.S.Half if tie else 0)
    at_origin = all(a.is_zero is not False for a in func.args)  # hypot(x, 2) is never 0
    if type(func) in ZERO_AT and local != 0 and at_origin:  # 0/0 there: 0, as abs'(0) = 0
        local = sp.Piecewise((local, sp.Ne(ZERO_AT[type(func)](func), 0)), (0, True))
    return local


def has_tie(expr) -> bool:
    """max/min of two or more non-constant arguments (a tie between inputs is possible)."""
    return any(sum(not a.is_number for a in m.args) > 1 for m in expr.atoms(sp.Max, sp.Min))
