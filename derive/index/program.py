"""The data of an index-notation formula: statements over tensors with affine indices.

A Program is a list of Statements `T[idx] = R_r body`, where R is a reduction (`sum`, `mean`,
`max`, `min`) over the loop indices r, or none (`map`), and body is a SymPy expression whose
tensor reads are `Indexed` objects with indices affine in the loop indices. A `pad` statement
(`xp = pad(x, p)`) widens the trailing axes of a tensor with zeros. Every other module of
derive.index reads this data; nothing here knows about code or printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

REDUCTIONS = ("sum", "mean", "max", "min")


@dataclass
class Statement:
    """One assignment: `target[indices] = kind_{reduce}(body)` (or a pad)."""

    target: str
    indices: tuple                  # the left-hand side's loop indices (Symbols)
    kind: str                       # "map", "sum", "mean", "max", "min" or "pad"
    body: sp.Expr                   # a scalar expression of Indexed reads
    reduce: tuple = ()              # the reduction's loop indices
    bounds: dict = field(default_factory=dict)   # declared ranges (`p < pool_h`): index → size
    pad: sp.Expr | None = None      # pad: the width added on both sides of each padded axis
    pad_axes: tuple = ()            # pad: the padded axes
    ranges: dict = field(default_factory=dict)   # filled by derive.index.ranges: index → size
    merged: tuple = ()              # left-hand axes that merge indices row-major (flatten)
    initial: int | None = None      # an initial state `h[n,-1,k] = h0[n,k]`: its time axis

    @property
    def loop(self) -> tuple:
        """Every loop index of the statement, left-hand side first."""
        return (*self.indices, *self.reduce)

    def reads(self) -> list:
        """The distinct tensor reads of the body, in order of first appearance."""
        return reads_of(self.body)


@dataclass
class Program:
    """Statements in order, and what they read: input tensors, constants, sizes."""

    text: str
    statements: list
    shapes: dict                    # input tensor name → tuple of dims (SymPy integers/symbols)
    inputs: list                    # differentiated tensor names, in order of appearance
    constants: list                 # names not differentiated (tensors, integers, scalars)
    integer_constants: dict         # integer constant name → value (int) or None (given at run time)
    scalar_constants: list          # scalar (float) constant names
    sizes: list                     # dimension symbols, in order of appearance
    outputs: list = field(default_factory=list)  # several outputs (lstm: next_h, next_c)

    @property
    def output(self) -> Statement:
        return self.statements[-1]

    @property
    def output_names(self) -> list:
        """The tensors forward returns, in order: the declared outputs, else the last one."""
        return list(self.outputs) or [self.output.target]

    @property
    def upstreams(self) -> list:
        """The upstream gradients backward takes: dout, or d + each output's name."""
        names = self.output_names
        return ["dout"] if len(names) == 1 else ["d" + n for n in names]

    def defined(self, name: str) -> Statement | None:
        for statement in self.statements:
            if statement.target == name and statement.initial is None:
                return statement
        return None

    @property
    def states(self) -> list[Statement]:
        """The initial clauses of a recurrence over time (`h[n,-1,k] = h0[n,k]`), in order."""
        return [s for s in self.statements if s.initial is not None]

    def knows(self, name: str) -> bool:
        """Whether `name` is an input with a shape or a tensor defined by a statement."""
        return name in self.shapes or self.defined(name) is not None

    def shape_of(self, name: str) -> tuple:
        """The shape of an input or of a defined tensor (after range inference)."""
        if name in self.shapes:
            return self.shapes[name]
        statement = self.defined(name)
        if statement.kind == "pad":
            source = self.shape_of(reads_of(statement.body)[0].base.label.name)
            return tuple(d + 2 * statement.pad if axis in statement.pad_axes else d
                         for axis, d in enumerate(source))
        if statement.merged:
            return tuple(merged_size(axis, statement) for axis in statement.merged)
        return tuple(statement.ranges[i] for i in statement.indices)

    def split_shape(self, name: str) -> tuple:
        """A defined tensor's shape with one axis per left-hand index (before any merge)."""
        statement = self.defined(name)
        return tuple(statement.ranges[i] for i in statement.indices)


def merged_size(axis, statement) -> sp.Expr:
    """The size of a left-hand axis such as c*H*W + h*W + w: the product of its ranges."""
    coefficients, _ = affine_parts(axis, statement.indices)
    return sp.Mul(*(statement.ranges[i] for i in coefficients))


def reads_of(expr) -> list:
    """The distinct Indexed objects in an expression, in a stable order of first appearance."""
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Indexed) and node not in found:
            found.append(node)
    return found


def tensor_name(read: sp.Indexed) -> str:
    return read.base.label.name


def affine_parts(expr: sp.Expr, loop) -> tuple[dict, sp.Expr]:
    """expr = Σ coefficient·index + offset: ({index: coefficient}, offset) over `loop`."""
    expr = sp.expand(expr)
    coefficients = {}
    for index in loop:
        coefficient = expr.coeff(index)
        if coefficient != 0:
            coefficients[index] = coefficient
    offset = sp.expand(expr - sum(c * i for i, c in coefficients.items()))
    return coefficients, offset
