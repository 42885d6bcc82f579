"""derive's own array primitives (vocab.nodes): broadcasting, elementwise functions of a
matrix, sums along an axis or over every entry, softmax and log-sum-exp along an axis.
Each VJP is read off the node's differential, as for the matrix primitives."""

from __future__ import annotations

import sympy as sp

from derive.primitives.matrix import product
from derive.primitives.registry import Primitive, label_of, register, unbroadcast
from derive.printers.code import CodeText
from derive.simplify.elementwise import slope_in_output
from derive.vocab.nodes import (
    AxisSum,
    Broadcast,
    Elementwise,
    LogSumExp,
    Softmax,
    SumAll,
    U,
    applied_text,
    elementwise_latex,
)
from derive.vocab.shapes import shape_of


def _shape_code(printer, expr):
    return "(" + ", ".join(printer._print(d) for d in expr.shape) + ")"


register(Primitive(
    (Broadcast,), "broadcast-sum", "broadcast",
    lambda expr, p, d, G: (Broadcast(d, *expr.shape), unbroadcast(G, shape_of(expr.arg))),
    code=lambda p, e: f"numpy.broadcast_to({p._print(e.arg)}, {_shape_code(p, e)})",
    text=lambda p, e: f"broadcast_to({p._print(e.arg)}, {_shape_code(p, e)})",
    latex=lambda p, e: p._print(e.arg)))


def _elementwise(expr, p, d, G):
    """f'(A) ⊙ dA; f' from sympy.diff of f, written in terms of Z = f(A) itself where the
    scalar saved form is simpler and calls no function (sigmoid: Z ⊙ (1 − Z), tanh: 1 − Z²,
    exp: Z): then the slope costs a few products and cannot overflow."""
    slope, in_output = slope_in_output(expr.body)
    slope = Elementwise("", in_output, expr) if in_output is not None else \
        Elementwise("", slope, expr.arg)
    return sp.HadamardProduct(slope, d), sp.HadamardProduct(G, slope)


def _elementwise_code(printer, expr):
    arg = expr.arg
    if expr.body == sp.log(U) and isinstance(arg, Softmax):  # log-softmax, stably
        return f"scipy.special.log_softmax({printer._print(arg.arg)}, axis={arg.axis})"
    if isinstance(arg, sp.MatrixSymbol):  # a name needs no parentheses
        return printer._print(expr.body.xreplace({U: CodeText(printer._print(arg))}))
    code = f"({printer._print(arg)})"
    return printer._print(expr.body.xreplace({U: CodeText(code)})).replace(f"({code})", code)


register(Primitive(
    (Elementwise,), "elementwise", lambda e, c: e.name or label_of(e.body, [U]), _elementwise,
    code=_elementwise_code, text=applied_text,
    latex=elementwise_latex))

register(Primitive(
    (AxisSum,), "sum along axis", lambda e, c: f"sum(axis={e.axis})",
    lambda expr, p, d, G: (AxisSum(d, expr.axis), Broadcast(G, *expr.arg.shape)),
    code=lambda p, e: f"numpy.sum({p._print(e.arg)}, axis={e.axis}, keepdims=True)",
    text=lambda p, e: f"sum({p._print(e.arg)}, axis={e.axis})",
    latex=lambda p, e: rf"\sum_{{\mathrm{{axis}}={e.axis}}} {p.parenthesize(e.arg, 1000)}"))

register(Primitive(
    (SumAll,), "sum", "sum",
    lambda expr, p, d, G: (SumAll(d), product(G, sp.OneMatrix(*expr.arg.shape))),
    code=lambda p, e: f"numpy.sum({p._print(e.arg)})",
    text=lambda p, e: f"sum({p._print(e.arg)})",
    latex=lambda p, e: rf"\sum {p.parenthesize(e.arg, 1000)}"))


def _softmax(expr, p, d, G):
    # Jacobian ∂σᵢ/∂xⱼ = σᵢ(δᵢⱼ − σⱼ) along the axis: dσ = σ ⊙ (dx − sum(σ ⊙ dx, axis))
    def apply(v):
        mixed = Broadcast(AxisSum(sp.HadamardProduct(expr, v), expr.axis), *expr.shape)
        return sp.HadamardProduct(expr, sp.MatAdd(v, sp.MatMul(-1, mixed)))
    return apply(d), apply(G)


register(Primitive(
    (Softmax,), "softmax", "softmax", _softmax,
    code=lambda p, e: f"scipy.special.softmax({p._print(e.arg)}, axis={e.axis})",
    text=lambda p, e: f"softmax({p._print(e.arg)}, axis={e.axis})",
    latex=lambda p, e: (rf"\operatorname{{softmax}}_{{{e.axis}}}"
                        rf"\left({p._print(e.arg)}\right)")))


def _log_sum_exp(expr, p, d, G):
    # d logsumexp(x) = sum(softmax(x) ⊙ dx, axis): the gradient is softmax(x) ⊙ broadcast(G)
    sigma = Softmax(expr.arg, expr.axis)
    return (AxisSum(sp.HadamardProduct(sigma, d), expr.axis),
            sp.HadamardProduct(sigma, Broadcast(G, *expr.arg.shape)))


register(Primitive(
    (LogSumExp,), "log-sum-exp", "logsumexp", _log_sum_exp,
    code=lambda p, e: (f"scipy.special.logsumexp({p._print(e.arg)}, axis={e.axis}, "
                       "keepdims=True)"),
    text=lambda p, e: f"logsumexp({p._print(e.arg)}, axis={e.axis})",
    latex=lambda p, e: rf"\log \sum_{{\mathrm{{axis}}={e.axis}}} e^{{{p._print(e.arg)}}}"))
