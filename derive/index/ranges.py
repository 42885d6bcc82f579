"""Ranges of loop indices, inferred from the shapes of the tensors they index.

An index that indexes an axis on its own (`w[f,c,p,q]`: p runs over w's third axis) takes that
axis' size. An index that occurs only inside a sum of indices (`xp[n,c,s*i+p,...]`) takes the
largest range that keeps every read in bounds: s·(R−1) + (HH−1) ≤ size − 1, so
R = ⌊(size − HH)/s⌋ + 1, the conv output size (H + 2·pad − HH)/s + 1 once xp = pad(x, pad).
An index whose range nothing gives is refused with a message naming it.
"""

from __future__ import annotations

import sympy as sp

from derive.errors import DeriveError
from derive.index.program import Program, affine_parts, tensor_name


def infer_ranges(program: Program) -> None:
    """Fill `statement.ranges` of every statement, in order (shapes of earlier ones first)."""
    for statement in program.statements:
        if statement.kind == "pad":
            source = program.shape_of(tensor_name(statement.body))
            statement.ranges = {i: d + 2 * statement.pad if k in statement.pad_axes else d
                                for k, (i, d) in enumerate(zip(statement.indices, source))}
            continue
        ranges = dict(statement.bounds)
        reads = [(r, program.shape_of(tensor_name(r))) for r in statement.reads()
                 if program.knows(tensor_name(r))]  # a state's previous value may come later
        for index in statement.loop:
            if index in ranges:
                continue
            bare = list(dict.fromkeys(d for read, shape in reads
                                      for e, d in zip(read.indices, shape) if e == index))
            if bare:  # several axes: the smallest keeps every read in bounds (H of a[n,k], 4H)
                smallest = sp.Min(*bare, *_offset_reads(index, reads, statement.loop))
                ranges[index] = bare[0] if isinstance(smallest, sp.Min) else smallest
        progress = True
        while progress:
            progress = False
            for index in statement.loop:
                if index not in ranges:
                    size = _from_sums(index, reads, ranges, statement.loop)
                    if size is not None:
                        ranges[index] = size
                        progress = True
        missing = [i for i in statement.loop if i not in ranges]
        if missing:
            raise DeriveError(
                f"formula: cannot tell how far index '{missing[0]}' of {statement.target} runs: "
                "it indexes no tensor whose shape gives it; write its range in the reduction, "
                f"such as max(..., {missing[0]} < K)")
        statement.ranges = {i: ranges[i] for i in statement.loop}
        for axis in statement.merged:
            _check_row_major(axis, statement)


def _check_row_major(axis, statement) -> None:
    """A merged left-hand axis must enumerate its indices in row-major order, as reshape does."""
    coefficients, offset = affine_parts(axis, statement.indices)
    order = sorted(coefficients, key=statement.indices.index)
    expected, stride = {}, sp.S.One
    for index in reversed(order):
        expected[index] = stride
        stride *= statement.ranges[index]
    if offset != 0 or any(sp.simplify(coefficients[i] - expected[i]) != 0 for i in order):
        raise DeriveError(
            f"formula: the left-hand axis {axis} of {statement.target} must list its indices "
            "row-major, as a reshape does: " + " + ".join(
                f"{i}*{sp.sstr(expected[i])}" if expected[i] != 1 else str(i) for i in order))


def _offset_reads(index, reads, loop) -> list:
    """The sizes left for `index` by reads of it alone plus a constant (a[n, 3*H + k])."""
    found = []
    for read, shape in reads:
        for expr, size in zip(read.indices, shape):
            coefficients, offset = affine_parts(expr, loop)
            if list(coefficients.items()) == [(index, 1)] and offset != 0:
                found.append(size - offset)
    return found


def _from_sums(index, reads, ranges, loop):
    """The largest R with every read of `index` (inside a sum of indices) in bounds."""
    for read, shape in reads:
        for expr, size in zip(read.indices, shape):
            coefficients, offset = affine_parts(expr, loop)
            if index not in coefficients:
                continue
            others = [i for i in coefficients if i != index]
            if any(i not in ranges for i in others):
                continue
            step = coefficients[index]
            if step.is_number and step <= 0:
                continue
            highest_rest = offset + sum(_highest(coefficients[i] * (ranges[i] - 1))
                                        for i in others)
            return sp.floor((size - 1 - highest_rest) / step) + 1
    return None


def _highest(term):
    """The largest value of c·(R−1) over R ≥ 1: the term if c may be positive, else 0."""
    return 0 if (term.is_number and term < 0) else term


def index_bounds(expr, loop, ranges) -> tuple:
    """(lowest, highest) value of an affine index expression over the loop ranges."""
    coefficients, offset = affine_parts(expr, loop)
    low = high = offset
    for index, coefficient in coefficients.items():
        span = coefficient * (ranges[index] - 1)
        if span.is_number and span < 0:
            low += span
        else:
            high += span
    return low, high
