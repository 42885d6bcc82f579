"""VJP rules of the matrix primitives, each derived once from its matrix differential.

With L the loss and G = ∂L/∂Z the upstream gradient of a node Z = f(A, ...), the chain rule
reads dL = tr(Gᵀ dZ). Writing dZ in terms of dA and moving everything but dA out of the trace
(cyclic trace, tr(Mᵀ) = tr(M)) gives dL = tr(Āᵀ dA): Ā is the VJP. For each primitive the
rule records the differential dZ (the step's `local`) and the resulting Ā (its `downstream`).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from derive.graph import is_variable
from derive.matrix.nodes import AxisSum, Broadcast, Elementwise, LogSumExp, Softmax, SumAll, U
from derive.matrix.shapes import is_matrix, shape_of
from derive.matrix.text import matrix_text


def unbroadcast(gradient, shape: tuple):
    """Undo broadcasting: sum `gradient` over the axes where `shape` has size 1 (or all)."""
    if not shape:
        return SumAll(gradient)
    for axis in (0, 1):
        if shape[axis] == 1 and gradient.shape[axis] != 1:
            gradient = AxisSum(gradient, axis)
    return gradient


def transpose(expr):
    return sp.Transpose(expr).doit(deep=False)


def product(*factors):
    factors = [f for f in factors if f != 1]
    if len(factors) == 1:
        return factors[0]
    return sp.MatMul(*factors) if any(is_matrix(f) for f in factors) else sp.Mul(*factors)


def _matmul(expr, p, d, G):
    args = expr.args
    others = [a for i, a in enumerate(args) if i != p]
    if not is_matrix(args[p]):  # a scalar factor c of c·M: dL = tr(Gᵀ M) dc
        rest = product(*others)
        return product(*args[:p], d, *args[p + 1:]), SumAll(sp.HadamardProduct(G, rest))
    scale = sp.Mul(*[a for a in args if not is_matrix(a)])
    left = [a for a in args[:p] if is_matrix(a)]
    right = [a for a in args[p + 1:] if is_matrix(a)]
    parts = ([transpose(product(*left))] if left else []) + [G] + (
        [transpose(product(*right))] if right else [])
    return product(*args[:p], d, *args[p + 1:]), product(scale, *parts)


def _matadd(expr, p, d, G):
    return d, G


def _hadamard(expr, p, d, G):
    others = [a for i, a in enumerate(expr.args) if i != p]
    return sp.HadamardProduct(*others, d), sp.HadamardProduct(G, *others)


def _transpose(expr, p, d, G):
    return d.T, transpose(G)


def _trace(expr, p, d, G):
    return sp.Trace(d), product(G, sp.Identity(expr.arg.shape[0]))


def _determinant(expr, p, d, G):
    A = expr.arg
    return (product(expr, sp.Trace(sp.MatMul(sp.Inverse(A), d))),
            product(G, expr, transpose(sp.Inverse(A))))


def _inverse(expr, p, d, G):
    inv_t = transpose(sp.Inverse(expr.arg))
    return sp.MatMul(-1, expr, d, expr), sp.MatMul(-1, inv_t, G, inv_t)


def _broadcast(expr, p, d, G):
    return Broadcast(d, *expr.shape), unbroadcast(G, shape_of(expr.arg))


def _elementwise(expr, p, d, G):
    slope = elementwise_slope(expr)
    return sp.HadamardProduct(slope, d), sp.HadamardProduct(G, slope)


def elementwise_slope(expr: Elementwise):
    """f'(A) for Z = f(A) elementwise, from sympy.diff of f; written in terms of Z itself when
    the scalar saved form is simpler and calls no function (sigmoid: Z ⊙ (1 − Z), tanh:
    1 − Z², exp: Z): then the slope costs a few products and cannot overflow. A form that
    still calls one (softplus: 1 − exp(−Z)) saves nothing and loses precision."""
    slope, in_output = slope_in_output(expr.body)
    return Elementwise("", in_output, expr) if in_output is not None else \
        Elementwise("", slope, expr.arg)


@lru_cache(maxsize=256)
def slope_in_output(body):
    """(f'(u), f' with f(u) written as u where that is simpler and calls no function, or None)."""
    from derive.rewrite import OUT, saved_form
    from derive.rules import at_kinks_zero

    slope = at_kinks_zero(sp.diff(body, U))
    form = saved_form(body, slope, [U], {})
    if form is None or form.atoms(sp.Function):
        return slope, None
    return slope, form.xreplace({OUT: U})


def _axis_sum(expr, p, d, G):
    return AxisSum(d, expr.axis), Broadcast(G, *expr.arg.shape)


def _sum_all(expr, p, d, G):
    return SumAll(d), product(G, sp.OneMatrix(*expr.arg.shape))


def _softmax(expr, p, d, G):
    # Jacobian ∂σᵢ/∂xⱼ = σᵢ(δᵢⱼ − σⱼ) along the axis: dσ = σ ⊙ (dx − sum(σ ⊙ dx, axis))
    def apply(v):
        mixed = Broadcast(AxisSum(sp.HadamardProduct(expr, v), expr.axis), *expr.shape)
        return sp.HadamardProduct(expr, sp.MatAdd(v, sp.MatMul(-1, mixed)))
    return apply(d), apply(G)


def _log_sum_exp(expr, p, d, G):
    # d logsumexp(x) = sum(softmax(x) ⊙ dx, axis): the gradient is softmax(x) ⊙ broadcast(G)
    sigma = Softmax(expr.arg, expr.axis)
    return (AxisSum(sp.HadamardProduct(sigma, d), expr.axis),
            sp.HadamardProduct(sigma, Broadcast(G, *expr.arg.shape)))


RULES = {
    sp.MatMul: ("matrix product", _matmul),
    sp.MatAdd: ("sum", _matadd),
    sp.HadamardProduct: ("hadamard", _hadamard),
    sp.Transpose: ("transpose", _transpose),
    sp.Trace: ("trace", _trace),
    sp.Determinant: ("determinant", _determinant),
    sp.Inverse: ("inverse", _inverse),
    Broadcast: ("broadcast-sum", _broadcast),
    Elementwise: ("elementwise", _elementwise),
    AxisSum: ("sum along axis", _axis_sum),
    SumAll: ("sum", _sum_all),
    Softmax: ("softmax", _softmax),
    LogSumExp: ("log-sum-exp", _log_sum_exp),
}


def _rule(expr):
    for kind, rule in RULES.items():
        if isinstance(expr, kind):
            return rule
    from derive.errors import DeriveError

    raise DeriveError(f"formula: '{matrix_text(expr)}' ({type(expr).__name__}) has no matrix "
                      "rule; use @, +, -, *, .T, trace, det, inv, sum, mean, softmax, logsumexp "
                      "or an elementwise function")


def matrix_children(expr) -> list:
    """The variable subexpressions a matrix node takes as inputs, without repeats."""
    _rule(expr)
    seen = []
    for arg in expr.args:
        if isinstance(arg, sp.Basic) and is_variable(arg) and not isinstance(arg, sp.Lambda) \
                and arg not in seen:
            seen.append(arg)
    return seen


def matrix_label(expr) -> str:
    """The node's label as drawn: @, +, ⊙, .T, trace, det, inv, broadcast, tanh, sum, softmax."""
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not is_matrix(a) and not is_variable(a)]
        if len([a for a in expr.args if is_variable(a)]) == 1 and scalars:
            factor = matrix_text(sp.Mul(*scalars))
            return "×" + (f"({factor.replace('-', '−')})" if factor.startswith("-") else factor)
        return "@"
    if isinstance(expr, Elementwise):
        from derive.graph import node_label

        return expr.name or node_label(expr.body, [U])
    if isinstance(expr, AxisSum):
        return f"sum(axis={expr.axis})"
    labels = {sp.MatAdd: "+", sp.HadamardProduct: "⊙", sp.Transpose: ".T", sp.Trace: "trace",
              sp.Determinant: "det", sp.Inverse: "inv", Broadcast: "broadcast", SumAll: "sum",
              Softmax: "softmax", LogSumExp: "logsumexp"}
    return next(label for kind, label in labels.items() if isinstance(expr, kind))


