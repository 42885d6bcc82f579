"""Cost and sensitivity of gradient checking: `derive verify` vs a full finite-difference
check (2 forward calls per input element) vs torch.autograd.gradcheck (default, fast_mode),
on one sigmoid layer with a planted (1 + δ) factor in its backward."""

from __future__ import annotations

import time

import numpy as np
from planted import PlantedSigmoid
from timing import Capped, capped, seconds_text

SIZES = (100, 10_000, 1_000_000)
MEASURED_BASELINE_SIZES = (100, 10_000)   # the larger sizes are extrapolated from call counts
DELTAS = [10.0 ** -k for k in range(1, 13)]
SENSITIVITY_SIZE = 100
FD_STEP, FD_THRESHOLD = 1e-5, 1e-7        # cs231n's step and "you should be happy" bound


def derive_verify(elements: int) -> bool | str:
    """`derive verify planted:PlantedSigmoid --op sigmoid`, its samples of `elements` entries:
    True when a check failed (the planted error was found), False when all passed, else the
    check that could not judge (an error, such as its own time limit)."""
    from derive.verify import sampling, verify

    if not hasattr(sampling, "ELEMENTWISE_SHAPE"):   # never time verify at a size it ignores
        raise RuntimeError("derive.verify.sampling.ELEMENTWISE_SHAPE is gone: update the bench")
    default, sampling.ELEMENTWISE_SHAPE = sampling.ELEMENTWISE_SHAPE, (elements,)
    try:
        report = verify(["planted:PlantedSigmoid"], op="sigmoid")
    finally:
        sampling.ELEMENTWISE_SHAPE = default
    checks = [check for result in report.results for check in result.checks]
    if not checks:
        return "no checks ran: " + "; ".join(r.message for r in report.results)[:60]
    if any(check.status == "fail" for check in checks):
        return True
    errors = [f"{check.name}: {check.message[:60]}" for check in checks if check.status == "error"]
    return errors[0] if errors else False


