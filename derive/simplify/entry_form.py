"""The entry algebra: a matrix formula that reduces along one axis, entry by entry.

Where every reduction runs along one axis (`mean(x, axis=0)`), each entry of a matrix
expression is a scalar expression in the entries of its matrices and in means along that axis:
each column (or row) is computed on its own. `EntryForm` turns a matrix expression into that
scalar form (SymPy can then cancel and collect it) and back; a mean is an `AxisMean`, constant
along its axis.
"""

from __future__ import annotations

import sympy as sp

from derive.simplify.matrix import scaled, split
from derive.vocab.nodes import AxisSum, Broadcast, Elementwise, SumAll, U, broadcast_to
from derive.vocab.shapes import is_matrix, shape_of


class AxisMean(sp.Function):
    """The mean along the reduced axis, in the entry algebra (constant along that axis)."""

    is_real = True

    def _sympystr(self, printer):
        return f"mean({printer._print(self.args[0])})"

    def _latex(self, printer, exp=None):
        bar = rf"\overline{{{printer._print(self.args[0])}}}"
        return bar if exp is None else rf"{bar}^{{{exp}}}"


class NotEntrywise(Exception):
    """The expression mixes axes, or uses a matrix product: it has no entry form."""


class EntryForm:
    """Matrix expressions along one reduced `axis` <-> scalar expressions in their entries."""

    upstream = sp.Symbol("dout", real=True)

    def __init__(self, axis: int, shapes: dict, definitions: dict):
        """`shapes` of the matrices, `definitions` of named intermediates (their shapes too)."""
        self.axis = axis
        self.definitions = definitions
        self.shapes = {n: tuple(s) for n, s in shapes.items()}
        for name, value in definitions.items():
            self.shapes[name] = tuple(shape_of(value)) if is_matrix(value) else ()
        full = [s for s in self.shapes.values() if len(s) == 2 and s[axis] != 1]
        self.full_shape = full[0] if full else None
        self.length = full[0][axis] if full else sp.Integer(1)
        self.symbols = {n: sp.Symbol(n, real=True) for n in self.shapes}

    # -- matrix -> entries
    def entries(self, e):
        if isinstance(e, sp.MatrixSymbol):
            return self.symbols.get(e.name, sp.Symbol(e.name, real=True))
        if not is_matrix(e):
            if e.has(SumAll) or any(is_matrix(a) for a in sp.preorder_traversal(e)
                                    if isinstance(a, sp.Basic) and a is not e):
                raise NotEntrywise
            return e
        if isinstance(e, Broadcast):
            return self.entries(e.arg)
        if isinstance(e, sp.OneMatrix):
            return sp.Integer(1)
        if isinstance(e, sp.ZeroMatrix):
            return sp.Integer(0)
        if isinstance(e, sp.MatAdd):
            return sp.Add(*map(self.entries, e.args))
        if isinstance(e, sp.HadamardProduct):
            return sp.Mul(*map(self.entries, e.args))
        if isinstance(e, sp.MatMul) and sum(is_matrix(a) for a in e.args) == 1:
            return sp.Mul(*map(self.entries, e.args))
        if isinstance(e, Elementwise):
            return e.body.xreplace({U: self.entries(e.arg)})
        if isinstance(e, AxisSum) and e.axis == self.axis:
            return self.length * AxisMean(self.entries(e.arg))
        raise NotEntrywise

    def varies(self, e) -> bool:
        """Whether `e` changes along the reduced axis (outside a mean)."""
        if isinstance(e, AxisMean):
            return False
        if isinstance(e, sp.Symbol):
            shape = self.shapes.get(e.name, ())
            return len(shape) == 2 and shape[self.axis] != 1
        return any(self.varies(a) for a in e.args)

    def matrix(self, e):
        if isinstance(e, sp.Symbol) and len(self.shapes.get(e.name, ())) == 2:
            return sp.MatrixSymbol(e.name, *self.shapes[e.name])
        if isinstance(e, AxisMean):
            inner = self.matrix(e.args[0])
            inner = broadcast_to(inner, self._widest([inner], full=True))
            return scaled(1 / self.length, AxisSum(inner, self.axis))
        parts = [self.matrix(a) for a in e.args]
        if not any(is_matrix(p) for p in parts):
            return e
        shape = self._widest(parts)
        if isinstance(e, sp.Add):
            return sp.MatAdd(*[broadcast_to(p, shape) for p in parts])
        if isinstance(e, sp.Mul):
            numbers = [p for p in parts if not is_matrix(p)]
            cancels = sp.Mul(*numbers).has(self.length)
            matrices = []
            for part in (p for p in parts if is_matrix(p)):
                if cancels:  # the 1/N of a mean meets the N beside it
                    coefficient, part = split(part)
                    numbers.append(coefficient)
                matrices.append(broadcast_to(part, shape))
            product = matrices[0] if len(matrices) == 1 else sp.HadamardProduct(*matrices)
            return scaled(sp.Mul(*numbers), product)
        matrices = [p for p in parts if is_matrix(p)]
        if len(matrices) != 1 or not isinstance(e, (sp.Pow, sp.Function)):
            raise NotEntrywise  # a Piecewise, or a function of two matrices
        body = e.func(*[U if is_matrix(p) else p for p in parts])
        return Elementwise("", body, matrices[0])

    def _widest(self, parts, full=False) -> tuple:
        shapes = [tuple(p.shape) for p in parts if is_matrix(p)]
        full_shape = next((s for s in self.shapes.values()
                           if len(s) == 2 and s[self.axis] != 1), None)
        if full and full_shape:
            return full_shape
        widest = list(shapes[0])
        for shape in shapes[1:]:
            widest = [b if a == 1 else a for a, b in zip(widest, shape)]
        return tuple(widest)

