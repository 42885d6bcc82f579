"""The robustness checks: side effects, extreme inputs, dtypes and shapes, linearity in dout,
state between calls, and the convention at non-differentiable points."""

from __future__ import annotations

import numpy as np

from derive.verify.compare import (
    FLOAT64_TOL,
    as_float,
    index_text,
    number,
    relative_error,
    tolerance,
    worst_entry,
)
from derive.verify.context import CheckFailed, Context, as_list, compare_all
from derive.verify.guards import find_log_guard, guard_text
from derive.verify.kinkpoints import kink_case
from derive.verify.results import Check

MODERATE_SCALE = 20.0   # exp stays finite; a clipped log or probability shows
EXTREME_SCALE = 400.0   # exp overflows unless the form is stable
EXTREME_TOL = 1e-6
SATURATION_SCALES = (5.0, 20.0)
EXTREME_FLOOR = 1e-3
FLOAT32_VALUE_TOL = 1e-4


def check_side_effects(ctx: Context) -> Check:
    case = ctx.case(30)
    given = {k: np.array(v, copy=True) for k, v in case.layer.items()}
    run = ctx.run(given, copy=False)
    for name in getattr(ctx.adapter, "drawn", ()):  # a mask the layer drew is read back into it
        case.layer[name] = given[name]
    changed = _changed(given, case.layer)
    if changed:
        return Check("side_effects", "fail", f"forward changed its input {changed} in place; "
                     "work on a copy (x = x.copy()) or build a new array")
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
                     f"{number(was)}, now {number(now)}); a layer below that reuses dout sees "
                     "wrong values: compute dx as a new array (np.where(mask, 0, dout))")
    return Check("side_effects", "pass", "inputs, parameters and dout are left unchanged")


def _changed(now: dict, before: dict) -> str | None:
    for name, value in before.items():
        if not np.array_equal(now[name], value, equal_nan=True):
            index, new, old = worst_entry(now[name], value) if np.shape(now[name]) == np.shape(
                value) else ((), float("nan"), float("nan"))
            return f"{name} (entry {index_text(index)}: was {number(old)}, now {number(new)})"
    return None


def check_extreme_inputs(ctx: Context) -> Check:
    """Inputs scaled to large (and, for positive domains, tiny) magnitudes."""
    worst, problems, guarded = 0.0, [], []
    # tensors already wrong at ordinary inputs are reported by forward/backward; here only
    # their NaN/Inf counts, so that one bug does not show up twice (a guarded log is not wrong)
    pairs, reference = _pairs(ctx, 1.0)
    ordinary = {t: relative_error(f, e) <= tolerance(f) or (
        t == "out" and find_log_guard(ctx.variant, reference, f, e) is not None)
        for t, f, e in pairs}
    for label, factor in _extreme_factors(ctx):
        pairs, reference = _pairs(ctx, factor)
        for tensor, found, exact in pairs:
            err, message = _extreme_problem(tensor, found, exact, label, ordinary.get(tensor))
            guard = message and tensor == "out" and find_log_guard(
                ctx.variant, reference, found, exact, largest=None)
            if guard:
                guarded.append(f"out at {label} inputs is {number(np.max(found))} where the "
                               f"exact loss is {number(np.max(exact))}, exactly as "
                               f"{guard_text(*guard)}")
                continue
            worst = max(worst, err)
            if message:
                problems.append(message)
                break  # one finding per magnitude
    if not ordinary.get("out", True):
        problems[:0] = _saturation(ctx)
    if problems:
        return Check("extreme_inputs", "fail", "; ".join(problems[:2]), worst)
    if guarded:
        return Check("extreme_inputs", "warn", guarded[0], worst)
    return Check("extreme_inputs", "pass", "finite and accurate for inputs ×"
                 + ", ×".join(f"{f:g}" for _, f in _extreme_factors(ctx)), worst)