def full_finite_difference(elements: int) -> bool:
    """Every entry of dL/dx by central differences of L = Σ dout·forward(x) (2 forward calls
    per entry, cs231n's eval_numerical_gradient_array), compared with one backward(dout) by
    cs231n's relative error."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, elements)
    dout = rng.standard_normal(elements)
    layer = PlantedSigmoid()
    layer.forward(x)
    analytic = layer.backward(dout)
    numeric = np.empty(elements)
    probe = PlantedSigmoid()
    for i in range(elements):
        keep = x[i]
        x[i] = keep + FD_STEP
        plus = probe.forward(x)
        x[i] = keep - FD_STEP
        minus = probe.forward(x)
        x[i] = keep
        numeric[i] = np.dot(plus - minus, dout) / (2 * FD_STEP)
    error = np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric),
                                                           1e-300))
    return bool(error > FD_THRESHOLD)


def gradcheck(elements: int, fast_mode: bool) -> bool:
    import torch

    class Layer(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.layer = PlantedSigmoid()
            return torch.from_numpy(ctx.layer.forward(x.detach().numpy().copy()))

        @staticmethod
        def backward(ctx, dout):
            return torch.from_numpy(np.asarray(ctx.layer.backward(dout.detach().numpy())))

    x = torch.tensor(np.random.default_rng(0).uniform(-3, 3, elements), dtype=torch.float64,
                     requires_grad=True)
    return not torch.autograd.gradcheck(Layer.apply, (x,), fast_mode=fast_mode,
                                        raise_exception=False)


def _run(checker, elements, delta):
    """(detected, seconds, forward calls, backward calls) of one check, in the capped child."""
    PlantedSigmoid.reset(delta)
    start = time.perf_counter()
    detected = checker(elements)
    seconds = time.perf_counter() - start
    return detected, seconds, PlantedSigmoid.calls["forward"], PlantedSigmoid.calls["backward"]


def _checkers():
    checkers = {"derive verify": derive_verify, "full finite differences": full_finite_difference}
    try:
        import torch  # noqa: F401
    except ImportError:
        return checkers, "torch not installed: no gradcheck rows (pip install 'derive[bench]')"
    checkers["gradcheck"] = lambda n: gradcheck(n, False)
    checkers["gradcheck fast_mode"] = lambda n: gradcheck(n, True)
    return checkers, None


def _smallest_detected(checker) -> str:
    """The smallest planted δ (a decade) the checker reports, by bisection over DELTAS
    (detection grows with δ)."""
    low, high = 0, len(DELTAS) - 1   # DELTAS[low] is assumed detected; search the last one
    try:
        if capped(_run, checker, SENSITIVITY_SIZE, DELTAS[0])[0] is not True:
            return f"not even {DELTAS[0]:g}"
        while low < high:
            middle = (low + high + 1) // 2
            if capped(_run, checker, SENSITIVITY_SIZE, DELTAS[middle])[0] is True:
                low = middle
            else:
                high = middle - 1
    except Capped as exc:
        return str(exc)
    return f"{DELTAS[low]:.0e}"


def test_verification_cost_and_sensitivity(results):
    section = results.section(
        "Verification: cost and the smallest planted error found (sigmoid layer)",
        ["checker", "elements", "time", "forward calls", "backward calls", "clean layer passes",
         f"smallest δ found (at {SENSITIVITY_SIZE})"])
    checkers, note = _checkers()
    _run(derive_verify, SENSITIVITY_SIZE, 0.0)   # derive the operator once, before forking
    if note:
        section.notes.append(note)
    seconds = {}
    sensitivity = {}
    for name, checker in checkers.items():
        sensitivity[name] = _smallest_detected(checker)
        per_call = None
        for elements in SIZES:
            measured = name in ("derive verify", "gradcheck fast_mode") or (
                elements in MEASURED_BASELINE_SIZES)
            if measured:
                try:
                    detected, took, forward, backward = capped(_run, checker, elements, 0.0)
                    seconds[name, elements] = took
                    per_call = took / max(1, forward + backward), elements
                    verdict = {True: "no (false alarm)", False: "yes"}.get(detected,
                                                                           f"no verdict ({detected})")
                    cells = [seconds_text(took), f"{forward:,}", f"{backward:,}", verdict]
                except Capped as exc:
                    seconds[name, elements] = None
                    cells = [str(exc), "-", "-", "-"]
            else:
                forward, backward = _extrapolated_calls(name, elements)
                # the per-call time grows with the array: scale the last measured one
                call_seconds = per_call[0] * elements / per_call[1]
                estimate = call_seconds * (forward + backward)
                seconds[name, elements] = estimate
                cells = [f"≈ {seconds_text(estimate)} (extrapolated)", f"{forward:,}",
                         f"{backward:,}", "-"]
            section.rows.append([name, f"{elements:,}", *cells,
                                 sensitivity[name] if elements == SIZES[0] else ""])
    section.notes.append(
        f"full finite differences: step {FD_STEP:g}, a relative error above {FD_THRESHOLD:g} "
        "counts as found (cs231n's rule of thumb); gradcheck: PyTorch's defaults (eps 1e-6, "
        "atol 1e-5, rtol 1e-3), the layer wrapped in a torch.autograd.Function. derive verify "
        "ran its own checks with its samples set to the given number of elements.")
    section.notes.append("each case capped at 60 s; smallest δ searched over the decades "
                         "1e-1 … 1e-12")
    _targets(results, seconds, sensitivity)
    assert section.rows


def _extrapolated_calls(name: str, elements: int) -> tuple[int, int]:
    if name == "full finite differences":
        return 2 * elements + 1, 1
    return 2 * elements + 1, elements   # gradcheck: numerical Jacobian + one VJP per output


def _targets(results, seconds, sensitivity):
    ours, full = seconds.get(("derive verify", 10_000)), seconds.get(
        ("full finite differences", 10_000))
    if ours and full:
        results.target("verification ≥ 10× cheaper than the full finite-difference check at "
                       "10,000", f"{full / ours:.1f}× cheaper ({seconds_text(ours)} vs "
                       f"{seconds_text(full)})", full / ours >= 10)
    else:
        results.target("verification ≥ 10× cheaper than the full check at 10,000", "-", None,
                       "a case was capped")
    found = {k: float(v) for k, v in sensitivity.items() if _is_number(v)}
    others = [k for k in ("gradcheck", "gradcheck fast_mode") if k in sensitivity]
    if "derive verify" in found and others:
        ours = found["derive verify"]
        theirs = min(found.get(k, np.inf) for k in others)
        results.target("verification more sensitive than gradcheck",
                       f"finds δ = {ours:.0e}; gradcheck {theirs:.0e}", ours < theirs)
    else:
        results.target("verification more sensitive than gradcheck", "-", None,
                       "torch not installed or a search was capped")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
