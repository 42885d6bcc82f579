"""Hypothesis search for the smallest input on which the layer disagrees with the derivation.

For elementwise operators the search draws one value per input (and dout) from the input's
domain, away from kinks, and lets Hypothesis shrink a failing draw to the simplest one.
"""

from __future__ import annotations

import numpy as np

from derive.verify.compare import relative_error, tolerance

MAX_EXAMPLES = 40


def smallest_counterexample(ctx, which: str) -> dict | None:
    """{inputs, dout} of a shrunk failing input for `which` ('forward' or 'backward'), or None."""
    derivation = ctx.derivation
    if derivation.shapes or not ctx.variant.is_default:
        return None
    try:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis import strategies as st
        from hypothesis.errors import NoSuchExample
    except ImportError:
        return None
    floats = {n: st.floats(*derivation.domains.get(n, (-3.0, 3.0)), allow_nan=False,
                           allow_infinity=False) for n in derivation.params}
    floats["dout"] = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    strategy = st.fixed_dictionaries(floats)

    def fails(point) -> bool:
        values = {n: np.array([point[n]]) for n in derivation.params}
        if _near_kink(derivation, values):
            return False
        try:
            run = ctx.adapter.start(values)
            if which == "forward":
                return relative_error(run.out, ctx.variant.forward(values)) > tolerance(run.out)
            dout = 1.0 if np.ndim(run.out) == 0 else np.array([point["dout"]])
            grads = run.backward(dout)
            expected = ctx.variant.backward(dout, values)
            return any(relative_error(grads[n], expected[n]) > tolerance(grads[n])
                       for n in ctx.adapter.grad_names)
        except Exception:  # a crash is reported by the checks; the search wants wrong values
            return False

    try:
        point = find(strategy, fails, settings=settings(
            max_examples=MAX_EXAMPLES, database=None, deadline=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck)))
    except NoSuchExample:
        return None
    except Exception:  # the search is a bonus; never let it break a verdict
        return None
    return {"inputs": {n: [point[n]] for n in derivation.params},
            "dout": [point["dout"]] if which == "backward" else None, "shrunk": True}


_KINKS: dict = {}


def _near_kink(derivation, values) -> bool:
    if not derivation.kinks:
        return False
    from derive.codegen import compile_expression

    key = (derivation.name, str(derivation.expr))
    if key not in _KINKS:
        _KINKS[key] = [compile_expression(k, derivation.params, "kink") for k in derivation.kinks]
    return any(np.any(np.abs(fn(**values)) < 1e-3) for fn in _KINKS[key])
