"""The N-D input check: a sample-major input X of shape (N, D) given as (N, d_1, d_2).

Layers in the cs231n and "Deep Learning from Scratch" style accept x of shape
(N, d_1, ..., d_k) and reshape it to (N, D) themselves; their dx must then have x's own shape.
Which inputs qualify is read from the shapes: a 2-D input whose first axis is the output's
first axis and whose second axis does not occur in the output (it is contracted, as X in
X @ W + b). A layer whose forward refuses the N-D input is not checked (it takes (N, D) only).
"""

from __future__ import annotations

import numpy as np

from derive.verify.compare import as_float, tolerance
from derive.verify.context import Context, as_list, compare_all
from derive.verify.results import Check

SPLIT = (2, 3)  # a symbolic D is set to 6 and spread over two axes of sizes 2 and 3


def spread_inputs(derivation) -> list[str]:
    """The inputs that are (N, D) with N the output's first axis and D contracted."""
    out_shape = tuple(getattr(derivation.expr, "shape", ()))
    if len(out_shape) != 2:
        return []
    found = []
    for name in derivation.inputs:
        shape = tuple(derivation.shapes.get(name, ()))
        if (len(shape) == 2 and str(shape[0]) == str(out_shape[0]) != "1"
                and str(shape[1]) not in {str(d) for d in out_shape} and str(shape[1]) != "1"):
            found.append(name)
    return found


def _axes(size: int) -> tuple[int, int]:
    """Two axes whose product is `size`, both above 1 when size is not prime."""
    divisor = next((d for d in range(2, size) if size % d == 0), size)
    return divisor, size // divisor


def check_nd_input(ctx: Context) -> Check | None:
    names = spread_inputs(ctx.derivation)
    if not names:
        return None
    name = names[0]
    dim = ctx.derivation.shapes[name][1]
    sizes = dict(ctx.sizes_of_dims or {})
    if dim in sizes:
        sizes[dim] = SPLIT[0] * SPLIT[1]
    case = ctx.case_at(ctx.rng(90), sizes)
    flat = case.layer[name]
    shape = (flat.shape[0], *_axes(flat.shape[1]))
    given = {**case.layer, name: flat.reshape(shape)}
    try:
        run = ctx.adapter.start(given)
    except Exception:  # the layer takes (N, D) inputs only: nothing to check  # noqa: BLE001
        return None
    where = f"{ctx.input_name(name)} of shape {shape}"
    expected_out = ctx.variant.forward(case.reference)
    check = compare_all("nd_input", [(f"out for {where}", run.out, expected_out, {})],
                        tolerance(run.out), {"inputs": as_list(given)})
    if check.status != "pass":
        return check
    dout = ctx.dout(run.out, ctx.rng(91))
    grads = ctx.backward(run, dout)
    found = grads.get(name)
    if np.shape(found) != shape:
        return Check("nd_input", "fail", f"forward takes {where} but {ctx.label(name)} has shape "
                     f"{np.shape(found)}: reshape it back to the input's shape "
                     f"({ctx.label(name)}.reshape({ctx.input_name(name)}.shape))", float("inf"),
                     {"inputs": as_list(given)})
    expected = ctx.variant.backward(dout, case.reference)
    items = [(f"{ctx.label(name)} for {where}", as_float(found).reshape(flat.shape),
              expected[name], {})]
    items += [(f"{ctx.label(n)} for {where}", g, expected[n], {}) for n, g in grads.items()
              if n != name and n in expected]
    check = compare_all("nd_input", items, tolerance(run.out, *grads.values()),
                        {"inputs": as_list(given), "dout": np.asarray(dout).tolist()})
    if check.status == "pass":
        check.message = (f"{where} (reshaped to {flat.shape} by the layer) gives the same "
                         f"out and gradients; {ctx.label(name)} has {ctx.input_name(name)}'s shape")
    return check
