"""Checks of layers that train and test (derive.verify.modes): running statistics and masks.

- `running_stats`: a training forward updates the running averages the protocol names
  (running = momentum·running + (1 − momentum)·batch statistic), in the config dict or the
  layer's attributes (that update is the protocol, not a side effect); a test forward uses
  them in place of the batch's statistics and leaves them alone.
- `train_test_scaling`: a layer that draws a mask keeps the expectation: the mean training
  output (over many draws) equals the test output. Inverted dropout (mask/p in training,
  identity at test) and scale-at-test dropout (0/1 mask, ×keep at test) both pass and are named;
  scaled twice, not at all or by p instead of 1/p fail, said in those words.
"""

from __future__ import annotations

import numpy as np

from derive.verify.compare import relative_error, tolerance
from derive.verify.context import CheckFailed, Context
from derive.verify.results import Check

MOMENTUM = 0.9
SCALING_SHAPE = (400, 500)  # 200 000 draws: the kept fraction is known to ±0.3 %
SCALING_TOL = 0.02


def check_running_stats(ctx: Context) -> Check | None:
    running = getattr(ctx.adapter, "protocol", {}).get("running")
    intermediates = getattr(ctx.derivation, "intermediates", {})
    if not running or not all(stat in intermediates for stat in running.values()):
        return None
    case = ctx.case(110)
    rng = ctx.rng(111)
    batch = batch_statistics(ctx.derivation, case.reference)
    as_kept = (lambda v: np.reshape(v, -1)) if ctx.variant.vectors else (lambda v: v)
    before = {name: as_kept(np.abs(rng.standard_normal(np.shape(batch[stat]))) + 0.5)
              for name, stat in running.items()}
    trained, layer = _run_with(ctx, case, "train", before)
    momentum = _momentum(ctx, layer)
    for name, stat in running.items():
        found = _kept(ctx, layer, name)
        if found is None:
            return Check("running_stats", "fail", f"after a training forward the layer keeps no "
                         f"{name} (the running average of {stat})")
        expected = momentum * before[name] + (1 - momentum) * as_kept(batch[stat])
        err = relative_error(np.reshape(found, np.shape(expected)), expected)
        if err > tolerance(found):
            return _wrong_update(name, stat, found, before[name], as_kept(batch[stat]),
                                 momentum, np.shape(case.reference[ctx.derivation.inputs[0]]),
                                 err)
    tested, layer = _run_with(ctx, case, "test", before)
    overrides = {stat: np.reshape(before[name], np.shape(batch[stat]))
                 for name, stat in running.items()}
    forward, _ = ctx.derivation.functions()
    expected = forward(**case.reference, **overrides)
    err = relative_error(np.asarray(tested.out, dtype=float), expected)
    if err > tolerance(tested.out):
        same = relative_error(np.asarray(tested.out), np.asarray(trained.out)) < 1e-12
        why = ("it still normalises with the batch's own statistics" if same
               else "it does not compute the training formula with the running statistics")
        return Check("running_stats", "fail", f"test mode: out differs from the formula with "
                     f"{', '.join(f'{s} = {n}' for n, s in running.items())} (relative error "
                     f"{err:.2e}): {why}", err)
    for name in running:
        found = _kept(ctx, layer, name)
        if found is not None and relative_error(np.reshape(found, np.shape(before[name])),
                                                before[name]) > 0:
            return Check("running_stats", "fail", f"test mode changes {name}: running "
                         "averages are updated only in training")
    return Check("running_stats", "pass", f"training updates {', '.join(running)} with "
                 f"momentum {momentum:g}; test mode uses them and leaves them unchanged")


def _wrong_update(name, stat, found, before, batch, momentum, x_shape, err) -> Check:
    found = np.reshape(found, np.shape(before))
    n = x_shape[0]
    guesses = {
        "the weights are swapped: momentum multiplies the batch statistic instead of the "
        "running value (running = momentum·running + (1 − momentum)·batch)":
            (1 - momentum) * before + momentum * batch,
        "it is not updated in training": before,
        "it is replaced by the batch statistic (momentum ignored)": batch,
    }
    if n > 1:
        unbiased = momentum * before + (1 - momentum) * batch * n / (n - 1)
        if relative_error(found, unbiased) < 1e-9:
            return Check("running_stats", "warn", f"{name} averages the unbiased variance "
                         f"(÷(N − 1)) of the batch, as PyTorch keeps it; the formula's {stat} "
                         "is biased (÷N), as cs231n and the book keep it", err)
    cause = next((text for text, value in guesses.items()
                  if relative_error(found, value) < 1e-9), "")
    return Check("running_stats", "fail", f"{name} after a training forward differs from "
                 f"momentum·{name} + (1 − momentum)·{stat} (relative error {err:.2e})"
                 + (f": {cause}" if cause else ""), err)


