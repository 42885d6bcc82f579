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

from derive.vocab.functions import ArraySum

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

    def _print_Mul(self, expr):
        # fold a minus sign into a difference: -dout*out*(out - 1) → dout*out*(1 - out), one
        # array pass less (a negation costs a pass over memory like any other operation)
        coeff, factors = folded_sign(*expr.as_coeff_mul())
        if any(f.is_Pow and f.exp.is_negative for f in factors):
            rebuilt = sp.Mul(*([] if coeff == 1 else [coeff]), *factors, evaluate=False)
            return super()._print_Mul(rebuilt)
        # compound factors first: (1 - out)*dout*out makes one temporary array that NumPy then
        # multiplies in place, where dout*out*(1 - out) allocates two (a fresh 8 MB array per
        # 10⁶ floats costs about as much as a pass)
        ordered = sorted(factors, key=lambda f: isinstance(f, sp.Symbol))
        text = "*".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in ordered)
        if coeff in (1, -1):
            return text if coeff == 1 else f"-{text}"
        return f"{self.parenthesize(coeff, PRECEDENCE['Mul'], strict=False)}*{text}"

    def _print_Add(self, expr, order=None):
        # a difference starts with a term that is not negated: 1 - out, not -out + 1
        terms = self._as_ordered_terms(expr, order=order)
        if _is_negated(terms[0]) and not all(_is_negated(t) for t in terms):
            first = next(t for t in terms if not _is_negated(t))
            terms = [first, *(t for t in terms if t is not first)]
        text = self._print(terms[0])
        for term in terms[1:]:
            if _is_negated(term):
                text += " - " + self.parenthesize(-term, PRECEDENCE["Add"], strict=True)
            else:
                text += " + " + self.parenthesize(term, PRECEDENCE["Add"], strict=False)
        return text

    def _print_erfc(self, expr):
        return f"scipy.special.erfc({self._print(expr.args[0])})"

    def _print_ArraySize(self, expr):
        # the size of an elementwise expression is its arguments' broadcast size: nothing
        # is computed (size((x - t)**2) is not worth a pass over memory)
        arg = expr.args[0]
        names = sorted(arg.free_symbols, key=str)
        if isinstance(arg, sp.Symbol) or arg.has(ArraySum) or not names or any(
                getattr(n, "is_Matrix", False) for n in names):
            return f"numpy.size({self._print(arg)})"
        if len(names) == 1:
            return f"numpy.size({self._print(names[0])})"
        return f"numpy.broadcast({', '.join(self._print(n) for n in names)}).size"

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


def _is_negated(term) -> bool:
    return term.could_extract_minus_sign()


def folded_sign(coeff, factors: tuple) -> tuple:
    """(coeff, factors) of a product with a negative coefficient folded into its first
    difference that has at least as many negated terms as others: −a·(s − 1) is a·(1 − s)."""
    if not coeff.is_negative:
        return coeff, factors
    for i, factor in enumerate(factors):
        if isinstance(factor, sp.Add) and 2 * sum(map(_is_negated, factor.args)) >= len(
                factor.args):
            flipped = sp.Add(*[-t for t in factor.args])
            return -coeff, (*factors[:i], flipped, *factors[i + 1:])
    return coeff, factors


def fold_signs(expr: sp.Basic) -> sp.Basic:
    """Every product in `expr` with its minus sign folded into a difference (folded_sign),
    so that the code needs no negation pass."""
    def fold(e):
        coeff, factors = folded_sign(*e.as_coeff_mul())
        return sp.Mul(coeff, *factors)

    return expr.replace(lambda e: isinstance(e, sp.Mul) and folded_sign(
        *e.as_coeff_mul())[0] != e.as_coeff_mul()[0], fold)


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