def _pairs(ctx: Context, factor: float) -> tuple[list, dict]:
    """([(tensor, found, exact) for out and every gradient], the reference values), each input
    scaled so that its largest entry has magnitude 3·|factor| (negative factor: signs flipped)."""
    case = ctx.case(40)
    for name in ctx.derivation.inputs:
        x = as_float(case.reference[name])
        peak = float(np.max(np.abs(x), initial=0)) or 1.0
        scale = 1.0 if factor == 1.0 else 3.0 * factor / peak
        case.reference[name] = x * scale
        case.layer[name] = ctx.variant.layer_value(name, case.reference[name])
    expected_out = ctx.variant.forward(case.reference)
    run = ctx.run(case.layer)
    dout = ctx.dout(run.out, ctx.rng(41))
    grads = ctx.backward(run, dout)
    expected = ctx.variant.backward(dout, case.reference)
    return [("out", run.out, expected_out)] + [
        (f"d{n}", grads.get(n), expected[n]) for n in grads if n in expected], case.reference


def _saturation(ctx: Context) -> list[str]:
    """Output that stops growing while the exact one grows: clipped values (np.clip)."""
    low, high = (_pairs(ctx, f)[0][0] for f in SATURATION_SCALES)
    found = [float(np.max(np.abs(as_float(p[1])), initial=0)) for p in (low, high)]
    exact = [float(np.max(np.abs(as_float(p[2])), initial=0)) for p in (low, high)]
    if (not all(np.isfinite(found + exact)) or exact[1] < 2.5 * exact[0]
            or found[1] > 1.25 * found[0]):
        return []
    low_peak, high_peak = (3 * f for f in SATURATION_SCALES)
    return [f"out stops growing as the inputs grow (largest input {low_peak:g}: "
            f"{number(found[0])}; {high_peak:g}: {number(found[1])}) while the exact value "
            f"grows ({number(exact[0])} → {number(exact[1])}): values are clipped (np.clip?) "
            "or saturate"]


def _extreme_factors(ctx: Context) -> list[tuple[str, float]]:
    factors = [("moderately large", MODERATE_SCALE), ("large", EXTREME_SCALE)]
    if all(ctx.derivation.domains.get(n, (-1, 1))[0] < 0 for n in ctx.derivation.inputs):
        factors.append(("large (signs flipped)", -EXTREME_SCALE))
    if all(ctx.derivation.domains.get(n, (-1, 1))[0] > 0 for n in ctx.derivation.inputs):
        factors.append(("tiny", 1e-3))
    return factors


def _extreme_problem(tensor, found, exact, label, accurate=True) -> tuple[float, str | None]:
    exact = as_float(exact)
    found = np.asarray(found, dtype=float) if found is not None else None
    if found is None or found.shape != exact.shape:
        return 0.0, None  # shapes are the business of dtype_shape
    finite = np.isfinite(exact)
    bad = finite & ~np.isfinite(found)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        return float("inf"), (f"{tensor} is {found[index]} at {label} inputs (entry "
                              f"{index_text(index)}) where the exact value is "
                              f"{number(exact[index])}: an overflow (exp of a large number?); "
                              "use a stable form (subtract the max, logaddexp, np.where)")
    if not finite.any() or not accurate:
        return 0.0, None
    # at extreme inputs values far below 1 (a gradient of 1e-35) may underflow to 0
    err = float(np.max(np.abs(np.where(finite, found - exact, 0)))) / max(
        float(np.max(np.abs(np.where(finite, exact, 0)))), EXTREME_FLOOR)
    if err > EXTREME_TOL:
        index, f, e = worst_entry(np.where(finite, found, 0), np.where(finite, exact, 0))
        return err, (f"{tensor} is inaccurate at {label} inputs: entry {index_text(index)} is "
                     f"{number(f)} but the exact value is {number(e)} (relative error "
                     f"{err:.1e}); clipping or an unstable form?")
    return err, None


