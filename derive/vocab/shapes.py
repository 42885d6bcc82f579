"""Shapes of matrix formulas: dimension symbols, declared matrices, and shape rules.

A dimension is a number or a `MatrixDimension` symbol (n, N, n_in ...). Dimensions are not variables
of the formula: the graph never makes a node of them, and generated code reads them from the
arrays (`X.shape[0]`). A shape of one dimension (n,) is a column vector (n, 1).
"""

from __future__ import annotations

import sympy as sp

from derive.vocab.functions import ArraySize


class MatrixDimension(sp.Symbol):
    """A symbolic matrix dimension (a positive integer)."""

    is_dimension = True

    def __new__(cls, name):
        return super().__new__(cls, name, integer=True, positive=True)

    def __getnewargs_ex__(self):
        # pickling (the derivation cache) must call __new__(name) without the assumptions
        return (self.name,), {}


def dimension(value) -> sp.Basic:
    """A declared dimension (int or name) as a SymPy object."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, int) or str(value).isdigit():
        return sp.Integer(int(value))
    return MatrixDimension(str(value))


def matrix_symbol(name: str, dims) -> sp.MatrixSymbol:
    """The MatrixSymbol a declared name stands for; (n,) is the column vector (n, 1)."""
    dims = tuple(dims)
    if len(dims) == 1:
        dims = (dims[0], 1)
    return sp.MatrixSymbol(name, *(dimension(d) for d in dims))


def is_matrix(expr) -> bool:
    return isinstance(expr, sp.MatrixExpr) or getattr(expr, "is_Matrix", False)


def is_variable(expr: sp.Basic) -> bool:
    """True for a subexpression that depends on the formula's names (and so is a node)."""
    if isinstance(expr, ArraySize) or getattr(expr, "is_dimension", False):
        return False
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return True
    names = [s for s in expr.free_symbols if not getattr(s, "is_dimension", False)]
    return bool(names) and not expr.is_number


def shape_of(expr) -> tuple:
    """(rows, cols) of a matrix expression, () for a scalar."""
    return tuple(expr.shape) if is_matrix(expr) else ()


def shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")" if shape else "scalar"


def broadcast_shape(a: tuple, b: tuple):
    """NumPy's broadcast of two shapes (equal dims, or one of them 1); None if incompatible."""
    if not a or not b:
        return a or b
    result = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            result.append(x)
        elif x == 1:
            result.append(y)
        else:
            return None
    return tuple(result)


def dimension_symbols(shapes: dict) -> set:
    return {d for dims in shapes.values() for d in (dimension(v) for v in dims)
            if isinstance(d, MatrixDimension)}
