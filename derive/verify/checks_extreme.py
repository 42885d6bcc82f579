"""The extreme-inputs check: every input scaled up to |x| = 1000 (and, for positive domains,
down to tiny values), in float64.

Severity follows harm: a NaN anywhere, a non-finite or wrong gradient, or a non-finite
activation output (it feeds the next layer) where the exact value is finite fails. A
non-finite *loss value* (a terminal scalar) whose gradients are finite and right is a warning
naming the input size where it starts. The cause is read from NumPy's own floating-point error
flags raised while the layer ran: exp overflowing to inf, or a probability underflowing to 0
inside a log (the usual cause in a softmax loss that already subtracts the max).
"""

from __future__ import annotations

import contextlib

import numpy as np

from derive.verify.compare import (
    as_float,
    index_text,
    number,
    relative_error,
    tolerance,
    worst_entry,
)
from derive.verify.context import Context
from derive.verify.guards import find_log_guard, guard_text
from derive.verify.results import Check

MODERATE_SCALE = 60.0     # largest |x|: exp stays finite; a clipped log or probability shows
EXTREME_SCALE = 1000.0    # largest |x|: exp overflows unless the form is stable
TINY_SCALE = 3e-3
EXTREME_TOL = 1e-6
SATURATION_SCALES = (15.0, 60.0)
EXTREME_FLOOR = 1e-3
ONSET_STEPS = 7

UNDERFLOW_LOG = ("a probability underflowed to 0 and its log is −inf (NumPy flagged a divide "
                 "by zero in log, no overflow); subtracting the max does not prevent this: "
                 "compute the log-probabilities directly, log-softmax = shifted − log Σ "
                 "exp(shifted) with shifted = x − max(x) (for a sigmoid, log σ(x) = "
                 "−logaddexp(0, −x)), instead of the log of the probabilities")
OVERFLOW = ("exp of a large number overflowed to inf (NumPy flagged an overflow); use a stable "
            "form: subtract the max before exp, np.logaddexp, or np.where on the sign")
INVALID = ("an invalid operation (inf − inf, 0 × inf or 0/0) gave NaN; use a stable form that "
           "never forms the infinities")
UNKNOWN = ("a value left float64's range (an overflow such as math.exp of a large number, or "
           "an underflow to 0); use a stable form (subtract the max, logaddexp)")


def check_extreme_inputs(ctx: Context) -> Check:
    """Inputs scaled to large (and, for positive domains, tiny) magnitudes."""
    worst, problems, guarded, loss_warnings = 0.0, [], [], []
    # tensors already wrong at ordinary inputs are reported by forward/backward; here only
    # their NaN/Inf counts, so that one bug does not show up twice (a guarded log is not wrong)
    pairs, reference, _ = _pairs(ctx, 1.0)
    ordinary = {t: relative_error(f, e) <= tolerance(f) or (
        t == "out" and find_log_guard(ctx.variant, reference, f, e) is not None)
        for t, f, e in pairs}
    is_loss = np.ndim(pairs[0][1]) == 0
    for label, factor in _extreme_factors(ctx):
        pairs, reference, flags = _pairs(ctx, factor)
        found_here = []
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
                found_here.append((tensor, found, message))
        if not found_here:
            continue
        tensor, found, message = found_here[0]
        cause = diagnosis(flags)
        if (is_loss and [t for t, *_ in found_here] == ["out"]
                and np.all(np.isinf(as_float(found)))):
            onset = _onset(ctx, factor)
            loss_warnings.append(
                f"the loss is {number(float(found))} at {label} inputs (largest |x| = "
                f"{abs(factor):g}; it starts near |x| ≈ {onset:.3g}) while every gradient stays "
                f"finite and right: {cause}; only the reported loss value is affected (a fail "
                "under --strict)")
            continue
        where = (" (an activation's output feeds the next layer)"
                 if tensor == "out" and not is_loss else "")
        problems.append(f"{message}{where}: {cause}" if "inaccurate" not in message
                        else message)
    if not ordinary.get("out", True):
        problems[:0] = _saturation(ctx)
    if problems:
        return Check("extreme_inputs", "fail", "; ".join(problems[:2]), worst)
    if loss_warnings or guarded:
        return Check("extreme_inputs", "warn", (loss_warnings + guarded)[0], worst)
    return Check("extreme_inputs", "pass", "finite and accurate for inputs up to |x| = "
                 + ", ".join(f"{abs(f):g}" for _, f in _extreme_factors(ctx)), worst)


