"""Checks before trust: the generated pair against finite differences at small random sizes.

Each check point draws small sizes and, for an integer constant given only at run time, every
value of a small set chosen by the constant's role: a stride or dilation (a coefficient of a
loop index) takes 1 and 2, a padding or offset 0 and 1, a declared range or a group count
(G of a shape G*K) 2 and 3. Sizes are
redrawn until every range is positive and every read stays inside its tensor (a formula whose
reads leave their tensor at every size is refused).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp
from sympy.core.sympify import _sympify

from derive.errors import DerivationMismatch, DeriveError
from derive.index.program import Program, affine_parts, tensor_name
from derive.index.ranges import index_bounds

STEP = 1e-6
TOLERANCE = 1e-6


def constant_choices(program: Program) -> dict:
    """Integer constant → the values the checks try."""
    roles = {}
    for dims in program.shapes.values():  # a group count (G of an axis G*K): 2 and 3 groups
        for dim in dims:
            if dim.is_Mul:
                roles.update({s.name: (2, 3) for s in dim.free_symbols
                              if s.name in program.integer_constants})
    for statement in program.statements:
        if statement.kind == "pad":
            for s in statement.pad.free_symbols:
                roles.setdefault(s.name, (0, 1))
        for bound in statement.bounds.values():
            for s in bound.free_symbols:
                roles[s.name] = (2, 3)
        for read in statement.reads():
            for expr in read.indices:
                coefficients, offset = affine_parts(expr, statement.loop)
                for c in coefficients.values():
                    for s in c.free_symbols:
                        roles.setdefault(s.name, (1, 2))
                for s in offset.free_symbols:
                    roles.setdefault(s.name, (0, 1))
    return {name: (value,) if value is not None else roles.get(name, (1, 2))
            for name, value in program.integer_constants.items()}


def check_points(program: Program, rng, least=3) -> list[dict]:
    """Points {"sizes": {dim: int}, "constants": {name: int}} at which the program is valid:
    every combination of the constants' values (at most 8), and at least `least` points."""
    choices = constant_choices(program)
    combos = list(itertools.product(*choices.values()))[:8]
    points = []
    for combo in combos:
        constants = dict(zip(choices, combo))
        for _ in range(-(-least // len(combos))):
            points.append({"sizes": _valid_sizes(program, constants, rng),
                           "constants": constants})
    return points


def _valid_sizes(program, constants, rng) -> dict:
    values = {sp.Symbol(n, integer=True, nonnegative=True): v for n, v in constants.items()}
    problem = "no sizes were tried"
    for attempt in range(300):
        sizes = {d: int(rng.integers(2, 6 if attempt < 150 else 9)) for d in program.sizes}
        problem = invalid_reason(program, {**values, **sizes})
        if problem is None:
            return {str(d): v for d, v in sizes.items()}
    raise DeriveError(f"formula: no small sizes make it valid ({problem}); check the shapes "
                      "and the index expressions")


def invalid_reason(program, point) -> str | None:
    """Why the program is not valid at a point of sizes and constants, or None."""
    shapes = {}
    for name, dims in program.shapes.items():
        shapes[name] = [int(_sympify(d).subs(point)) for d in dims]
    for statement in program.statements:
        ranges = {i: int(_sympify(r).subs(point)) for i, r in statement.ranges.items()}
        if statement.kind == "pad":
            shapes[statement.target] = [ranges[i] for i in statement.indices]
            continue
        if any(r < 1 or r > 12 for r in ranges.values()):
            return f"a range of {statement.target} is {min(ranges.values())}"
        for read in statement.reads():
            shape = shapes[tensor_name(read)]
            for expr, size in zip(read.indices, shape):
                if isinstance(expr, sp.Indexed):  # a tensor of indices: drawn inside the axis
                    continue
                low, high = (int(_sympify(b).subs(point).subs(ranges))
                             for b in index_bounds(expr, statement.loop, ranges))
                if low < 0 or high > size - 1:
                    return f"{read} reaches {low if low < 0 else high} on an axis of size {size}"
        shapes[statement.target] = [int(_sympify(d).subs(point).subs(ranges))
                                    for d in program.shape_of(statement.target)]
    return None


def point_symbols(point: dict) -> dict:
    """A point's sizes and integer constants as {SymPy symbol: int} (a shape such as G*K
    uses both)."""
    return {**{sp.Symbol(n, integer=True, nonnegative=True): v
               for n, v in point["constants"].items() if v is not None},
            **{sp.Symbol(n, integer=True, positive=True): v for n, v in point["sizes"].items()}}


def sample_values(program: Program, point: dict, rng) -> dict:
    """Random inputs (normal), constant tensors and scalars, and integer constants."""
    values = dict(point["constants"])
    sizes = point_symbols(point)
    for name, dims in program.shapes.items():
        shape = tuple(int(_sympify(d).subs(sizes)) for d in dims)
        if name in program.inputs:
            values[name] = rng.standard_normal(shape)
        elif name in program.gathers:
            values[name] = index_values(rng, shape, int(_sympify(program.gathers[name])
                                                        .subs(sizes)))
        else:
            values[name] = rng.uniform(0.1, 1.0, size=shape)
    for name in program.scalar_constants:
        values[name] = float(rng.uniform(0.5, 1.5))
    return values


def index_values(rng, shape, size):
    """Integer indices below `size` (a tensor of indices such as embedding's ids), with the
    first one repeated last so that a gradient must add repeated indices up."""
    ids = rng.integers(0, size, size=shape)
    if ids.size >= 2:
        ids.flat[-1] = ids.flat[0]
    return ids


def finite_difference_check(program: Program, forward, backward, points, rng) -> float:
    """The largest relative error of backward against central differences of forward along
    random directions; DerivationMismatch if it exceeds TOLERANCE."""
    worst = 0.0
    for point in points:
        values = sample_values(program, point, rng)
        outs = _outputs(forward(**values))
        dout = [rng.standard_normal(np.shape(o)) for o in outs]
        grads = backward(*dout, **values)
        for name in program.inputs:
            grad = np.asarray(grads[name])
            if grad.shape != values[name].shape:
                raise DerivationMismatch(f"formula: the gradient of {name} has shape "
                                         f"{grad.shape}, {name} has {values[name].shape}")
            for _ in range(2):
                direction = rng.standard_normal(values[name].shape)
                numeric = (_loss(forward, values, name, direction, STEP, dout)
                           - _loss(forward, values, name, direction, -STEP, dout)) / (2 * STEP)
                analytic = float(np.sum(grad * direction))
                error = abs(numeric - analytic) / max(1.0, abs(analytic))
                worst = max(worst, error)
                if error > TOLERANCE:
                    raise DerivationMismatch(
                        f"formula: the derived gradient of {name} disagrees with finite "
                        f"differences ({analytic:.6g} vs {numeric:.6g}) at sizes "
                        f"{point['sizes']} and constants {point['constants']}")
    return worst


def _loss(forward, values, name, direction, step, dout) -> float:
    moved = dict(values)
    moved[name] = values[name] + step * direction
    return float(sum(np.sum(d * o) for d, o in zip(dout, _outputs(forward(**moved)))))


def _outputs(result) -> list:
    """forward's result as a list of arrays (a tuple for several outputs)."""
    return [np.asarray(o) for o in (result if isinstance(result, tuple) else (result,))]
