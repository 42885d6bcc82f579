"""Elementwise parts of matrix code, computed once each and in overflow-free forms.

A part of an expression that is elementwise in one matrix A (nested functions, ⊙, + and numeric
factors over A: log(sigmoid(A)), A ⊙ sigmoid(A), log(1 + exp(A))) is fused into one scalar
function f(u) of A, as the scalar engine sees a formula, and becomes a local array
(`_e0 = ...`), computed once however often it occurs. Where the scalar engine's stable
rewrites apply to f (derive.codegen.stable: log(1 + exp(u)) as softplus, rational functions of exp(u)
in two branches), A is computed first (`_a0 = W @ X + b`) and f is evaluated through the scalar
code generator, which applies them; a log of exponentials is first split into logs of positive
factors, so that log(sigmoid(u)) becomes −softplus(−u). Other functions are printed as they
are (so log(softmax) stays log_softmax).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str

from derive.codegen.stable import exp_branches, stable_body, stable_lines
from derive.simplify.elementwise import CONSTANT, elementwise_in_one_matrix, grouped_by_matrix
from derive.vocab.nodes import Elementwise, U


def hoisted(exprs: list, printer) -> tuple[list[str], list]:
    """(assignment lines, `exprs` with each elementwise part replaced by its local)."""
    locals_: dict = {}
    arguments: dict = {}
    lines: list[str] = []

    def visit(e):
        if not isinstance(e, sp.Basic) or not e.args or isinstance(e, (Str, sp.Lambda)):
            return e
        fused = elementwise_in_one_matrix(e) if e.has(Elementwise) else None
        if fused is None or fused[0] is CONSTANT or fused[0] == e or _is_linear(fused[1]):
            e = grouped_by_matrix(e)
            args = [visit(a) for a in e.args]
            return e if args == list(e.args) else e.func(*args)
        node = Elementwise("", fused[1], visit(fused[0]))
        if node not in locals_:
            local = sp.MatrixSymbol(f"_e{len(locals_)}", *node.shape)
            lines.extend(_elementwise_lines(str(local), node, arguments, printer))
            locals_[node] = local
        return locals_[node]

    return lines, [visit(e) for e in exprs]


def _is_linear(body) -> bool:
    return body.is_polynomial(U) and sp.degree(body, U) <= 1


def needs_stable_form(body: sp.Basic) -> bool:
    """Whether f(u) is evaluated in a rewritten, overflow-free form."""
    return stable_body(body) != body or exp_branches(body, "") is not None


def _elementwise_lines(target: str, node: Elementwise, arguments: dict, printer) -> list[str]:
    if not needs_stable_form(node.body):
        return [f"{target} = {printer.doprint(node)}"]
    lines = []
    if isinstance(node.arg, sp.MatrixSymbol):  # a name needs no local of its own
        arguments[node.arg] = printer.doprint(node.arg)
    if node.arg not in arguments:
        arguments[node.arg] = f"_a{len(arguments)}"
        lines.append(f"{arguments[node.arg]} = {printer.doprint(node.arg)}")
    argument = sp.Symbol(arguments[node.arg], real=True)
    body_lines, (result,) = stable_lines([stable_body(node.body).xreplace({U: argument})],
                                         printer)
    return [*lines, *body_lines, f"{target} = {result}"]
