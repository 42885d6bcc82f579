"""Where a hand-written layer of an index operator is judged: one valid point of sizes and
integer constants, and random values there.

Each integer constant takes 2 where its role allows it (a stride of 2, windows of 2) and
otherwise its largest checked value (a padding of 1), so that a backward that ignores the
stride or forgets to crop the padding shows. Sizes are drawn, distinct where possible, until
every windowed read ends exactly at the end of its tensor (the windows tile the input, as
cs231n's `assert (H + 2 * pad - HH) % stride == 0` demands) and every index runs twice.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.core.sympify import _sympify

from derive.errors import DeriveError
from derive.index.checks import constant_choices, invalid_reason, sample_values
from derive.index.program import Program, affine_parts, tensor_name
from derive.index.ranges import index_bounds

NEUTRAL = {(1, 2): 1, (0, 1): 0}  # a stride or dilation → 1, a padding or offset → 0


def neutral_constants(program: Program) -> dict:
    """{integer constant: its neutral value} for constants whose role has one."""
    return {n: NEUTRAL[tuple(v)] for n, v in constant_choices(program).items()
            if tuple(v) in NEUTRAL}


def judging_constants(program: Program) -> dict:
    """{integer constant: the value a layer is judged at}."""
    return {name: 2 if 2 in values else max(values)
            for name, values in constant_choices(program).items()}


def judging_point(program: Program, rng, constants: dict | None = None) -> dict:
    """{"sizes": {dim: int}, "constants": {name: int}} valid and tiling exactly."""
    constants = judging_constants(program) if constants is None else constants
    values = {sp.Symbol(n, integer=True, nonnegative=True): v for n, v in constants.items()}
    for attempt in range(400):
        pool = list(rng.permutation(range(2, 7 if attempt < 200 else 9)))
        sizes = {d: int(pool[k % len(pool)]) for k, d in enumerate(program.sizes)}
        point = {**values, **sizes}
        if invalid_reason(program, point) is None and _tiles(program, point):
            return {"sizes": {str(d): v for d, v in sizes.items()}, "constants": dict(constants)}
    raise DeriveError(f"no small sizes make the windows tile at constants {constants}")


def _tiles(program: Program, point: dict) -> bool:
    """Whether every axis read through a window (two loop indices) is read to its end, and
    every loop index runs at least twice."""
    shapes = {n: [int(_sympify(d).subs(point)) for d in dims]
              for n, dims in program.shapes.items()}
    for statement in program.statements:
        ranges = {i: int(_sympify(r).subs(point)) for i, r in statement.ranges.items()}
        if min(ranges.values(), default=2) < 2:  # one window or one step shows too little
            return False
        if statement.kind == "pad":
            shapes[statement.target] = [ranges[i] for i in statement.indices]
            continue
        for read in statement.reads():
            for expr, size in zip(read.indices, shapes[tensor_name(read)]):
                coefficients, _ = affine_parts(expr, statement.loop)
                if len([c for c in coefficients.values() if c != 0]) < 2:
                    continue
                _, high = (int(_sympify(b).subs(point).subs(ranges))
                           for b in index_bounds(expr, statement.loop, ranges))
                if high != size - 1:
                    return False
        shapes[statement.target] = [int(_sympify(d).subs(point).subs(ranges))
                                    for d in program.shape_of(statement.target)]
    return True


def judging_values(program: Program, rng, point: dict) -> dict:
    """Random values at `point`: inputs normal, constant tensors in (0.1, 1), integer
    constants as Python ints (a layer loops with range() over them)."""
    values = sample_values(program, point, rng)
    return {n: v if isinstance(v, int) or n in program.gathers else np.asarray(v, dtype=float)
            for n, v in values.items()}