def placeholder_for(child, index: int):
    if is_matrix(child):
        return sp.MatrixSymbol(f"_a{index}", *child.shape)
    return sp.Dummy(f"a{index}")


def matrix_rule_name(node) -> str:
    """The rule's name; a product with one matrix or scalar factor that varies (×(−1), ×1/N)
    is a constant multiple, not a matrix product."""
    name = _rule(node.expr)[0]
    if name == "matrix product" and len(node.args) == 1:
        return "constant multiple"
    return name


def differential_symbol(child):
    text = matrix_text(child)
    name = f"d{text}" if text.isidentifier() else f"d({text})"
    return sp.MatrixSymbol(name, *child.shape) if is_matrix(child) else sp.Symbol(name)


def _terms(node, index, upstream):
    child = node.child_exprs[index]
    d = differential_symbol(child)
    rule = _rule(node.expr)[1]
    pairs = [rule(node.expr, p, d, upstream) for p, arg in enumerate(node.expr.args)
             if arg == child]
    return pairs


def _total(parts):
    if len(parts) == 1:
        return parts[0]
    return sp.MatAdd(*parts) if is_matrix(parts[0]) else sp.Add(*parts)


def matrix_locals(node) -> list:
    """For each child, its part of the differential dZ (in terms of d<child>)."""
    upstream = (sp.MatrixSymbol("G", *node.expr.shape) if is_matrix(node.expr)
                else sp.Symbol("G"))
    return [_total([dz for dz, _ in _terms(node, i, upstream)]) for i in range(len(node.args))]


def matrix_vjp(node, index: int, upstream):
    """The gradient sent from `node` to its child `index`, given the upstream gradient."""
    return _total([grad for _, grad in _terms(node, index, upstream)])
