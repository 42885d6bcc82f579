"""Readable formula text for matrix expressions, in derive's formula syntax.

SymPy's str() writes the matrix product as `*` (the same as elementwise); here it is `@`,
elementwise is `*`, and trace/det/inv/eye/ones are written as in a formula.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from derive.matrix.shapes import is_matrix


class MatrixTextPrinter(StrPrinter):
    """StrPrinter with NumPy-style matrix operators."""

    def _print_MatMul(self, expr):
        scalars = [a for a in expr.args if not is_matrix(a)]
        matrices = [a for a in expr.args if is_matrix(a)]
        parts = [self.parenthesize(m, PRECEDENCE["Mul"]) for m in matrices]
        product = " @ ".join(parts)
        if not scalars:
            return product
        coefficient = sp.Mul(*scalars)
        mean = _as_mean(coefficient, matrices)
        if mean is not None:
            sign, summed = mean
            return f"{sign}mean({self._print(summed.arg)}, axis={summed.axis})"
        if coefficient == -1:
            if len(matrices) == 1:
                return "-" + self.parenthesize(matrices[0], PRECEDENCE["Mul"], strict=True)
            return "-" + product
        text = self.parenthesize(coefficient, PRECEDENCE["Mul"], strict=True)
        return f"{text}*{product}"

    def _print_HadamardProduct(self, expr):
        return "*".join(self._print(a) if _is_plain_mean(a) else
                        self.parenthesize(a, PRECEDENCE["Mul"])
                        for a in implicit_broadcasts(expr.args))

    def _print_MatAdd(self, expr):
        text = ""
        parts = [self._print(term) for term in implicit_broadcasts(expr.args)]
        parts.sort(key=lambda part: part.startswith("-"))
        for index, part in enumerate(parts):
            if index and part.startswith("-"):
                text += " - " + part[1:]
            elif index:
                text += " + " + part
            else:
                text = part
        return text

    def _print_Transpose(self, expr):
        return self.parenthesize(expr.arg, PRECEDENCE["Atom"], strict=True) + ".T"

    def _print_Inverse(self, expr):
        return f"inv({self._print(expr.arg)})"

    def _print_Determinant(self, expr):
        return f"det({self._print(expr.arg)})"

    def _print_Trace(self, expr):
        return f"trace({self._print(expr.arg)})"

    def _print_Identity(self, expr):
        return f"eye({self._print(expr.rows)})"

    def _print_OneMatrix(self, expr):
        return f"ones({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_ZeroMatrix(self, expr):
        return f"zeros({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_Piecewise(self, expr):
        *pieces, (last, condition) = expr.args
        if condition != True:
            return super()._print_Piecewise(expr)
        text = self._print(last)
        for value, condition in reversed(pieces):
            text = f"where({self._print(condition)}, {self._print(value)}, {text})"
        return text

    def _print_MatPow(self, expr):
        return " @ ".join([self.parenthesize(expr.base, PRECEDENCE["Mul"])] * int(expr.exp))


def _as_mean(coefficient, matrices):
    """("" or "-", the AxisSum) for ±1/n * sum(a, axis) where n is a's size along axis."""
    from derive.matrix.nodes import AxisSum

    if len(matrices) != 1 or not isinstance(matrices[0], AxisSum):
        return None
    summed = matrices[0]
    length = summed.arg.shape[summed.axis]
    if coefficient == 1 / length:
        return "", summed
    if coefficient == -1 / length:
        return "-", summed
    return None


def _is_plain_mean(expr) -> bool:
    """mean(a, axis=k) printed as a call: a factor that needs no parentheses."""
    if not isinstance(expr, sp.MatMul):
        return False
    scalars = [a for a in expr.args if not is_matrix(a)]
    mean = _as_mean(sp.Mul(*scalars), [a for a in expr.args if is_matrix(a)])
    return mean is not None and mean[0] == ""


def implicit_broadcasts(args):
    """Operands of an elementwise operation with broadcasts left implicit (as NumPy does),
    unless every operand is a broadcast (then the result's shape would be lost)."""
    from derive.matrix.nodes import Broadcast

    if all(isinstance(a, Broadcast) for a in args):
        return args
    return [a.arg if isinstance(a, Broadcast) else a for a in args]


def matrix_text(expr) -> str:
    """`expr` in formula syntax (`@` for the matrix product)."""
    return MatrixTextPrinter().doprint(expr)
