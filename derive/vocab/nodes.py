"""Matrix primitives SymPy lacks (or gets wrong), as SymPy expression classes.

SymPy's own MatMul, MatAdd, Transpose, HadamardProduct, Trace, Determinant and Inverse are
used as they are; these add NumPy broadcasting made explicit, elementwise functions of a
matrix, sums along an axis or over all entries, and softmax along an axis. Each is a node of
the computational graph with one VJP rule (derive.primitives.matrix).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str
from sympy.core.sympify import _sympify
from sympy.printing.precedence import PRECEDENCE, precedence

from derive.vocab.shapes import shape_of

U = sp.Symbol("u", real=True)  # the variable of an elementwise function


class Broadcast(sp.MatrixExpr):
    """`arg` (a scalar, or a matrix with dimensions of size 1) repeated to (rows, cols)."""

    def __new__(cls, arg, rows, cols):
        # _sympify is SymPy's strict conversion: numbers and SymPy objects only, never text
        return sp.Basic.__new__(cls, _sympify(arg), _sympify(rows), _sympify(cols))

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.args[1], self.args[2]

    @property
    def precedence(self):
        return precedence(self.arg)


class Elementwise(sp.MatrixExpr):
    """A scalar function `f(u)` applied to every entry of a matrix; `name` labels it."""

    def __new__(cls, name, function, arg):
        if not isinstance(function, sp.Lambda):
            function = sp.Lambda(U, function)
        return sp.Basic.__new__(cls, Str(str(name)), function, arg)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def function(self) -> sp.Lambda:
        return self.args[1]

    @property
    def body(self) -> sp.Basic:
        """f(u) in terms of the variable U."""
        return self.function(U)

    @property
    def arg(self):
        return self.args[2]

    @property
    def shape(self):
        return self.arg.shape

    @property
    def precedence(self):
        """How the printed function binds: as a call, or as its formula in u."""
        return PRECEDENCE["Func"] if self.name else precedence(self.body)


def elementwise_latex(printer, node: Elementwise) -> str:
    """LaTeX of `name(arg)`, or of the function's formula with the argument in place of u."""
    if node.name:
        return rf"\operatorname{{{node.name}}}\left({printer._print(node.arg)}\right)"
    inner = printer._print(node.arg)
    inner = sp.Symbol(inner if isinstance(node.arg, sp.MatrixSymbol) else rf"\left({inner}\right)")
    return printer._print(node.body.xreplace({U: inner}))


def applied_text(printer, node: Elementwise) -> str:
    """`name(arg)`, or the function's formula with the argument written in place of u."""
    inner = printer._print(node.arg)
    if node.name:
        return f"{node.name}({inner})"
    if precedence(node.arg) >= PRECEDENCE["Func"]:
        return printer._print(node.body.xreplace({U: sp.Symbol(inner)}))
    inner = f"({inner})"
    return printer._print(node.body.xreplace({U: sp.Symbol(inner)})).replace(f"({inner})", inner)


class AlongAxis(sp.MatrixExpr):
    """A function of matrix `arg` along one `axis` (0: down the columns, 1: along the rows)."""

    def __new__(cls, arg, axis):
        return sp.Basic.__new__(cls, arg, sp.Integer(axis))

    @property
    def arg(self):
        return self.args[0]

    @property
    def axis(self) -> int:
        return int(self.args[1])


class AxisSum(AlongAxis):
    """Sum along `axis` keeping it as a dimension of size 1 (NumPy's keepdims=True)."""

    @property
    def shape(self):
        rows, cols = self.arg.shape
        return (sp.Integer(1), cols) if self.axis == 0 else (rows, sp.Integer(1))


class SumAll(sp.Expr):
    """The sum of every entry of a matrix: a scalar."""

    is_commutative = True
    is_extended_real = True

    def __new__(cls, arg):
        return sp.Basic.__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]


class Softmax(AlongAxis):
    """exp(x) / sum(exp(x), axis), along `axis`."""

    @property
    def shape(self):
        return self.arg.shape


class LogSumExp(AlongAxis):
    """log(sum(exp(x), axis)) along `axis`, keeping it as a dimension of size 1."""

    @property
    def shape(self):
        return AxisSum(self.arg, self.axis).shape


def broadcast_to(expr, shape: tuple):
    """`expr` as a value of `shape`: itself when it already has it, else a Broadcast node."""
    if shape_of(expr) == tuple(shape):
        return expr
    return Broadcast(expr, *shape)
