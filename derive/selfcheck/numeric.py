"""Check before trust, numerically: the compiled backward against central finite differences of the compiled
forward, along random directions, at random points of each input's domain; the saved-value path
against the input path. A disagreement raises DerivationMismatch.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from derive.errors import DerivationMismatch, DeriveError

FD_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: the name of the check, what was compared, the worst error."""

    name: str
    detail: str
    max_error: float


def check_finite_differences(forward, backward, sample, inputs: list[str],
                             saved, rounds: int = 3, seed: int = 0) -> CheckResult:
    """Compiled backward vs central differences of compiled forward along random directions;
    where backward takes saved values, `saved(values)` gives them (name -> value) and the
    gradients from them must be those backward computes alone.

    `sample(rng)` returns a dict of float64 values for every parameter of forward. NumPy's
    warnings stay inside: what goes wrong is said once, in the error raised.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _finite_differences(forward, backward, sample, inputs, saved, rounds, seed)


def _finite_differences(forward, backward, sample, inputs, saved, rounds, seed) -> CheckResult:
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(rounds):
        values = sample(rng)
        out = forward(**values)
        if not np.all(np.isfinite(out)):
            point = ", ".join(f"{n}={np.ravel(v)[:3]}" for n, v in values.items())
            raise DeriveError(f"formula: not finite at random inputs of its domain ({point}); "
                              "use a formula defined for real inputs of moderate size")
        dout = rng.standard_normal(np.shape(out))
        grads = backward(dout, **values)
        if saved:
            saved_grads = backward(dout, **values, **saved(values))
            for name in inputs:
                worst = _worse(worst, _relative(saved_grads[name], grads[name]))
        for name in inputs:
            direction = rng.standard_normal(np.shape(values[name]))
            scale = max(1.0, float(np.max(np.abs(values[name]))))
            analytic = np.sum(grads[name] * direction)
            # a small step loses digits to rounding where forward sums large terms that
            # cancel, a larger one to curvature: the gradient must match at one of them
            errors = []
            for step in (1e-6 * scale, 1e-4 * scale):
                plus = dict(values, **{name: values[name] + step * direction})
                minus = dict(values, **{name: values[name] - step * direction})
                numeric = np.sum(dout * (forward(**plus) - forward(**minus))) / (2 * step)
                errors.append(_relative(analytic, numeric))
            worst = _worse(worst, float("nan") if any(map(math.isnan, errors)) else min(errors))
    if not worst < FD_TOLERANCE:
        raise DerivationMismatch(
            f"compiled gradient disagrees with finite differences (relative error {worst:.2e})")
    return CheckResult("finite_difference", f"{rounds} random points and directions", worst)


def _worse(worst: float, error: float) -> float:
    """The larger error, where NaN (a gradient or difference that is not a number) is worst."""
    return float("inf") if math.isnan(error) else max(worst, error)


def _relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return float(np.max(np.abs(a - b)) / scale) if a.size else 0.0
