"""NumPy source for the forward pass of an index program (see `backward` for the VJP).

Contractions are `numpy.einsum(..., optimize=True)`, windows `sliding_window_view`s; there is
never a Python loop over output positions. The sources import numpy only and define
`forward(**values)` and `backward(dout, **values)` (a dict name → gradient), as `derive show
--json` promises.
"""

from __future__ import annotations

import sympy as sp

from derive.index.printing import text
from derive.index.program import Program, Statement, tensor_name
from derive.index.views import align, parenthesised
from derive.index.writer import PRINTER, Writer, combine, letters_for, scaled

# ---------------------------------------------------------------------------- forward

def emit_statement(writer: Writer, statement: Statement) -> None:
    """Code computing one statement's tensor."""
    _emit_values(writer, statement)
    if statement.merged:
        writer.emit(f"{statement.target} = {statement.target}.reshape("
                    f"{writer.shape_code(statement.target)})")


def _emit_values(writer: Writer, statement: Statement) -> None:
    target, indices = statement.target, list(statement.indices)
    if statement.kind == "pad":
        widths = ", ".join(f"({text(statement.pad)}, {text(statement.pad)})"
                           if k in statement.pad_axes else "(0, 0)"
                           for k in range(len(indices)))
        writer.emit(f"{target} = numpy.pad({tensor_name(statement.body)}, ({widths}))")
        return
    ranges = writer.ranges(statement)
    if statement.kind in ("max", "min"):
        loop = list(statement.loop)
        values = writer.over(statement.body, statement, loop)
        axes = ", ".join(str(loop.index(r)) for r in statement.reduce)
        writer.emit(f"{target} = {parenthesised(values)}.{statement.kind}(axis=({axes},))")
        return
    if statement.kind == "map":
        code = writer.over(statement.body, statement, indices)
        used = set().union(*(r.free_symbols for r in statement.reads())) \
            if statement.reads() else set()
        if not set(indices) <= used:
            code = f"numpy.broadcast_to({code}, {writer.shape_code(target, True)}).copy()"
        writer.emit(f"{target} = {code}")
        return
    letters = letters_for(statement.loop)
    terms = []
    for term in sp.Add.make_args(sp.expand(statement.body, deep=False, mul=True,
                                           multinomial=False, power_exp=False, log=False)):
        operands, coefficient = writer.operands(sp.Mul.make_args(term), statement)
        used = {label for _, labels in operands for label in labels}
        for r in statement.reduce:
            if r not in used:
                coefficient *= ranges[r]
        if statement.kind == "mean":
            coefficient /= sp.Mul(*(ranges[r] for r in statement.reduce))
        if not operands:
            terms.append((PRINTER.doprint(coefficient), []))
            continue
        code, labels = combine(operands, indices, letters)
        terms.append((scaled(coefficient, code), labels))
    code = " + ".join(parenthesised(align(c, labels, indices)) if labels else c
                      for c, labels in terms)
    if not all(set(labels) == set(indices) for _, labels in terms):
        code = f"numpy.broadcast_to({code}, {writer.shape_code(target, True)}).copy()"
    writer.emit(f"{target} = {code}")


def forward_source(program: Program, name: str, parameters: str, function="forward") -> str:
    writer = Writer(program)
    writer.header()
    for statement in program.statements:
        emit_statement(writer, statement)
    writer.emit(f"return {', '.join(program.output_names)}")
    return function_source("forward", name, parameters, writer.lines, program, function)


def function_source(kind, name, parameters, lines, program, function=None) -> str:
    doc = (f'    """{kind.capitalize()} of {name}: {", ".join(program.output_names)} from the '
           'index formula."""')
    return "\n".join(["import numpy", "", "", f"def {function or kind}({parameters}):", doc,
                      *lines, ""])


