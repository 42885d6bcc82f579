"""Local rules: the derivative of each node's own primitive function, with a rule name.

Every local derivative comes from `sympy.diff` of the node's function of its placeholder
inputs; the rule name comes from a small fixed vocabulary. Non-differentiable points follow
the common convention: the step functions SymPy returns are taken as 0 at their jump.
"""

from __future__ import annotations

import sympy as sp

from derive.graph import Node, is_variable
from derive.vocab.functions import ArraySize, ArraySum

TRIG = (sp.sin, sp.cos, sp.tan, sp.asin, sp.acos, sp.atan)
HYPERBOLIC = (sp.sinh, sp.cosh, sp.tanh)
PIECEWISE = (sp.Piecewise, sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)


def involves_matrix(node: Node) -> bool:
    """True for a node whose value or an input is a matrix (the matrix rules apply)."""
    return node.is_matrix or any(
        isinstance(c, sp.MatrixExpr) or getattr(c, "is_Matrix", False) for c in node.child_exprs)


def rule_name(node: Node) -> str:
    """The rule that differentiates `node`, from the fixed vocabulary."""
    if involves_matrix(node):
        from derive.primitives.matrix import matrix_rule_name

        return matrix_rule_name(node)
    expr = node.expr
    if isinstance(expr, sp.Add):
        return "sum"
    if isinstance(expr, sp.Mul):
        return "constant multiple" if len(node.args) == 1 else "product"
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent == -1:
            return "reciprocal"
        if not is_variable(base):
            return "exponential"
        return "power"
    if isinstance(expr, sp.exp):
        return "exp"
    if isinstance(expr, sp.log):
        return "log"
    if isinstance(expr, TRIG):
        return "trig"
    if isinstance(expr, HYPERBOLIC):
        return "hyperbolic"
    if isinstance(expr, PIECEWISE):
        return "max/piecewise"
    if isinstance(expr, ArraySum):
        return "broadcast-sum"
    if isinstance(expr, sp.erf):
        return "erf"
    return "chain"


def local_derivatives(node: Node) -> list[sp.Basic]:
    """∂(node)/∂(child i) for each child, in terms of the formula's names."""
    if involves_matrix(node):
        from derive.primitives.matrix import matrix_locals

        return matrix_locals(node)
    if isinstance(node.expr, sp.logic.boolalg.Boolean):  # a condition such as u > 0:
        return [sp.Integer(0)] * len(node.placeholders)  # no gradient flows through it
    back = dict(zip(node.placeholders, node.child_exprs))
    result = []
    for holder in node.placeholders:
        local = at_kinks_zero(sp.diff(node.func, holder))
        result.append(local.xreplace(back))
    return result


def at_kinks_zero(expr: sp.Basic) -> sp.Basic:
    """Apply the convention at non-differentiable points: Heaviside(0) = 0 (so relu'(0) = 0)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Heaviside),
        lambda e: sp.Heaviside(e.args[0], 0),
    ).replace(sp.DiracDelta, lambda *args: sp.Integer(0))


def vjp(node: Node, index: int, upstream: sp.Basic, local: sp.Basic,
        scalars: frozenset = frozenset()) -> sp.Basic:
    """The gradient that flows from `node` to its child `index`: upstream × local.

    Where a single number (such as mean(x)) is broadcast into an entry-by-entry operation
    (x - mean(x)), the gradient of each entry flows back to that one number: it receives
    their sum (undoing the broadcast here, in one place). `scalars` are the symbols known to
    be single numbers (dout of a scalar loss).
    """
    if involves_matrix(node):
        from derive.primitives.matrix import matrix_vjp

        return matrix_vjp(node, index, upstream)
    gradient = upstream * local
    if array_valued(node.expr) and not array_valued(node.child_exprs[index]):
        if array_valued(gradient, scalars):
            return ArraySum(gradient)
        return gradient * ArraySize(node.expr)
    return gradient


def array_valued(expr: sp.Basic, scalars: frozenset = frozenset()) -> bool:
    """True if `expr` varies entry by entry: a formula name occurs outside every sum()."""
    stack = [expr]
    while stack:
        current = stack.pop()
        if isinstance(current, (ArraySum, ArraySize)) or not isinstance(current, sp.Basic):
            continue
        if isinstance(current, sp.Symbol) and current not in scalars:
            return True
        stack.extend(current.args)
    return False
