"""The robustness checks: side effects, linearity in dout, and the convention at
non-differentiable points."""

from __future__ import annotations

import numpy as np

from derive.verify.compare import (
    as_float,
    index_text,
    number,
    relative_error,
    tolerance,
    worst_entry,
)
from derive.verify.context import CheckFailed, Context, as_list
from derive.verify.kinkpoints import kink_case, tangent
from derive.verify.results import Check

FLOAT32_VALUE_TOL = 1e-4


def check_side_effects(ctx: Context) -> Check:
    case = ctx.case(30)
    given = {k: np.array(v, copy=True) for k, v in case.layer.items()}
    run = ctx.run(given, copy=False)
    for name in getattr(ctx.adapter, "drawn", ()):  # a mask the layer drew is read back into it
        case.layer[name] = given[name]
    changed = _changed(given, case.layer)
    if changed:
        return Check("side_effects", "fail", f"forward changed its input {changed} in place: "
                     "the caller's array changed, so whatever else reads it — a residual path "
                     "(x + f(x)), a gradient check that reuses x — sees wrong values; work on a "
                     "copy (x = x.copy()) or build a new array")
    dout = ctx.dout(run.out, ctx.rng(31))
    dout_given = np.array(dout, copy=True)
    ctx.backward(run, dout_given, copy=False)
    changed = _changed(given, case.layer)
    if changed:
        return Check("side_effects", "fail", f"backward changed the forward input {changed} in "
                     "place (the layer keeps a reference to it); copy before modifying")
    if not np.array_equal(dout_given, dout):
        index, now, was = worst_entry(dout_given, dout)
        return Check("side_effects", "warn",
                     f"backward changed dout in place (entry {index_text(index)}: was "
                     f"{number(was)}, now {number(now)}); a warn, not a fail like a mutated "
                     "input, because dout is normally a fresh array that nothing reads after "
                     "this backward; but where one dout feeds two branches (a residual "
                     "connection, a shared layer) the other branch sees wrong values: compute "
                     "the gradient as a new array (np.where(mask, 0, dout)); a fail under "
                     "--strict")
    return Check("side_effects", "pass", "inputs, parameters and dout are left unchanged")


def _changed(now: dict, before: dict) -> str | None:
    for name, value in before.items():
        if not np.array_equal(now[name], value, equal_nan=True):
            index, new, old = worst_entry(now[name], value) if np.shape(now[name]) == np.shape(
                value) else ((), float("nan"), float("nan"))
            return f"{name} (entry {index_text(index)}: was {number(old)}, now {number(new)})"
    return None


def check_linearity(ctx: Context) -> Check:
    case = ctx.case(60)
    rng = ctx.rng(61)
    run = ctx.run(case.layer)
    dout = ctx.dout(run.out, rng)
    base = ctx.backward(run, dout)
    scaled = ctx.backward(ctx.run(case.layer), 2.5 * np.asarray(dout))
    worst = 0.0
    for name, grad in base.items():
        err = relative_error(scaled[name], 2.5 * as_float(grad))
        worst = max(worst, err)
        if err <= tolerance(grad):
            continue
        ignored = relative_error(scaled[name], grad) <= tolerance(grad)
        if ignored and np.ndim(run.out) == 0:
            how = ("backward takes no dout" if not getattr(ctx.adapter, "takes_dout", True)
                   else f"backward ignores dout ({ctx.label(name)} is the same for dout = 1 "
                   "and 2.5)")
            return Check("linearity", "warn", f"{how}: right only while this is the last layer "
                         "and dout = 1; multiply by dout", err)
        cause = "it ignores dout" if ignored else "it is not proportional to dout"
        return Check("linearity", "fail", f"{ctx.label(name)} for 2.5·dout is not 2.5 × "
                     f"{ctx.label(name)} for dout "
                     f"(relative error {err:.2e}): {cause}; multiply the local derivative by "
                     "dout", err)
    return Check("linearity", "pass", "backward is linear in dout", worst)


def check_kink_convention(ctx: Context) -> Check | None:
    made = kink_case(ctx)
    if made is None:
        return None
    case, on_kink, description = made
    run = ctx.run(case.layer)
    dout = ctx.dout(run.out, ctx.rng(81))
    grads = ctx.backward(run, dout)
    expected = ctx.variant.backward(dout, case.reference)
    convention = "; ".join(ctx.derivation.conventions) or "the derived one"
    along = _along_tie(ctx, case, on_kink, grads, expected, dout, description)
    if along is not None:
        return along
    for name, grad in grads.items():
        found, exact = as_float(grad), as_float(expected[name])
        if found.shape != exact.shape:
            raise CheckFailed("fail", f"{ctx.label(name)} has shape {found.shape}, expected "
                              f"{exact.shape}")
        if not np.all(np.isfinite(found[on_kink])):
            return Check("kink_convention", "fail", f"{ctx.label(name)} is NaN/Inf at the kink "
                         f"({description})", float("inf"))
        diff = np.abs(found - exact)[on_kink]
        if np.max(diff, initial=0) > 1e-9 * max(1.0, float(np.max(np.abs(exact)))):
            i = int(np.argmax(diff))
            slope_found = found[on_kink][i] / as_float(np.broadcast_to(dout, found.shape))[on_kink][i]
            return Check("kink_convention", "warn", f"at the kink ({description}) "
                         f"{ctx.label(name)} uses "
                         f"slope {number(slope_found)}, the catalog's convention is "
                         f"{convention}; both are subgradients, but results will differ from "
                         "the reference", float(np.max(diff)),
                         {"inputs": as_list(case.layer)})
    return Check("kink_convention", "pass", f"at the kink ({description}) it follows "
                 f"{convention}", 0.0)


def _along_tie(ctx, case, on_kink, grads, expected, dout, description) -> Check | None:
    """A fail when, at a tie between two inputs, the gradient's parts do not add up to the
    derivative along the tie (max(x, y) at x = y with (0, 0)): that is no subgradient."""
    direction = tangent(ctx.derivation, case.reference)
    if direction is None or set(direction) - set(grads):
        return None
    found = sum(as_float(grads[n]) * direction[n] for n in direction)
    exact = sum(as_float(expected[n]) * direction[n] for n in direction)
    gap = np.abs(found - exact)[on_kink]
    if np.max(gap, initial=0) <= 1e-9 * max(1.0, float(np.max(np.abs(exact)))):
        return None
    i = tuple(int(k) for k in np.argwhere(on_kink)[int(np.argmax(gap))])
    scale = float(as_float(np.broadcast_to(dout, np.shape(found)))[i]) or 1.0
    scale *= -1.0 if exact[i] * scale < 0 else 1.0  # along the direction the function rises
    parts = ", ".join(f"{ctx.label(n)} = {number(float(as_float(grads[n])[i]) / scale + 0.0)}"
                      for n in direction)
    return Check("kink_convention", "fail", f"at the tie ({description}) the parts {parts} "
                 f"(per unit of dout) add up to {number(float(found[i]) / scale + 0.0)} along "
                 "the tie, "
                 f"where the function changes at rate {number(float(exact[i]) / scale)}: not a "
                 "subgradient; give the tie's gradient to one input (1, 0) or split it "
                 "(½, ½) — derive splits it", float(np.max(gap)),
                 {"inputs": as_list(case.layer)})
