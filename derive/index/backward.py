"""NumPy source for the backward pass: the derived contributions, accumulated in reverse.

The gradient of a windowed read is one contraction that keeps the window (kernel) offsets in
front, then a Python loop over those offsets adding to strided slices of the gradient (no
position repeats within one slice); a max/min routes the upstream to the first arg-max.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from derive.index.calculus import Contribution, gradient_name
from derive.index.codegen import emit_statement, function_source
from derive.index.printing import text
from derive.index.program import Program, Statement, reads_of, tensor_name
from derive.index.views import align, fix, scatter_target, subscript
from derive.index.writer import VIEW, Writer, combine, letters_for, scaled
from derive.primitives import statement_primitive
from derive.vocab.statements import FirstArgmax


def read_values(program: Program, found: list[Contribution]) -> list[str]:
    """The defined tensors the derived contributions read (what a caller may pass saved)."""
    read = set()
    for c in found:
        read |= {tensor_name(r) for r in reads_of(c.local)}
        if c.upstream.atoms(FirstArgmax):  # routed: the window's values are read again
            read |= {tensor_name(r) for r in c.statement.reads()}
    return [s.target for s in program.statements if s.target in read]


def _values_needed(program: Program, found: list[Contribution], given=()) -> list[Statement]:
    """The statements whose tensors the backward pass reads, with what they depend on
    (except the values `given` as parameters)."""
    needed = set(read_values(program, found))
    for statement in reversed(program.statements):
        if statement.target in needed and statement.target not in given:
            needed |= {tensor_name(r) for r in statement.reads()}
    return [s for s in program.statements if s.target in needed and s.target not in given]


def backward_source(program: Program, found: list[Contribution], name: str,
                    parameters: str, function="backward", given=()) -> str:
    """The backward function's source; the values `given` are its parameters, not recomputed
    (a recurrence keeps each step's from its forward pass)."""
    writer = Writer(program)
    writer.header()
    for upstream in program.upstreams:
        writer.emit(f"{upstream} = numpy.asarray({upstream})")
    for statement in _values_needed(program, found, given):
        emit_statement(writer, statement)
    dtype = ", ".join([*program.shapes, "1.0"])
    writer.emit(f"dtype = numpy.result_type({dtype})")
    writer.counts = {}
    for c in found:
        writer.counts[c.gradient] = writer.counts.get(c.gradient, 0) + 1
    writer.started = set()
    if len(program.upstreams) > 1:  # an output read later (next_c) adds to its own upstream
        for upstream in program.upstreams:
            writer.emit(f"{upstream} = numpy.array({upstream}, dtype)")
            writer.started.add(upstream)
    for statement in reversed(program.statements):
        mine = [c for c in found if c.statement is statement]
        if mine:
            _emit_gradients(writer, statement, mine)
    result = ", ".join(f"'{n}': {gradient_name(program, n)}" for n in program.inputs)
    writer.emit(f"return {{{result}}}")
    return function_source("backward", name, parameters, writer.lines, program, function)


def _emit_gradients(writer: Writer, statement: Statement, found: list[Contribution]) -> None:
    program = writer.program
    upstream = gradient_name(program, statement.target)
    labels = list(statement.indices)
    if statement.kind == "pad":
        source = tensor_name(statement.body)
        crop = [f"{text(statement.pad)}:{text(statement.pad + d)}" if k in statement.pad_axes
                else ":" for k, d in enumerate(writer.shape(source))]
        _accumulate(writer, found[0].gradient, found[0].gradient, subscript(upstream, crop),
                    whole=True)
        return
    ranges = writer.ranges(statement)
    if statement.merged:
        split = ", ".join(text(ranges[i]) for i in statement.indices)
        writer.emit(f"{upstream}_split = {upstream}.reshape(({split},))")
        upstream = f"{upstream}_split"
    # the upstream as the registry entry weights it: a factor (mean), a routing (max, min)
    weight = statement_primitive(statement.kind).weight(replace(statement, ranges=ranges),
                                                        sp.S.One)
    routings = weight.atoms(FirstArgmax)
    scale = weight.xreplace(dict.fromkeys(routings, sp.S.One))
    if routings:
        upstream, labels = _route(writer, statement, upstream), list(statement.loop)
    letters = letters_for(statement.loop)
    for c in found:
        operands, coefficient = writer.operands(sp.Mul.make_args(c.local), statement)
        operands.insert(0, (upstream, labels))
        shape = writer.shape(tensor_name(c.read))
        looped, target, target_labels = scatter_target(
            c.read, statement, shape, ranges, gradient_name(program, tensor_name(c.read)))
        if not looped:
            code, present = combine(operands, target_labels, letters)
            value = scaled(coefficient * scale, align(code, present, target_labels))
            whole = target == c.gradient and present == target_labels
            _accumulate(writer, c.gradient, target, value, whole)
            continue
        # one contraction keeping the window indices in front, then a slice-add per offset
        used = {label for _, labels in operands for label in labels}
        kept = [i for i in looped if i in used]
        code, present = combine(operands, [*kept, *target_labels], letters)
        parts = f"{c.gradient}_parts"
        writer.emit(f"{parts} = {scaled(coefficient * scale, code)}")
        _accumulate(writer, c.gradient, None, None, False)
        depth = writer.depth
        for index in looped:
            writer.emit(f"for {index} in range({text(ranges[index])}):")
            writer.depth += 1
        part, labels = fix(parts, present, kept)
        writer.emit(f"{target} += {align(part, labels, target_labels)}")
        writer.depth = depth


def _accumulate(writer: Writer, gradient: str, target, value, whole: bool) -> None:
    """Add value to target; a gradient's only, whole contribution is assigned instead, and
    any other gradient starts from zeros (value None: only start it)."""
    if gradient not in writer.started:
        writer.started.add(gradient)
        if whole and writer.counts[gradient] == 1:
            returned = gradient in {gradient_name(writer.program, n) for n in writer.program.inputs}
            if returned and VIEW.match(value):  # never hand back a view of dout or of a temporary
                value = f"{value}.copy()"
            writer.emit(f"{gradient} = {value}")
            return
        tensor = next(t for t in [*writer.program.shapes,
                                  *(s.target for s in writer.program.statements)]
                      if gradient_name(writer.program, t) == gradient)
        writer.emit(f"{gradient} = numpy.zeros({writer.shape_code(tensor)}, dtype)")
    if value is not None:
        writer.emit(f"{target} += {value}")


def _route(writer: Writer, statement: Statement, upstream: str) -> str:
    """Lines sending each upstream entry to the first arg-max (arg-min) of its window."""
    loop, kept = list(statement.loop), len(statement.indices)
    values = writer.over(statement.body, statement, loop)
    name = statement.target
    writer.emit(f"{name}_values = {values}")
    writer.emit(f"{name}_flat = {name}_values.reshape({name}_values.shape[:{kept}] + (-1,))")
    writer.emit(f"{name}_first = {name}_flat.arg{statement.kind}(axis=-1)  # ties: the first")
    writer.emit(f"{name}_mask = (numpy.arange({name}_flat.shape[-1]) == {name}_first[..., None])"
                f".reshape({name}_values.shape)")
    expand = ", ".join([":"] * kept + ["None"] * len(statement.reduce))
    writer.emit(f"{name}_routed = {upstream}[{expand}] * {name}_mask")
    return f"{name}_routed"

