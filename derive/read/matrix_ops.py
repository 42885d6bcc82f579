"""Parser hooks: the matrix meaning of operators and functions in a formula.

`binary` and `call` receive already-built operands (MatrixSymbols, matrix expressions or
scalars) and a `fail(message)` callback that raises the parser's DeriveError.
"""

from __future__ import annotations

import sympy as sp

from derive.primitives import FUNCTIONS
from derive.vocab.nodes import AxisSum, Elementwise, LogSumExp, Softmax, SumAll, U, broadcast_to
from derive.vocab.shapes import broadcast_shape, is_matrix, shape_of, shape_text

ELEMENTWISE_ONLY_SCALAR = ("where", "max", "min")
AXIS_FUNCTIONS = ("sum", "mean", "softmax", "logsumexp")
MATRIX_FUNCTIONS = ("trace", "det", "inv", "softmax", "logsumexp")


def text(expr) -> str:
    from derive.printers.text import formula_text

    return formula_text(expr)


def binary(op: str, left, right, fail):
    """left <op> right where at least one side is a matrix."""
    if op == "@":
        return matmul(left, right, fail)
    if op == "**":
        if is_matrix(right):
            fail(f"'{text(left)} ** {text(right)}': a matrix exponent is not supported "
                 "(use exp and log elementwise, or a scalar exponent)")
        return Elementwise("", U ** right, left)
    shape = broadcast_shape(shape_of(left), shape_of(right))
    if shape is None:
        fail(f"'{text(left)} {op} {text(right)}': shapes {shape_text(shape_of(left))} and "
             f"{shape_text(shape_of(right))} cannot be broadcast together (NumPy rules: each "
             "dimension equal, or 1)")
    if op in "+-":
        other = right if op == "+" else sp.MatMul(-1, right) if is_matrix(right) else -right
        return sp.MatAdd(broadcast_to(left, shape), broadcast_to(other, shape))
    if op == "*":
        if not is_matrix(left):
            return right if left == 1 else sp.MatMul(left, right)
        if not is_matrix(right):
            return left if right == 1 else sp.MatMul(right, left)
        return sp.HadamardProduct(broadcast_to(left, shape), broadcast_to(right, shape))
    if op == "/":
        if not is_matrix(right):
            return left if right == 1 else sp.MatMul(1 / right, left)
        reciprocal = Elementwise("", 1 / U, right)
        if not is_matrix(left):
            reciprocal = broadcast_to(reciprocal, shape)
            return reciprocal if left == 1 else sp.MatMul(left, reciprocal)
        return sp.HadamardProduct(broadcast_to(left, shape), broadcast_to(reciprocal, shape))
    fail(f"operator '{op}' is not supported between matrices")


def matmul(left, right, fail):
    """The matrix product, refusing scalars and shapes that do not fit."""
    for side in (left, right):
        if not is_matrix(side):
            fail(f"'{text(left)} @ {text(right)}': '{text(side)}' is not a declared matrix; "
                 "declare its shape with --shape NAME=D1,D2")
    if left.shape[1] != right.shape[0]:
        fail(f"'{text(left)} @ {text(right)}': shapes {shape_text(left.shape)} and "
             f"{shape_text(right.shape)} do not fit (the columns of the left, {left.shape[1]}, "
             f"must equal the rows of the right, {right.shape[0]})")
    return sp.MatMul(left, right)


def call(name: str, args: list, kwargs: dict, fail):
    """A function applied to matrix arguments (or a matrix-only function)."""
    unknown = set(kwargs) - ({"axis"} if name in AXIS_FUNCTIONS else set())
    if unknown:
        fail(f"'{name}' takes no keyword argument '{min(unknown)}'"
             + (" (only axis=0 or axis=1)" if name in AXIS_FUNCTIONS else ""))
    axis = kwargs.get("axis")
    if axis is not None and (isinstance(axis, bool) or axis not in (0, 1, -1, -2)):
        fail(f"'{name}': axis must be 0 or 1 (a matrix has two axes), got {axis!r}")
    if axis is not None:
        axis %= 2
    if name in ELEMENTWISE_ONLY_SCALAR or name not in (*FUNCTIONS, *MATRIX_FUNCTIONS):
        fail(f"'{name}' of a matrix is not supported (supported: elementwise functions of one "
             "argument such as exp, log, tanh, sigmoid, relu; sum, mean, softmax, logsumexp, "
             "trace, det, inv)")
    if len(args) != 1:
        fail(f"'{name}' of a matrix takes one argument, got {len(args)}")
    (arg,) = args
    if not is_matrix(arg):
        fail(f"'{name}' needs a matrix argument: declare the shape of '{text(arg)}' with "
             "--shape NAME=D1,D2")
    if name in ("trace", "det", "inv"):
        rows, cols = arg.shape
        if rows != cols:
            fail(f"'{name}({text(arg)})' needs a square matrix, got shape {shape_text(arg.shape)}")
        return {"trace": sp.Trace, "det": sp.Determinant, "inv": sp.Inverse}[name](arg)
    if name == "softmax":
        return Softmax(arg, 0 if axis is None else axis)
    if name == "logsumexp":
        return LogSumExp(arg, 0 if axis is None else axis)
    if name == "sum":
        return SumAll(arg) if axis is None else AxisSum(arg, axis)
    if name == "mean":
        if axis is None:
            return SumAll(arg) / (arg.shape[0] * arg.shape[1])
        return sp.MatMul(1 / arg.shape[axis], AxisSum(arg, axis))
    _, builder = FUNCTIONS[name]
    return Elementwise(name, builder(U), arg)
