"""The NumPy printer for generated code: SymPy's, plus derive's own functions.

Custom printing lives here as `_print_X` methods, only where SymPy's printer differs from
what the generated code needs.
"""

from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter


class DerivePrinter(NumPyPrinter):
    """Prints expressions as NumPy code using the module name `numpy`."""

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
        if last_cond != True:  # noqa: E712 - SymPy's true is compared by value
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


def print_code(expr) -> str:
    return DerivePrinter().doprint(expr)
