"""NumPy source for the forward and backward pass of an index program.

Contractions are `numpy.einsum(..., optimize=True)`, windows `sliding_window_view`s, and the
gradient of a windowed read a loop over the window (kernel) offsets adding to strided slices;
there is never a Python loop over output positions. The sources import numpy only and define
`forward(**values)` and `backward(dout, **values)` (a dict name → gradient), as `derive show
--json` promises.
"""

from __future__ import annotations

import re

import sympy as sp

from derive.index.calculus import Contribution, gradient_name
from derive.index.printing import text
from derive.index.program import Program, Statement, reads_of, tensor_name
from derive.index.views import align, fix, parenthesised, read_view, scatter_target, subscript
from derive.printer import DerivePrinter

_PRINTER = DerivePrinter()
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VIEW = re.compile(r"[\w\[\]:, +*-]*\Z")  # a name, perhaps sliced: no new array


class _Writer:
    """Lines of one generated function, with the names of sizes and views it has defined."""

    def __init__(self, program: Program):
        self.program = program
        self.lines: list[str] = []
        self.depth = 1
        self.view_names: dict = {}
        self.range_names: dict = {}

    def emit(self, line: str):
        self.lines.append("    " * self.depth + line)

    # ------------------------------------------------------------------ sizes
    def header(self):
        program, seen = self.program, set()
        for name in [*program.shapes]:
            self.emit(f"{name} = numpy.asarray({name})")
        for name, dims in program.shapes.items():
            unpacked = [str(d) if d.is_Symbol and d not in seen else "_" for d in dims]
            seen.update(d for d in dims if d.is_Symbol)
            if any(u != "_" for u in unpacked):
                self.emit(f"{', '.join(unpacked)}{',' if len(dims) == 1 else ''} = {name}.shape")
        for name in program.integer_constants:
            self.emit(f"{name} = int({name})")
        for statement in program.statements:
            if statement.kind == "pad":
                continue
            for index, size in statement.ranges.items():
                if size.is_Atom or size in self.range_names:
                    continue
                symbol = sp.Symbol(f"{statement.target}_{index}", integer=True, positive=True)
                self.range_names[size] = symbol
                self.emit(f"{symbol} = {text(size)}  # range of {index} in {statement.target}")

    def ranges(self, statement: Statement) -> dict:
        return {i: self.range_names.get(r, r) for i, r in statement.ranges.items()}

    def shape(self, name: str) -> tuple:
        shape = self.program.shape_of(name)
        return tuple(self.range_names.get(d, d) for d in shape)

    def shape_code(self, name: str, split: bool = False) -> str:
        shape = self.program.split_shape(name) if split else self.program.shape_of(name)
        dims = [text(self.range_names.get(d, d)) for d in shape]
        return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    # ------------------------------------------------------------------ operands
    def view(self, read, statement) -> tuple[str, list]:
        """A read as an array with one axis per loop index; non-trivial views get a name."""
        code, labels = read_view(read, statement, self.shape(tensor_name(read)),
                                 self.ranges(statement))
        if code == tensor_name(read):
            return code, labels
        key = (code, tuple(labels))
        if key not in self.view_names:
            base = tensor_name(read) + ("_windows" if "sliding" in code else "_view")
            name, k = base, 2
            while name in {n for n, _ in self.view_names.values()}:
                name, k = f"{base}{k}", k + 1
            self.emit(f"{name} = {code}")
            self.view_names[key] = (name, labels)
        return self.view_names[key]

    def over(self, expr, statement, labels: list) -> str:
        """Code of an expression of reads, broadcast over `labels` (each read aligned)."""
        replacements = {}
        for read in reads_of(expr):
            code, read_labels = self.view(read, statement)
            replacements[read] = sp.Symbol(align(code, read_labels, labels))
        return _PRINTER.doprint(expr.xreplace(replacements))

    def operands(self, factors, statement) -> tuple[list, sp.Expr]:
        """(code, labels) per factor that reads a tensor, and the product of the others."""
        operands, coefficient = [], sp.S.One
        for factor in factors:
            reads = reads_of(factor)
            if not reads:
                coefficient *= factor
            elif factor in reads:
                operands.append(self.view(factor, statement))
            else:
                labels = [i for i in statement.loop
                          if any(i in r.free_symbols for r in reads)]
                key = (factor, tuple(labels))
                if key not in self.view_names:
                    name = f"{statement.target}_factor{len(self.view_names)}"
                    self.emit(f"{name} = {self.over(factor, statement, labels)}")
                    self.view_names[key] = (name, labels)
                operands.append(self.view_names[key])
        return operands, coefficient


