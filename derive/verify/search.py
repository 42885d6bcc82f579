"""Hypothesis search for the smallest input on which the layer disagrees with the derivation.

Elementwise operators: one value per input (and dout) drawn from the input's domain, away from
kinks; Hypothesis shrinks a failing draw to the simplest numbers. Matrix operators: the sizes
of the symbolic dimensions (1 to 4) and the seed of the values; Hypothesis shrinks to the
smallest failing sizes.
"""

from __future__ import annotations

import numpy as np

from derive.catalog import DEFAULT_DOMAIN
from derive.verify.compare import relative_error, tolerance

MAX_EXAMPLES = 40


def smallest_counterexample(ctx, which: str) -> dict | None:
    """{inputs, dout, shrunk} of a shrunk failing input for 'forward' or 'backward', or None."""
    try:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis import strategies as st
        from hypothesis.errors import NoSuchExample
    except ImportError:
        return None
    derivation = ctx.derivation
    if derivation.shapes:
        strategy, make = _matrix_strategy(ctx, st)
    elif ctx.variant.is_default:
        strategy, make = _scalar_strategy(ctx, st)
    else:
        return None

    def fails(point) -> bool:
        made = make(point)
        return made is not None and _disagrees(ctx, which, *made)

    try:
        point = find(strategy, fails, settings=settings(
            max_examples=MAX_EXAMPLES, database=None, deadline=None,
            phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck)))
    except NoSuchExample:
        return None
    except Exception:  # the search is a bonus; never let it break a verdict  # noqa: BLE001
        return None
    case, dout = make(point)
    if which == "backward":
        out = ctx.adapter.start(case.layer).out  # the same dout as _disagrees used
        if np.ndim(out) == 0:
            dout = 1.0
        elif dout is None:
            dout = np.random.default_rng(0).standard_normal(np.shape(out))
    return {"inputs": {n: np.asarray(v).tolist() for n, v in case.layer.items()},
            "dout": None if which == "forward" else np.asarray(dout).tolist(), "shrunk": True}


def _scalar_strategy(ctx, st):
    from derive.verify.conventions import Case

    derivation = ctx.derivation
    floats = {n: st.floats(*derivation.domains.get(n, DEFAULT_DOMAIN), allow_nan=False,
                           allow_infinity=False) for n in derivation.params}
    floats["dout"] = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)

    def make(point):
        values = {n: np.array([point[n]]) for n in derivation.params}
        if _near_kink(derivation, values):
            return None
        return Case(values, values), np.array([point["dout"]])

    return st.fixed_dictionaries(floats), make


def _matrix_strategy(ctx, st):
    from derive.verify.sampling import fixed_sizes

    dims = list(fixed_sizes(ctx.derivation, np.random.default_rng(0)))
    strategy = st.tuples(st.lists(st.integers(1, 4), min_size=len(dims), max_size=len(dims)),
                         st.integers(0, 2 ** 16))

    def make(point):
        sizes, seed = point
        rng = np.random.default_rng(seed)
        case = ctx.case_at(rng, dict(zip(dims, sizes)))
        return case, None

    return strategy, make


def _disagrees(ctx, which: str, case, dout) -> bool:
    try:
        run = ctx.adapter.start(case.layer)
        if which == "forward":
            return relative_error(run.out, ctx.variant.forward(case.reference)) > tolerance(run.out)
        if np.ndim(run.out) == 0:
            dout = 1.0
        elif dout is None:
            dout = np.random.default_rng(0).standard_normal(np.shape(run.out))
        grads = run.backward(dout)
        expected = ctx.variant.backward(dout, case.reference)
        return any(relative_error(grads[n], expected[n]) > tolerance(grads[n])
                   for n in ctx.adapter.grad_names)
    except Exception:  # a crash is reported by the checks; the search wants wrong values  # noqa: BLE001
        return False


_KINKS: dict = {}


def _near_kink(derivation, values) -> bool:
    if not derivation.kinks:
        return False
    from derive.codegen.source import compile_expression

    key = (derivation.name, str(derivation.expr))
    if key not in _KINKS:
        _KINKS[key] = [compile_expression(k, derivation.params, "kink") for k in derivation.kinks]
    return any(np.any(np.abs(fn(**values)) < 1e-3) for fn in _KINKS[key])
