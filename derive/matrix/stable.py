"""Elementwise parts of matrix code, computed once each and in overflow-free forms.

Every elementwise function of a matrix in the expressions to print becomes a local array
(`_e0 = ...`), innermost first, so a shared part such as sigmoid(W @ X + b) is computed once.
Where the scalar engine's stable rewrites apply to the function (derive.stable: log(1 + exp(u))
as softplus, rational functions of exp(u) in two branches), the argument is computed first
(`_a0 = W @ X + b`) and the function is evaluated through the scalar code generator, which
applies them; other functions are printed as they are (so log(softmax) stays log_softmax).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str

from derive.codegen import _body as scalar_code_lines
from derive.matrix.nodes import Elementwise, U
from derive.stable import exp_branches, softplus_form


def hoisted(exprs: list, printer) -> tuple[list[str], list]:
    """(assignment lines, `exprs` with each elementwise function replaced by its local)."""
    locals_: dict = {}
    lines: list[str] = []

    def visit(e):
        if not isinstance(e, sp.Basic) or not e.args or isinstance(e, (Str, sp.Lambda)):
            return e
        args = [visit(a) for a in e.args]
        rebuilt = e if args == list(e.args) else e.func(*args)
        if not isinstance(rebuilt, Elementwise):
            return rebuilt
        if rebuilt not in locals_:
            local = sp.MatrixSymbol(f"_e{len(locals_)}", *rebuilt.shape)
            lines.extend(_elementwise_lines(str(local), len(locals_), rebuilt, printer))
            locals_[rebuilt] = local
        return locals_[rebuilt]

    return lines, [visit(e) for e in exprs]


def needs_stable_form(body: sp.Basic) -> bool:
    """Whether the scalar engine evaluates f(u) in a rewritten, overflow-free form."""
    return softplus_form(body) != body or exp_branches(body, "") is not None


def _elementwise_lines(target: str, index: int, node: Elementwise, printer) -> list[str]:
    if not needs_stable_form(node.body):
        return [f"{target} = {printer.doprint(node)}"]
    argument = f"_a{index}"
    lines, (result,) = scalar_code_lines([node.body.xreplace({U: sp.Symbol(argument, real=True)})],
                                         printer)
    return [f"{argument} = {printer.doprint(node.arg)}", *lines, f"{target} = {result}"]