def check_dtype_shape(ctx: Context) -> Check:
    case = ctx.case(50)
    run = ctx.run(case.layer)
    grads = ctx.backward(run, ctx.dout(run.out, ctx.rng(51)))
    for name, grad in grads.items():
        if np.shape(grad) != np.shape(case.layer[name]):
            return Check("dtype_shape", "fail", f"d{name} has shape {np.shape(grad)} but {name} "
                         f"has shape {np.shape(case.layer[name])}; a gradient has its input's shape")
    single = {k: (np.asarray(v, dtype=np.float32) if np.issubdtype(np.asarray(v).dtype,
                  np.floating) else v) for k, v in case.layer.items()}
    run32 = ctx.run(single)
    dout32 = np.asarray(ctx.dout(run32.out, ctx.rng(52)), dtype=np.float32)
    grads32 = ctx.backward(run32, dout32 if np.ndim(dout32) else 1.0)
    for tensor, value in [("out", run32.out), *[(f"d{n}", g) for n, g in grads32.items()]]:
        dtype = np.asarray(value).dtype
        if dtype != np.float32:
            # the values are right; a float32 network silently runs in float64 from here on
            return Check("dtype_shape", "warn", f"float32 inputs give {tensor} of dtype {dtype}: "
                         "a float64 constant or array promotes the result; keep the input's "
                         "dtype (x.dtype, np.float32 constants)")
    check = compare_all("dtype_shape", [("out (float32 vs float64)", run32.out, run.out, {})],
                        FLOAT32_VALUE_TOL)
    if check.status != "pass":
        return check
    out_dtype = np.asarray(run.out).dtype
    if out_dtype != np.float64:
        return Check("dtype_shape", "warn", f"float64 inputs give out of dtype {out_dtype}: "
                     "precision is lost")
    return Check("dtype_shape", "pass", "gradients have their inputs' shapes; float32 in, "
                 "float32 out")


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
                   else f"backward ignores dout (d{name} is the same for dout = 1 and 2.5)")
            return Check("linearity", "warn", f"{how}: right only while this is the last layer "
                         "and dout = 1; multiply by dout", err)
        cause = "it ignores dout" if ignored else "it is not proportional to dout"
        return Check("linearity", "fail", f"d{name} for 2.5·dout is not 2.5 × d{name} for dout "
                     f"(relative error {err:.2e}): {cause}; multiply the local derivative by "
                     "dout", err)
    return Check("linearity", "pass", "backward is linear in dout", worst)


def check_state(ctx: Context) -> Check:
    first, second = ctx.case(70), ctx.case(71)
    names = set(ctx.adapter.forward_names)
    current = {**first.layer, **{n: v for n, v in second.layer.items() if n in names}}
    run = ctx.run(current, warmup=first.layer)
    dout = ctx.dout(run.out, ctx.rng(72))
    once = {k: np.array(v, copy=True) for k, v in ctx.backward(run, dout).items()}
    again = ctx.backward(run, np.array(dout, copy=True) if np.ndim(dout) else dout)
    fresh = ctx.backward(ctx.run(current), dout)
    items = [(f"d{n} after two forwards", once.get(n), fresh[n], {}) for n in once]
    check = compare_all("state", items, tolerance(*once.values()))
    if check.status != "pass":
        check.message = (check.message.replace("(derived)", "(from a fresh layer)")
                         + " — backward must use the latest forward's input, not a stale one")
        return check
    for name, value in once.items():
        err = relative_error(again.get(name), value)
        if err > FLOAT64_TOL:
            return Check("state", "fail", f"a second backward gives a different d{name} "
                         f"(relative change {err:.1e}): backward changes the layer's state "
                         "(+= into a gradient or a saved array?)", err)
    return Check("state", "pass", "forward twice then backward uses the latest input; "
                 "backward twice gives the same", check.max_rel_err)


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
    for name, grad in grads.items():
        found, exact = as_float(grad), as_float(expected[name])
        if found.shape != exact.shape:
            raise CheckFailed("fail", f"d{name} has shape {found.shape}, expected {exact.shape}")
        if not np.all(np.isfinite(found[on_kink])):
            return Check("kink_convention", "fail", f"d{name} is NaN/Inf at the kink "
                         f"({description})", float("inf"))
        diff = np.abs(found - exact)[on_kink]
        if np.max(diff, initial=0) > 1e-9 * max(1.0, float(np.max(np.abs(exact)))):
            i = int(np.argmax(diff))
            slope_found = found[on_kink][i] / as_float(np.broadcast_to(dout, found.shape))[on_kink][i]
            return Check("kink_convention", "warn", f"at the kink ({description}) d{name} uses "
                         f"slope {number(slope_found)}, the catalog's convention is "
                         f"{convention}; both are subgradients, but results will differ from "
                         "the reference", float(np.max(diff)),
                         {"inputs": as_list(case.layer)})
    return Check("kink_convention", "pass", f"at the kink ({description}) it follows "
                 f"{convention}", 0.0)
