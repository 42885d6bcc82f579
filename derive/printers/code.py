"""The NumPy printer for generated code: SymPy's, plus what derive's code needs.

Each primitive's own printing is declared with its registry entry (derive.primitives),
which installs it here as a `_print_X` method; this class holds what is not a node of the
graph: symbolic dimensions, constant matrices, the stable forms' Softplus, sizes of arrays.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

HEADER = "import math\nimport numpy\nimport scipy.special\n\n\n"


class DerivePrinter(NumPyPrinter):
    """Prints expressions as NumPy code using the module name `numpy`.

    The `dimensions` setting maps each symbolic matrix dimension to code reading it from an
    argument (`X.shape[0]`), so no symbolic dimension is left in generated code.
    """

    _default_settings: ClassVar[dict] = {**NumPyPrinter._default_settings, "dimensions": {}}

    def __init__(self, settings=None):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False,
                          **(settings or {})})

    def _print_erfc(self, expr):
        return f"scipy.special.erfc({self._print(expr.args[0])})"

    def _print_ArraySize(self, expr):
        return f"numpy.size({self._print(expr.args[0])})"

    def _print_Softplus(self, expr):
        return f"numpy.logaddexp(0, {self._print(expr.args[0])})"

    def _print_MatrixDimension(self, expr):
        code = self._settings["dimensions"].get(expr)
        if code is None:
            raise ValueError(f"dimension {expr} is not the dimension of any argument")
        return code

    def _shape(self, expr):
        return "(" + ", ".join(self._print(d) for d in expr.shape) + ")"

    def _operand(self, expr):
        return self.parenthesize(expr, PRECEDENCE["Mul"], strict=False)

    def _print_MatPow(self, expr):
        return f"numpy.linalg.matrix_power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_Identity(self, expr):
        return f"numpy.eye({self._print(expr.rows)})"

    def _print_OneMatrix(self, expr):
        return f"numpy.ones({self._shape(expr)})"

    def _print_ZeroMatrix(self, expr):
        return f"numpy.zeros({self._shape(expr)})"

    def _print_CodeText(self, expr):
        return expr.name


class CodeText(sp.Symbol):
    """Already printed code standing in for an argument."""


def load_source(source: str, name: str) -> dict:
    """Execute generated source (never user text: it is printed from SymPy objects)."""
    namespace: dict = {"__name__": f"derive_generated_{name}"}
    exec(compile(source, f"<derive:{name}>", "exec"), namespace)  # noqa: S102
    return namespace


def numpy_function(expr: sp.Basic, names: list[str], label: str = "expression"):
    """A plain NumPy function of `names` evaluating `expr` (no rewriting: for probes)."""
    source = f"{HEADER}def {label}({', '.join(names)}):\n    return {DerivePrinter().doprint(expr)}\n"
    return load_source(source, label)[label]
