"""The generated function under construction: its lines, sizes, views and operands.

A Writer knows the names generated code gives to sizes (`N, C, H, W = x.shape`, one name per
inferred range such as `out_i`), to the views of tensor reads and to the factor arrays of a
contraction; `combine` turns operands with their loop indices into an einsum or a broadcast
product.
"""

from __future__ import annotations

import re

import sympy as sp

from derive.index.printing import text
from derive.index.program import Program, Statement, reads_of, tensor_name
from derive.index.views import align, parenthesised, read_view
from derive.printers.code import DerivePrinter

PRINTER = DerivePrinter()
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VIEW = re.compile(r"[\w\[\]:, +*-]*\Z")  # a name, perhaps sliced: no new array


class Writer:
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
        return PRINTER.doprint(expr.xreplace(replacements))

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
    return f"{parenthesised(PRINTER.doprint(coefficient))} * {parenthesised(code)}"


