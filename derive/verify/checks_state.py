"""The state check: a layer is used again and again, so every call must be right.

First the tutorial's trap (forward twice, then backward must use the latest input; backward
twice gives the same). Then one layer object (class style: the same instance; function pairs:
the same functions) runs a sequence of forward/backward calls on different inputs — sizes from
1 up, values near 0 and large — and every call's out and gradients are compared with the
derived ones; the first input comes back at the end and must give what it gave first.
"""

from __future__ import annotations

import numpy as np

from derive.verify.compare import FLOAT64_TOL, relative_error, tolerance
from derive.verify.context import Context, compare_all
from derive.verify.results import Check
from derive.verify.sampling import least_sizes

# (batch size or elementwise shape, scale of the inputs) of each call after the first
STEPS = [(1, 1.0), (3, 1e-3), (2, 1.0), (5, 30.0), (4, 1.0), (1, 1.0), (3, 1.0)]
ELEMENTWISE = {1: (1, 1), 2: (2, 1), 3: (3, 4), 4: (4, 2), 5: (2, 5)}


def check_state(ctx: Context) -> Check:
    found = _twice(ctx)
    if found.status != "pass":
        return found
    sequence = _sequence(ctx)
    return sequence if sequence is not None else found


def _twice(ctx: Context) -> Check:
    first, second = ctx.case(70), ctx.case(71)
    names = set(ctx.adapter.forward_names)
    current = {**first.layer, **{n: v for n, v in second.layer.items() if n in names}}
    run = ctx.run(current, warmup=first.layer)
    dout = ctx.dout(run.out, ctx.rng(72))
    once = {k: np.array(v, copy=True) for k, v in ctx.backward(run, dout).items()}
    again = ctx.backward(run, np.array(dout, copy=True) if np.ndim(dout) else dout)
    fresh = ctx.backward(ctx.run(current), dout)
    items = [(f"{ctx.label(n)} after two forwards", once.get(n), fresh[n], {}) for n in once]
    check = compare_all("state", items, tolerance(*once.values()))
    if check.status != "pass":
        check.message = (check.message.replace("(derived)", "(from a fresh layer)")
                         + " — backward must use the latest forward's input, not a stale one")
        return check
    for name, value in once.items():
        err = relative_error(again.get(name), value)
        if err > FLOAT64_TOL:
            return Check("state", "fail", f"a second backward gives a different "
                         f"{ctx.label(name)} (relative change {err:.1e}): backward changes the "
                         "layer's state (+= into a gradient or a saved array?)", err)
    return Check("state", "pass", "forward twice then backward uses the latest input; "
                 "backward twice gives the same", check.max_rel_err)


def _step_values(ctx: Context, k: int, size: int, scale: float):
    """A case for call k: the first call's parameters, new inputs of another size and scale."""
    first = ctx.case(700)
    sizes = ctx.sizes_of_dims
    if sizes is None:
        fixed = getattr(ctx.adapter, "init", None) or getattr(ctx.adapter, "attrs", None)
        sizes = None if fixed else ELEMENTWISE[size]
    else:
        varied = _batch_dimension(ctx)
        least = least_sizes(ctx.derivation)  # a batch of 2 normalises to ±1 whatever x is
        sizes = {d: (max(size, least.get(str(d), 1)) if d == varied else n)
                 for d, n in sizes.items()}
    case = ctx.case_at(ctx.rng(710 + k), sizes)
    for name in _held(ctx):
        case.layer[name], case.reference[name] = first.layer[name], first.reference[name]
    for name in ctx.derivation.inputs:
        if name not in _held(ctx):
            case.reference[name] = case.reference[name] * scale
            case.layer[name] = ctx.variant.layer_value(name, case.reference[name])
    return case


def _batch_dimension(ctx: Context):
    """The one dimension the calls vary: the first of the first input's that no parameter
    holds and that is not the class axis of the targets."""
    derivation = ctx.derivation
    held = {str(d) for n in _held(ctx) for d in derivation.shapes.get(n, ())}
    if ctx.variant.targets:
        _, axis = ctx.variant.targets
        held |= {str(derivation.shapes[c][axis]) for c in derivation.constants
                 if len(derivation.shapes.get(c, ())) > axis}
    first = derivation.shapes.get(derivation.inputs[0], ())
    return next((d for d in first if str(d) not in held and not str(d).isdigit()), None)


