"""Readable formula text, in derive's formula syntax (derive reads it back).

SymPy's str() writes the matrix product as `*` (the same as elementwise); here it is `@`,
elementwise is `*`, and trace/det/inv/eye/ones are written as in a formula.
"""

from __future__ import annotations

from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from derive.vocab.nodes import Broadcast


class TextPrinter(StrPrinter):
    """StrPrinter with NumPy-style matrix operators; each primitive's own text is declared
    with its registry entry (derive.primitives), which installs it here."""

    def _print_Identity(self, expr):
        return f"eye({self._print(expr.rows)})"

    def _print_OneMatrix(self, expr):
        return f"ones({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_ZeroMatrix(self, expr):
        return f"zeros({self._print(expr.rows)}, {self._print(expr.cols)})"

    def _print_MatPow(self, expr):
        return " @ ".join([self.parenthesize(expr.base, PRECEDENCE["Mul"])] * int(expr.exp))


def implicit_broadcasts(args):
    """Operands of an elementwise operation with broadcasts left implicit (as NumPy does),
    unless every operand is a broadcast (then the result's shape would be lost)."""
    if all(isinstance(a, Broadcast) for a in args):
        return args
    return [a.arg if isinstance(a, Broadcast) else a for a in args]


def formula_text(expr) -> str:
    """`expr` in derive's formula syntax (`@` for the matrix product, `*` elementwise)."""
    return TextPrinter().doprint(expr)
