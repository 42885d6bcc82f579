"""The value checks: forward, backward and parameter gradients against the derived reference,
and both against central finite differences of the user's forward along random directions."""

from __future__ import annotations

import numpy as np

from derive.verify.compare import FD_TOL, as_float, tolerance
from derive.verify.context import (
    CheckFailed,
    Context,
    as_list,
    compare_all,
    entry_fd,
    gradient_hints,
)
from derive.verify.guards import LARGEST as GUARD_LARGEST
from derive.verify.guards import find_log_guard, guard_text
from derive.verify.results import Check
from derive.verify.slips import forward_slips

FD_ROUNDS = 2
FD_DIRECTIONS = 2


def check_forward(ctx: Context) -> Check:
    case = ctx.case(0)
    run = ctx.run(case.layer)
    expected = ctx.variant.forward(case.reference)
    tol = tolerance(run.out)
    slips = {"sizes": ctx.sizes(case.layer),
             "hints": lambda: forward_slips(ctx.variant, case.reference)}
    check = compare_all("forward", [("out", run.out, expected, slips)],
                        tol, {"inputs": as_list(case.layer)})
    if check.status == "fail":
        guard = find_log_guard(ctx.variant, case.reference, run.out, expected)
        if guard is not None:
            return Check("forward", "warn", f"out differs from the exact loss by relative error "
                         f"{check.max_rel_err:.1e}, exactly as {guard_text(*guard)}; the "
                         "gradients are checked against the exact formula", check.max_rel_err)
    return check


def _gradient_items(ctx: Context, names: list[str], case, run, dout, grads) -> list:
    expected = ctx.variant.backward(dout, case.reference)
    items = []
    for name in names:
        extra = {"sizes": ctx.sizes(case.layer),
                 "hints": lambda name=name: gradient_hints(ctx, name, case, dout, run.out)}
        if name in ctx.derivation.inputs and name in case.layer:
            extra["fd"] = entry_fd(ctx, case, name, dout)
        items.append((ctx.label(name), grads.get(name), expected[name], extra))
    return items


def _backward_check(ctx: Context, check: str, names: list[str]) -> Check:
    case = ctx.case(0)
    run = ctx.run(case.layer)
    dout = ctx.dout(run.out, ctx.rng(100))
    grads = ctx.backward(run, dout)
    tol = tolerance(run.out, *[grads.get(n) for n in names if grads.get(n) is not None])
    counterexample = {"inputs": as_list(case.layer), "dout": np.asarray(dout).tolist()}
    return compare_all(check, _gradient_items(ctx, names, case, run, dout, grads), tol,
                       counterexample)


def check_backward(ctx: Context) -> Check:
    return _backward_check(ctx, "backward", ctx.adapter.grad_names)


def param_names(ctx: Context) -> list[str]:
    return [name for _, name in getattr(ctx.adapter, "param_attrs", [])]


def check_param_gradients(ctx: Context) -> Check:
    return _backward_check(ctx, "param_gradients", param_names(ctx))


def check_finite_difference(ctx: Context) -> Check:
    """⟨g, v⟩ of the user's and of the derived gradient vs (L(x+hv) − L(x−hv)) / 2h."""
    names = [*ctx.adapter.grad_names, *param_names(ctx)]
    worst_user, worst_ref, messages = 0.0, 0.0, []
    for k in range(FD_ROUNDS):
        case = ctx.case(10 + k)
        rng = ctx.rng(20 + k)
        run = ctx.run(case.layer)
        dout = ctx.dout(run.out, rng)
        grads = ctx.backward(run, dout)
        derived = ctx.variant.backward(dout, case.reference)
        for name in names:
            for _ in range(FD_DIRECTIONS):
                direction = rng.standard_normal(np.shape(case.layer[name]))
                numeric = _directional(ctx, case.layer, name, direction, dout, run.out)
                user = np.asarray(grads.get(name))
                if user.shape != np.shape(direction):
                    raise CheckFailed("fail", f"{ctx.label(name)} has shape {user.shape} but "
                                      f"{name} has "
                                      f"shape {np.shape(direction)}")
                scale = max(float(np.sum(np.abs(as_float(derived[name]) * direction))), 1e-300)
                err_user = abs(float(np.sum(as_float(user) * direction)) - numeric) / scale
                err_ref = abs(float(np.sum(as_float(derived[name]) * direction)) - numeric) / scale
                worst_user, worst_ref = max(worst_user, err_user), max(worst_ref, err_ref)
                tol = FD_TOL.get(np.asarray(run.out).dtype, FD_TOL[np.dtype(float)])
                agrees = abs(float(np.sum(as_float(user) * direction))
                             - float(np.sum(as_float(derived[name]) * direction))) / scale
                if err_user > tol and agrees <= tolerance(user) and err_user <= GUARD_LARGEST:
                    # the exact gradient of a slightly different forward (a guard such as
                    # log(y + 1e-7)): the forward check reports that, not this one
                    worst_ref = max(worst_ref, err_user)
                    continue
                if err_user > tol and not messages:
                    messages.append(
                        f"{ctx.label(name)} disagrees with finite differences of forward along "
                        f"a random direction v: ⟨{ctx.label(name)}, v⟩ = "
                        f"{float(np.sum(as_float(user) * direction)):.10g}, "
                        f"finite difference {numeric:.10g}, derived "
                        f"{float(np.sum(as_float(derived[name]) * direction)):.10g}; relative "
                        f"error {err_user:.2e}")
    if messages:
        return Check("finite_difference", "fail", messages[0], worst_user)
    note = "" if worst_ref < FD_TOL[np.dtype(float)] else (
        f"; the derived gradient does not match finite differences of this forward "
        f"(error {worst_ref:.1e}): forward computes a slightly different function (the "
        "forward check says how)")
    return Check("finite_difference", "pass",
                 f"{FD_ROUNDS * FD_DIRECTIONS} random directions per tensor agree{note}",
                 worst_user)


def _directional(ctx: Context, values: dict, name: str, direction, dout, out) -> float:
    x = as_float(values[name])
    dtype = np.asarray(out).dtype
    eps = np.finfo(dtype if np.issubdtype(dtype, np.floating) else float).eps
    h = eps ** (1 / 3) * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    totals = []
    for sign in (1, -1):
        out = ctx.run({**values, name: x + sign * h * direction}).out
        totals.append(float(np.sum(as_float(dout) * as_float(out))))
    return (totals[0] - totals[1]) / (2 * h)