def diagnosis(flags: set) -> str:
    """The cause of a non-finite value, from NumPy's floating-point error flags."""
    if "overflow" in flags:
        return OVERFLOW
    if "divide by zero" in flags:
        return UNDERFLOW_LOG
    if "invalid value" in flags:
        return INVALID
    return UNKNOWN


@contextlib.contextmanager
def numpy_flags():
    """The set of NumPy floating-point errors ('overflow', 'divide by zero', ...) raised
    inside the block."""
    flags: set = set()
    previous = np.seterrcall(lambda kind, flag: flags.add(kind))
    try:
        with np.errstate(all="call"):
            yield flags
    finally:
        np.seterrcall(previous)


def _pairs(ctx: Context, factor: float) -> tuple[list, dict, set]:
    """([(tensor, found, exact) for out and every gradient], the reference values, NumPy's
    error flags while the layer ran), each input scaled so that its largest entry has
    magnitude |factor| (negative factor: signs flipped)."""
    case = ctx.case(40)
    for name in ctx.derivation.inputs:
        x = as_float(case.reference[name])
        peak = float(np.max(np.abs(x), initial=0)) or 1.0
        scale = 1.0 if factor == 1.0 else factor / peak
        case.reference[name] = x * scale
        case.layer[name] = ctx.variant.layer_value(name, case.reference[name])
    expected_out = ctx.variant.forward(case.reference)
    with numpy_flags() as flags:
        run = ctx.run(case.layer)
        dout = ctx.dout(run.out, ctx.rng(41))
        grads = ctx.backward(run, dout)
    expected = ctx.variant.backward(dout, case.reference)
    return [("out", run.out, expected_out)] + [
        (ctx.label(n), grads.get(n), expected[n]) for n in grads if n in expected], \
        case.reference, flags


def _onset(ctx: Context, failing: float) -> float:
    """The input magnitude (between 1 and |failing|) where the loss stops being finite."""
    low, high = 1.0, abs(failing)
    sign = 1.0 if failing > 0 else -1.0
    for _ in range(ONSET_STEPS):
        middle = (low * high) ** 0.5
        out = _pairs(ctx, sign * middle)[0][0][1]
        if np.all(np.isfinite(as_float(out))):
            low = middle
        else:
            high = middle
    return high


def _saturation(ctx: Context) -> list[str]:
    """Output that stops growing while the exact one grows: clipped values (np.clip)."""
    low, high = (_pairs(ctx, f)[0][0] for f in SATURATION_SCALES)
    found = [float(np.max(np.abs(as_float(p[1])), initial=0)) for p in (low, high)]
    exact = [float(np.max(np.abs(as_float(p[2])), initial=0)) for p in (low, high)]
    if (not all(np.isfinite(found + exact)) or exact[1] < 2.5 * exact[0]
            or found[1] > 1.25 * found[0]):
        return []
    low_peak, high_peak = SATURATION_SCALES
    return [(f"out stops growing as the inputs grow (largest input {low_peak:g}: "
             f"{number(found[0])}; {high_peak:g}: {number(found[1])}) while the exact value "
             f"grows ({number(exact[0])} → {number(exact[1])}): values are clipped (np.clip?) "
             "or saturate")]


def _extreme_factors(ctx: Context) -> list[tuple[str, float]]:
    factors = [("moderately large", MODERATE_SCALE), ("large", EXTREME_SCALE)]
    if all(ctx.derivation.domains.get(n, (-1, 1))[0] < 0 for n in ctx.derivation.inputs):
        factors.append(("large (signs flipped)", -EXTREME_SCALE))
    if all(ctx.derivation.domains.get(n, (-1, 1))[0] > 0 for n in ctx.derivation.inputs):
        factors.append(("tiny", TINY_SCALE))
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
                              f"{number(exact[index])}")
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
