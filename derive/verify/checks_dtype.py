"""The dtype and shape check: gradients have their inputs' shapes; float64 work stays float64;
float32 (and float16, when the layer accepts it) forward *and* backward agree with the derived
reference at that precision's tolerance.

The reference is evaluated in float64 on the very values the layer got (the low-precision
inputs, exactly), so only the layer's own rounding counts. The tolerance grows with the
problem's conditioning, measured by how much the exact result moves when the inputs move by
one unit of the lower precision."""

from __future__ import annotations

import numpy as np

from derive.verify.compare import as_float, relative_error, tolerance
from derive.verify.context import CheckFailed, Context, compare_all
from derive.verify.results import Check

# float16 keeps ~3 digits: a correct layer with cancellation (softmax backward) is off by
# a few per cent, a wrong one (a sign, a factor) by far more
BASE_TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-1}
CONDITIONING = 30.0   # allowed multiple of the exact result's own sensitivity to rounding


def check_dtype_shape(ctx: Context) -> Check:
    case = ctx.case(50)
    run = ctx.run(case.layer)
    dout = ctx.dout(run.out, ctx.rng(51))
    grads = ctx.backward(run, dout)
    for name, grad in grads.items():
        if np.shape(grad) != np.shape(case.layer[name]):
            return Check("dtype_shape", "fail", f"{ctx.label(name)} has shape {np.shape(grad)} "
                         f"but {ctx.input_name(name)} has shape {np.shape(case.layer[name])}; a "
                         "gradient has its input's shape")
    lost = _lost_precision(ctx, run.out, grads, np.dtype(np.float64))
    if lost:
        return Check("dtype_shape", "fail", lost)
    expected = ctx.variant.backward(dout, case.reference)
    # values wrong in float64 are the forward and backward checks' finding, not a precision's
    right = relative_error(run.out, ctx.variant.forward(case.reference)) <= tolerance(run.out) \
        and all(relative_error(g, expected[n]) <= tolerance(g) for n, g in grads.items()
                if n in expected)
    warning, float16 = "", ", float16 too"
    for dtype in BASE_TOL:
        found = _at_precision(ctx, case, np.dtype(dtype), compare=right)
        if isinstance(found, Check):
            return found
        if found is None:
            float16 = "; float16 is refused (forward raised), so it is not checked"
        warning = warning or found or ""
    if warning:  # the values are right; a float32 network silently runs in float64 from here
        return Check("dtype_shape", "warn", warning)
    return Check("dtype_shape", "pass", "gradients have their inputs' shapes; float64 stays "
                 "float64; float32 forward and backward agree with the derived reference"
                 + float16)


def _lost_precision(ctx: Context, out, grads: dict, given: np.dtype) -> str:
    """A message when a result has a floating dtype of lower precision than the inputs."""
    for tensor, value in [("out", out), *[(ctx.label(n), g) for n, g in grads.items()]]:
        dtype = np.asarray(value).dtype
        if np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > np.finfo(given).eps:
            return (f"{given.name} inputs give {tensor} of dtype {dtype.name}: the work is "
                    f"rounded to {dtype.name} (relative error up to {np.finfo(dtype).eps:.0e} "
                    f"where {given.name} keeps {np.finfo(given).eps:.0e}); keep the input's "
                    "dtype (no astype to a smaller float, no low-precision arrays)")
    return ""


def _at_precision(ctx: Context, case, dtype: np.dtype, compare: bool = True):
    """None when the layer refuses `dtype` (forward raises: float16 only), a Check when it is
    wrong, a warning text when float32 results come back as float64, '' when all is right."""
    low = {k: (np.asarray(v, dtype=dtype) if np.issubdtype(np.asarray(v).dtype, np.floating)
               else v) for k, v in case.layer.items()}
    try:
        run = ctx.run(low)
    except CheckFailed:
        if dtype == np.float16:
            return None
        raise
    dout = ctx.dout(run.out, ctx.rng(52))
    dout = np.asarray(dout, dtype=dtype) if np.ndim(dout) else 1.0
    grads = ctx.backward(run, dout)
    lost = _lost_precision(ctx, run.out, grads, dtype)
    if lost:
        return Check("dtype_shape", "fail", lost)
    if not compare:  # only the dtypes are checked
        return ""
    exact = {k: (np.reshape(as_float(low[k]), np.shape(v)) if k in low and np.issubdtype(
        np.asarray(low[k]).dtype, np.floating) else v) for k, v in case.reference.items()}
    expected_out = ctx.variant.forward(exact)
    expected = ctx.variant.backward(as_float(dout), exact)
    tol = _tolerance(ctx, exact, as_float(dout), expected_out, expected, dtype)
    items = [(f"out for {dtype.name} inputs", run.out, expected_out, {})]
    items += [(f"{ctx.label(n)} for {dtype.name} inputs", g, expected[n], {})
              for n, g in grads.items() if n in expected]
    check = compare_all("dtype_shape", items, tol, {"dtype": dtype.name})
    if check.status != "pass":
        check.message += (f" (tolerance {tol:.0e} for {dtype.name}): the layer is wrong at "
                          f"{dtype.name} though right in float64 (a dtype-dependent branch, "
                          "or a constant or cast that loses the input's precision?)")
        return check
    if dtype == np.float32:
        for tensor, value in [("out", run.out), *[(ctx.label(n), g) for n, g in grads.items()]]:
            if np.asarray(value).dtype == np.float64:
                return (f"float32 inputs give {tensor} of dtype float64: a float64 constant or "
                        "array promotes the result; keep the input's dtype (x.dtype, "
                        "np.float32 constants)")
    return ""


def _tolerance(ctx, exact, dout, expected_out, expected, dtype) -> float:
    """BASE_TOL, or more for an ill-conditioned case: CONDITIONING × how far the exact result
    moves when every input moves by one unit in the last place of `dtype`."""
    rng = ctx.rng(53)
    eps = float(np.finfo(dtype).eps)
    moved = {k: (as_float(v) * (1 + eps * rng.uniform(-1, 1, np.shape(v)))
                 if k in ctx.derivation.inputs else v) for k, v in exact.items()}
    with np.errstate(all="ignore"):
        sensitivity = max([relative_error(ctx.variant.forward(moved), expected_out)]
                          + [relative_error(g, expected[n]) for n, g in
                             ctx.variant.backward(dout, moved).items() if n in expected])
    if not np.isfinite(sensitivity):
        sensitivity = 0.0
    return max(BASE_TOL[dtype], CONDITIONING * sensitivity)
