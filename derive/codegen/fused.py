"""An optional fused backend: the elementwise backward evaluated by numexpr in one pass.

NumPy evaluates `dout*out*(1 - out)` one operation at a time, each writing a temporary array
of the full size; numexpr compiles the same expression and evaluates it in cache-sized blocks
on all cores, with no temporaries. `numexpr_backward(derivation)` returns a function with the
contract of the generated `backward(dout, **values)`, printed from the same gradient
expressions (the saved form when the saved values are passed), in the same overflow-free
branches as the NumPy code (derive.stable). It is used only when asked for
(`Derivation.functions(backend="numexpr")`) and needs the optional extra `derive[fused]`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from derive.codegen.source import UNBROADCAST_SOURCE
from derive.codegen.stable import exp_branches, stable_body
from derive.errors import DeriveError
from derive.printers.code import load_source as load_functions

# SymPy function -> numexpr function of the same name and meaning
NUMEXPR_FUNCTIONS = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
    sp.asin: "arcsin", sp.acos: "arccos", sp.atan: "arctan", sp.sinh: "sinh", sp.cosh: "cosh",
    sp.tanh: "tanh", sp.asinh: "arcsinh", sp.acosh: "arccosh", sp.atanh: "arctanh",
    sp.Abs: "abs",
}


class NotFusable(DeriveError):
    """The expression uses something numexpr cannot evaluate (named in the message)."""


class NumexprPrinter(StrPrinter):
    """Prints an elementwise SymPy expression in numexpr's syntax; raises NotFusable for
    anything numexpr lacks, never guesses."""

    printmethod = "_numexprstr"  # not the _sympystr of derive's own functions

    def __init__(self, sizes: dict):
        super().__init__({"full_prec": True})
        self.sizes = sizes  # ArraySize(e) -> the variable name holding its value

    def _print_Function(self, expr):
        name = NUMEXPR_FUNCTIONS.get(expr.func)
        if name is None:
            raise NotFusable(f"numexpr has no '{expr.func.__name__}' (in {expr})")
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    _print_Abs = _print_exp = _print_log = _print_Function

    def _print_ArraySize(self, expr):
        return self.sizes.setdefault(expr, f"_size{len(self.sizes)}")

    def _print_Softplus(self, expr):
        u = self._print(expr.args[0])
        return f"where(({u}) > 0, ({u}) + log1p(exp(-({u}))), log1p(exp({u})))"

    def _print_sign(self, expr):
        u = self._print(expr.args[0])
        return f"where(({u}) > 0, 1.0, where(({u}) < 0, -1.0, 0.0))"

    def _print_Piecewise(self, expr):
        *pieces, (last, last_cond) = expr.args
        if last_cond != sp.true:
            raise NotFusable(f"a piecewise expression without an 'otherwise' piece: {expr}")
        text = f"({self._print(last)})"
        for value, cond in reversed(pieces):
            text = f"where({self._print(cond)}, {self._print(value)}, {text})"
        return text

    def _print_Relational(self, expr):
        return f"(({self._print(expr.lhs)}) {expr.rel_op} ({self._print(expr.rhs)}))"

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_NumberSymbol

    def _print_Symbol(self, expr):
        return expr.name

    def emptyPrinter(self, expr):
        raise NotFusable(f"numexpr cannot evaluate {type(expr).__name__} ({expr})")


def numexpr_source(expr: sp.Basic, sizes: dict) -> str:
    """`expr` as one numexpr expression, in overflow-free branches where it is rational in
    one exp(u) (as derive.stable does for the NumPy code)."""
    printer = NumexprPrinter(sizes)
    expr = stable_body(expr)
    branches = exp_branches(expr, "n") if isinstance(expr, sp.Expr) else None
    if branches is None:
        return printer.doprint(expr)
    u = branches.u
    small = branches.small_side.xreplace({branches.e_symbol: sp.exp(u)})
    large = branches.large_side.xreplace({branches.f_symbol: sp.exp(-u)})
    return (f"where(({printer.doprint(u)}) <= 0, {printer.doprint(small)}, "
            f"{printer.doprint(large)})")


def numexpr_backward(derivation):
    """`backward(dout, **values)` of an elementwise derivation, evaluated by numexpr.

    DeriveError when numexpr is not installed, the derivation is a matrix one, or a gradient
    uses a function numexpr lacks (NotFusable, naming it)."""
    try:
        import numexpr
    except ImportError:
        raise DeriveError("the numexpr backend needs numexpr: pip install 'derive[fused]'") \
            from None
    if derivation.shapes:
        raise NotFusable(f"{derivation.name}: the numexpr backend is for elementwise operators; "
                         "matrix operators use the NumPy backend")
    sizes: dict = {}
    plain = {n: numexpr_source(derivation.gradients[n], sizes) for n in derivation.inputs}
    saved = {n: numexpr_source(derivation.backward_form(n), sizes)
             for n in derivation.inputs if derivation.backward_form(n) is not None}
    size_inputs = {name: sorted(str(s) for s in expr.free_symbols) for expr, name in sizes.items()}
    unbroadcast = load_functions(f"import numpy\n{UNBROADCAST_SOURCE}",
                                 "unbroadcast")["_unbroadcast"]
    saved_names = derivation.saved_names

    def backward(dout, **values):
        given = {k: v for k, v in values.items() if v is not None}
        use_saved = bool(saved_names) and all(n in given for n in saved_names)
        local = {"dout": dout, **given}
        for name, symbols in size_inputs.items():
            if not set(symbols) <= set(local):  # a size in saved values that were not given
                continue
            local[name] = float(np.prod(np.broadcast_shapes(
                *(np.shape(local[s]) for s in symbols))))
        grads = {}
        for name in derivation.inputs:
            source = saved[name] if use_saved and name in saved else plain[name]
            grads[name] = unbroadcast(numexpr.evaluate(source, local_dict=local), values[name])
        return grads

    return backward


__all__ = ["NotFusable", "numexpr_backward", "numexpr_source"]
