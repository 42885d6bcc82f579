"""The NumPy printer for generated code: SymPy's, plus derive's own functions.

Custom printing lives here as `_print_X` methods, only where SymPy's printer differs from
what the generated code needs.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE


class DerivePrinter(NumPyPrinter):
    """Prints expressions as NumPy code using the module name `numpy`.

    Matrix expressions (derive.matrix) print as NumPy array code; the `dimensions` setting maps
    each symbolic dimension to code reading it from an argument (`X.shape[0]`), so no
    symbolic dimension is left in generated code.
    """

    _default_settings: ClassVar[dict] = {**NumPyPrinter._default_settings, "dimensions": {}}

    def __init__(self, settings=None):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False,
                          **(settings or {})})

    def _print_erf(self, expr):
        return f"scipy.special.erf({self._print(expr.args[0])})"

    def _print_erfc(self, expr):
        return f"scipy.special.erfc({self._print(expr.args[0])})"

    def _print_ArraySum(self, expr):
        return f"numpy.sum({self._print(expr.args[0])})"

    def _print_ArraySize(self, expr):
        return f"numpy.size({self._print(expr.args[0])})"

    def _print_Softplus(self, expr):
        return f"numpy.logaddexp(0, {self._print(expr.args[0])})"

    def _print_Heaviside(self, expr):
        at_zero = self._print(expr.args[1]) if len(expr.args) > 1 else "0"
        return f"numpy.heaviside({self._print(expr.args[0])}, {at_zero})"

    def _print_Piecewise(self, expr):
        *pieces, (last_value, last_cond) = expr.args
        if last_cond != True:  # SymPy's true is compared by value
            return super()._print_Piecewise(expr)
        code = self._print(last_value)
        for value, cond in reversed(pieces):
            code = f"numpy.where({self._print(cond)}, {self._print(value)}, {code})"
        return code

    def _print_Max(self, expr):
        return self._fold("numpy.maximum", expr.args)

    def _print_Min(self, expr):
        return self._fold("numpy.minimum", expr.args)

    def _fold(self, function, args):
        code = self._print(args[0])
        for arg in args[1:]:
            code = f"{function}({code}, {self._print(arg)})"
        return code

    def _print_sign(self, expr):
        return f"numpy.sign({self._print(expr.args[0])})"


    # --- matrices (derive.matrix) ---
    def _print_MatrixDimension(self, expr):
        code = self._settings["dimensions"].get(expr)
        if code is None:
            raise ValueError(f"dimension {expr} is not the dimension of any argument")
        return code

    def _shape(self, expr):
        return "(" + ", ".join(self._print(d) for d in expr.shape) + ")"

    def _operand(self, expr):
        return self.parenthesize(expr, PRECEDENCE["Mul"], strict=False)

    def _print_MatMul(self, expr):
        from derive.vocab.shapes import is_matrix

        negated = [a for a in expr.args if not is_matrix(a)] == [-1]
        scalars = [self._operand(a) for a in expr.args if not is_matrix(a) and not negated]
        matrices = [self._operand(a) for a in expr.args if is_matrix(a)]
        code = " @ ".join(matrices)
        if negated:  # -A @ B, not (-1)*(A @ B)
            return f"-({code})" if len(matrices) > 1 else f"-{code}"
        return "*".join(scalars + [f"({code})" if len(matrices) > 1 and scalars else code])

    def _print_MatAdd(self, expr):
        from derive.printers.text import implicit_broadcasts

        return " + ".join(self._print(a) for a in implicit_broadcasts(expr.args))

    def _print_HadamardProduct(self, expr):
        from derive.printers.text import implicit_broadcasts

        return "*".join(self._operand(a) for a in implicit_broadcasts(expr.args))

    def _print_HadamardPower(self, expr):
        return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'], strict=True)}**" \
               f"{self.parenthesize(expr.exp, PRECEDENCE['Pow'], strict=True)}"

    def _print_Transpose(self, expr):
        return f"numpy.transpose({self._print(expr.arg)})"

    def _print_Trace(self, expr):
        return f"numpy.trace({self._print(expr.arg)})"

    def _print_Determinant(self, expr):
        return f"numpy.linalg.det({self._print(expr.arg)})"

    def _print_Inverse(self, expr):
        return f"numpy.linalg.inv({self._print(expr.arg)})"

    def _print_MatPow(self, expr):
        return f"numpy.linalg.matrix_power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_Identity(self, expr):
        return f"numpy.eye({self._print(expr.rows)})"

    def _print_OneMatrix(self, expr):
        return f"numpy.ones({self._shape(expr)})"

    def _print_ZeroMatrix(self, expr):
        return f"numpy.zeros({self._shape(expr)})"

    def _print_Broadcast(self, expr):
        return f"numpy.broadcast_to({self._print(expr.arg)}, {self._shape(expr)})"

    def _print_AxisSum(self, expr):
        return f"numpy.sum({self._print(expr.arg)}, axis={expr.axis}, keepdims=True)"

    def _print_SumAll(self, expr):
        return f"numpy.sum({self._print(expr.arg)})"

    def _print_Softmax(self, expr):
        return f"scipy.special.softmax({self._print(expr.arg)}, axis={expr.axis})"

    def _print_LogSumExp(self, expr):
        return (f"scipy.special.logsumexp({self._print(expr.arg)}, axis={expr.axis}, "
                "keepdims=True)")

    def _print_Elementwise(self, expr):
        from derive.vocab.nodes import Softmax, U

        arg = expr.arg
        if expr.body == sp.log(U) and isinstance(arg, Softmax):  # log-softmax, stably
            return f"scipy.special.log_softmax({self._print(arg.arg)}, axis={arg.axis})"
        if isinstance(arg, sp.MatrixSymbol):  # a name needs no parentheses
            return self._print(expr.body.xreplace({U: _Code(self._print(arg))}))
        code = f"({self._print(arg)})"
        return self._print(expr.body.xreplace({U: _Code(code)})).replace(f"({code})", code)

    def _print__Code(self, expr):
        return expr.name


class _Code(sp.Symbol):
    """Already printed code standing in for an argument."""


def print_code(expr) -> str:
    return DerivePrinter().doprint(expr)