def check_train_test_scaling(ctx: Context) -> Check | None:
    drawn = getattr(ctx.adapter, "drawn", ())
    if not drawn:
        return None
    x = np.full(SCALING_SHAPE, 1.0)
    values = {**ctx.case(120).layer}
    values = {k: (x if k == ctx.derivation.inputs[0] else np.zeros_like(x) if k in drawn else v)
              for k, v in values.items()}
    train, _ = _run_with(ctx, None, "train", {}, values)
    test, _ = _run_with(ctx, None, "test", {}, values)
    train_out = np.asarray(train.out, dtype=float)
    test_out = np.asarray(test.out, dtype=float)
    kept = float(np.mean(train_out != 0))
    scale = float(np.mean(train_out[train_out != 0])) if kept else 0.0
    at_test = float(np.mean(test_out))
    p = getattr(ctx.adapter, "protocol", {}).get("config", {}).get("p")
    named = _named_p(p, kept) if getattr(ctx.adapter, "config", False) else ""
    if abs(kept * scale - at_test) <= SCALING_TOL * max(at_test, 1e-12):
        inverted = abs(at_test - 1) <= SCALING_TOL
        style = ("inverted dropout: kept units scaled by 1/keep in training, identity at test"
                 if inverted else
                 "scale-at-test dropout: an unscaled mask in training, ×keep at test")
        ctx.notes.append(("inverted dropout" if inverted else "scale-at-test dropout")
                         + named.replace(";", ",", 1).replace(" (cs231n)", ""))
        return Check("train_test_scaling", "pass", f"{style}; keep fraction {kept:.3f}{named}; "
                     "the mean training output equals the test output")
    return Check("train_test_scaling", "fail",
                 f"the mean training output is {kept * scale:.4g}·x but the test output is "
                 f"{at_test:.4g}·x (keep fraction {kept:.3f}, kept units ×{scale:.4g}): "
                 + _scaling_slip(kept, scale, at_test), abs(kept * scale - at_test))


def _named_p(p, kept) -> str:
    if p is None:
        return ""
    if abs(kept - p) <= SCALING_TOL:
        return f"; p = {p:g} is the keep probability (cs231n)"
    if abs(kept - (1 - p)) <= SCALING_TOL:
        return f"; p = {p:g} is read as the drop probability (as PyTorch's p)"
    return f"; p = {p:g} explains neither the kept nor the dropped fraction"


def _scaling_slip(kept, scale, at_test) -> str:
    def near(a, b):
        return abs(a - b) <= SCALING_TOL * max(abs(b), 1e-12)

    if near(scale, 1 / kept**2) or (near(scale, 1 / kept) and near(at_test, kept)):
        return "dropout is scaled twice (by 1/p where the mask already is, or in training and at test)"
    if near(scale, 1) and near(at_test, 1):
        return "dropout is not scaled at all: neither ×1/p in training nor ×p at test"
    if near(scale, kept):
        return "the kept units are multiplied by p instead of divided by p"
    return "the expectation changes between training and test"


def _run_with(ctx, case, mode, state, values=None):
    adapter = ctx.adapter
    adapter.mode, adapter.state = mode, state
    try:
        run = ctx.run(values if values is not None else case.layer)
    finally:
        adapter.mode, adapter.state = "train", {}
    return run, getattr(run, "layer", None)


def _momentum(ctx, layer) -> float:
    if layer is not None:
        return float(getattr(layer, "momentum", MOMENTUM))
    return float(getattr(ctx.adapter, "protocol", {}).get("config", {}).get("momentum", MOMENTUM))


def _kept(ctx, layer, name):
    if layer is not None:
        value = getattr(layer, name, None)
    else:
        value = (ctx.adapter.config_used or {}).get(name)
    return None if value is None else np.asarray(value, dtype=float)


def batch_statistics(derivation, values: dict) -> dict:
    """Each named intermediate's value on `values` (mu, var of the batch)."""
    from derive.codegen.source import compile_expression

    found = {}
    for name, value in derivation.intermediates.items():
        fn = compile_expression(derivation.inlined(value), derivation.params, "statistic",
                                derivation.shapes)
        found[name] = np.asarray(fn(**{n: values[n] for n in derivation.params}), dtype=float)
    if not found:
        raise CheckFailed("error", "the derivation has no named statistics")
    return found


def check_mask_reuse(ctx: Context) -> Check | None:
    """backward multiplies by the mask forward drew, not by a new draw."""
    drawn = getattr(ctx.adapter, "drawn", ())
    if not drawn:
        return None
    case = ctx.case(130)
    run = ctx.run(case.layer)
    dout = np.abs(ctx.dout(run.out, ctx.rng(131))) + 0.5  # no zeros: dx/dout is the mask
    grads = ctx.backward(run, dout)
    name = ctx.derivation.inputs[0]
    found = np.asarray(grads.get(name), dtype=float) / dout
    mask = np.asarray(case.reference[drawn[0]], dtype=float)
    if found.shape != mask.shape or np.array_equal(found == 0, mask == 0):
        return Check("mask_reuse", "pass", "backward uses the mask forward drew")
    return Check("mask_reuse", "fail", f"d{name} is zero at {int(np.sum((found == 0) != (mask == 0)))} "
                 f"of {mask.size} entries where forward's mask is not, or the reverse: backward "
                 "draws a new mask instead of using the one forward drew (keep it in the cache "
                 "or on the layer)")
