"""A small worked case of an index derivation: every size as small as shows the idea (a 3×3
input and a 2×2 kernel for a convolution), stride 1 and no padding, small integer values,
the derived forward and backward evaluated on them. Reports draw it; nothing here prints."""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.core.sympify import _sympify

from derive.index.checks import index_values, invalid_reason, point_symbols
from derive.index.program import Program, affine_parts, tensor_name
from derive.index.sampling import neutral_constants

WORKED_SCALAR = 0.5


def worked_point(program: Program) -> dict | None:
    """{"sizes", "constants"}: a windowed axis 3 long, a window 2, every other size 1 (else 2)."""
    from derive.index.checks import constant_choices

    neutral = neutral_constants(program)
    constants = {n: neutral.get(n, v[0]) for n, v in constant_choices(program).items()}
    windowed, window = set(), set()
    for statement in program.statements:
        for read in statement.reads():
            for k, expr in enumerate(read.indices):
                moving = [i for i, c in affine_parts(expr, statement.loop)[0].items() if c != 0]
                if len(moving) < 2:
                    continue
                windowed |= program.shape_of(tensor_name(read))[k].free_symbols
                for other in statement.reads():
                    for j, e in enumerate(other.indices):
                        if e in moving and e in statement.reduce:
                            window |= program.shape_of(tensor_name(other))[j].free_symbols
    integer = {sp.Symbol(n, integer=True, nonnegative=True): v for n, v in constants.items()}
    for other in ((1, 2) if windowed else (2, 1)):
        sizes = {d: 3 if d in windowed else 2 if d in window else other for d in program.sizes}
        if invalid_reason(program, {**integer, **sizes}) is None:
            return {"sizes": {str(d): v for d, v in sizes.items()}, "constants": constants}
    return None


def worked_case(derivation) -> dict | None:
    """{"constants", "values": {name: array}, "upstream": {name: array}, "outputs",
    "gradients"} at the worked point, or None when no small point is valid."""
    program = derivation.program
    point = worked_point(program)
    if point is None:
        return None
    sizes = point_symbols(point)
    rng = np.random.default_rng(7)
    values = {}
    for name, dims in program.shapes.items():
        shape = tuple(int(_sympify(d).subs(sizes)) for d in dims)
        if name in program.gathers:
            values[name] = index_values(rng, shape, int(_sympify(program.gathers[name])
                                                        .subs(sizes)))
            continue
        low = 0 if name in program.constants else -2
        values[name] = rng.integers(low, 3, size=shape).astype(float)
    # a scalar constant (batch norm's eps) at a round value the numbers can show
    point["constants"].update({name: WORKED_SCALAR for name in program.scalar_constants})
    forward, backward = derivation.functions()
    result = forward(**values, **point["constants"])
    outputs = result if isinstance(result, tuple) else (result,)
    upstream = {u: rng.integers(-1, 2, size=np.shape(o)).astype(float)
                for u, o in zip(program.upstreams, outputs)}
    gradients = backward(*upstream.values(), **values, **point["constants"])
    return {"constants": point["constants"], "sizes": point["sizes"], "values": values,
            "outputs": dict(zip(program.output_names, outputs)), "upstream": upstream,
            "gradients": gradients}