def letters_for(loop) -> dict:
    taken, letters = set(), {}
    for index in loop:
        letter = index.name if len(index.name) == 1 and index.name not in taken else \
            next(c for c in LETTERS if c not in taken and c not in {i.name for i in loop})
        taken.add(letter)
        letters[index] = letter
    return letters


def combine(operands: list, target: list, letters: dict) -> tuple[str, list]:
    """The product of the operands summed over every index not in target: (code, labels)."""
    union = list(dict.fromkeys(label for _, labels in operands for label in labels))
    present = [t for t in target if t in union]
    if all(label in target for label in union):
        if len(operands) == 1:
            code, labels = operands[0]
            return align(code, labels, present), present
        return " * ".join(parenthesised(align(c, labels, present)) for c, labels in operands), \
            present
    spec = ",".join("".join(letters[i] for i in labels) for _, labels in operands)
    spec += "->" + "".join(letters[i] for i in present)
    args = ", ".join(code for code, _ in operands)
    return f"numpy.einsum('{spec}', {args}, optimize=True)", present


def scaled(coefficient, code: str) -> str:
    if coefficient == 1:
        return code
    return f"{_PRINTER.doprint(coefficient)} * {parenthesised(code)}"


# ---------------------------------------------------------------------------- forward

def emit_statement(writer: _Writer, statement: Statement) -> None:
    """Code computing one statement's tensor."""
    _emit_values(writer, statement)
    if statement.merged:
        writer.emit(f"{statement.target} = {statement.target}.reshape("
                    f"{writer.shape_code(statement.target)})")


def _emit_values(writer: _Writer, statement: Statement) -> None:
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
            terms.append((_PRINTER.doprint(coefficient), []))
            continue
        code, labels = combine(operands, indices, letters)
        terms.append((scaled(coefficient, code), labels))
    code = " + ".join(parenthesised(align(c, labels, indices)) if labels else c
                      for c, labels in terms)
    if not all(set(labels) == set(indices) for _, labels in terms):
        code = f"numpy.broadcast_to({code}, {writer.shape_code(target, True)}).copy()"
    writer.emit(f"{target} = {code}")


def forward_source(program: Program, name: str, parameters: str) -> str:
    writer = _Writer(program)
    writer.header()
    for statement in program.statements:
        emit_statement(writer, statement)
    writer.emit(f"return {program.output.target}")
    return _function("forward", name, parameters, writer.lines, program)


def _function(kind, name, parameters, lines, program) -> str:
    doc = f'    """{kind.capitalize()} of {name}: {program.output.target} from the index formula."""'
    return "\n".join(["import numpy", "", "", f"def {kind}({parameters}):", doc, *lines, ""])


# ---------------------------------------------------------------------------- backward

def _values_needed(program: Program, found: list[Contribution]) -> list[Statement]:
    """The statements whose tensors the backward pass reads, with what they depend on."""
    needed = set()
    for c in found:
        needed |= {tensor_name(r) for r in reads_of(c.local)}
        if c.statement.kind in ("max", "min"):
            needed |= {tensor_name(r) for r in c.statement.reads()}
    for statement in reversed(program.statements):
        if statement.target in needed:
            needed |= {tensor_name(r) for r in statement.reads()}
    return [s for s in program.statements if s.target in needed]


def backward_source(program: Program, found: list[Contribution], name: str,
                    parameters: str) -> str:
    writer = _Writer(program)
    writer.header()
    writer.emit("dout = numpy.asarray(dout)")
    for statement in _values_needed(program, found):
        emit_statement(writer, statement)
    dtype = ", ".join([*program.shapes, "1.0"])
    writer.emit(f"dtype = numpy.result_type({dtype})")
    writer.counts = {}
    for c in found:
        writer.counts[c.gradient] = writer.counts.get(c.gradient, 0) + 1
    writer.started = set()
    for statement in reversed(program.statements):
        mine = [c for c in found if c.statement is statement]
        if mine:
            _emit_gradients(writer, statement, mine)
    result = ", ".join(f"'{n}': {gradient_name(program, n)}" for n in program.inputs)
    writer.emit(f"return {{{result}}}")
    return _function("backward", name, parameters, writer.lines, program)


def _emit_gradients(writer: _Writer, statement: Statement, found: list[Contribution]) -> None:
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
    scale = sp.S.One
    if statement.kind == "mean":
        scale = 1 / sp.Mul(*(ranges[r] for r in statement.reduce))
    if statement.kind in ("max", "min"):
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


def _accumulate(writer: _Writer, gradient: str, target, value, whole: bool) -> None:
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


def _route(writer: _Writer, statement: Statement, upstream: str) -> str:
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