def _held(ctx: Context) -> list[str]:
    """The names a class-style layer keeps from its construction (parameters)."""
    return [d for _, d in getattr(ctx.adapter, "init", [])] + list(
        getattr(ctx.adapter, "attrs", []))


def _sequence(ctx: Context) -> Check | None:
    """Each call on the reused layer against the same call on a fresh one (state kept in the
    object), and the first input again at the end against its first result (state kept
    anywhere: a class attribute, a module-level counter)."""
    cases = [_step_values(ctx, 0, 2, 1.0)] + [
        _step_values(ctx, k, size, scale) for k, (size, scale) in enumerate(STEPS, start=1)]
    cases.append(cases[0])
    layer, first = None, None
    for k, case in enumerate(cases):
        run = ctx.run(case.layer, layer=layer)
        layer = getattr(run, "layer", None)
        dout = ctx.dout(run.out, ctx.rng(730 + k % (len(cases) - 1)))
        found = _results(ctx, run, dout)
        first = found if k == 0 else first
        size, scale = STEPS[k - 1] if 0 < k <= len(STEPS) else (2, 1.0)
        # what the forward and backward checks found right on their call must stay right on
        # every ordinary call (inaccuracy at other scales is extreme_inputs' business)
        trusted = {n for n in found if ("forward" if n == "out" else "backward") in ctx.passed}
        exact = _exact(ctx, case, dout) if scale == 1.0 and size > 1 and trusted else {}
        wrong = _wrong(ctx, {n: v for n, v in found.items() if n in trusted}, exact,
                       "the derived value")
        why = ("the same code was right when first checked, so the results depend on the "
               "calls before (a counter or a cache kept between calls?)")
        if not wrong and layer is not None:
            wrong = _wrong(ctx, found, _results(ctx, ctx.run(case.layer), dout), "a fresh layer")
            why = ("the layer keeps state between calls that changes its results (a counter, "
                   "a cached array of another size, += into a saved value?)")
        if wrong:
            return Check("state", "fail", f"call {k + 1} of {len(cases)} on one layer "
                         f"({_describe(case.layer)}) gives {wrong}: {why}",
                         counterexample={"call": k + 1})
    again = _wrong(ctx, found, first, "its first call")
    if again:
        return Check("state", "fail", f"the first input, given again as call {len(cases)} "
                     f"after {len(cases) - 2} calls on other inputs, gives {again}: the results "
                     "depend on the calls before (a counter or a cache kept between calls?)",
                     counterexample={"call": len(cases)})
    return Check("state", "pass", f"{len(cases)} calls on one layer (sizes from 1 up, inputs "
                 "near 0 and large) each give what a fresh layer gives; forward twice then "
                 "backward uses the latest input")


def _exact(ctx: Context, case, dout) -> dict:
    """The derived out and gradients for a case ({} when the formula does not take it)."""
    try:
        return {"out": ctx.variant.forward(case.reference),
                **ctx.variant.backward(dout, case.reference)}
    except Exception:  # noqa: BLE001  (a size the formula does not take: no reference)
        return {}


def _results(ctx: Context, run, dout) -> dict:
    grads = ctx.backward(run, dout)
    return {"out": np.array(run.out, copy=True),
            **{n: np.array(g, copy=True) for n, g in grads.items()}}


def _wrong(ctx: Context, found: dict, expected: dict, what: str) -> str:
    for name, value in found.items():
        if name not in expected:
            continue
        label = "out" if name == "out" else ctx.label(name)
        if np.shape(value) != np.shape(expected[name]):
            return f"{label} of shape {np.shape(value)} where {what} has {np.shape(expected[name])}"
        err = relative_error(value, expected[name])
        if err > tolerance(value):
            return f"a wrong {label} (relative error {err:.1e} against {what})"
    return ""


def _describe(values: dict) -> str:
    return ", ".join(f"{k} of shape {np.shape(v)}" for k, v in values.items()
                     if np.ndim(v) > 0)
