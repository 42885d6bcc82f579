"""Layers that train and test, draw random masks and keep running statistics.

The catalog entry's `protocol` says how hand-written layers of an operator are called:
- `config`: the entries of a cs231n config dict (`bn_param`, `dropout_param`, `pool_param`):
  the mode, the momentum, dropout's keep probability `p` and `seed`; an entry whose value names
  one of the operator's constants holds that constant (`pool_height = "pool_h"`); the other
  constants (eps, stride) join by their own names, and running statistics set by a check
  (`running_mean`) too;
- `usual`: constants a layer may take or hard-code (eps; the book writes 10e-7): passed only to
  a function that names them, else found among the usual values by the forward they explain;
- `drawn`: constants the layer draws itself (dropout's mask), read back from what it keeps
  (the cache of a function pair, the attributes of a class) after a forward whose random
  numbers are seeded, so that every run of one shape draws the same mask;
- `running`: running averages a layer keeps in training (`running_mean` of `mu`) and uses in
  test mode instead of the batch's statistics.
The mode is switched the way each style does: `mode` in the config dict, a `train_flg` /
`training` argument of a class's forward.
"""

from __future__ import annotations

import inspect

import numpy as np

MODE_FLAGS = ("train_flg", "training", "train", "is_training", "train_mode")
USUAL_FIT = 1e-9  # a hard-coded constant must explain the forward to this relative error
DRAW_SEED = 20240531  # the seed of numpy's global generator before every forward that draws


def optional_constants(protocol: dict) -> set[str]:
    """Constants a layer need not take as arguments."""
    return set(protocol.get("usual", {})) | set(protocol.get("drawn", ()))


def mode_flag(method) -> str | None:
    """The parameter of `method` that switches training on and off (train_flg), if any."""
    try:
        names = list(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        return None
    return next((n for n in names if n.lower() in MODE_FLAGS), None)


def config_dict(protocol: dict, values: dict, constants: list[str], mode: str,
                state: dict) -> dict:
    """A fresh config dict: the protocol's values, the constants by name, mode, state (an
    entry naming a constant, pool_height = "pool_h", is that constant's: the adapter's)."""
    config = {k: v for k, v in protocol.get("config", {}).items()
              if not (isinstance(v, str) and v in values)}
    for name in constants:
        if name in values and np.ndim(values[name]) == 0:
            config[name] = float(values[name])
    if "mode" in config or mode != "train":
        config["mode"] = mode
    config.update({k: np.array(v, copy=True) for k, v in state.items()})
    return config


def seed_draws(drawn) -> None:
    if drawn:
        np.random.seed(DRAW_SEED)


def recover_drawn(drawn, values: dict, kept, x, out) -> None:
    """Write the mask the layer drew into the arrays of `values` (in place, so that the
    reference sharing them sees it): the array kept beside the output that out = x ⊙ mask
    explains, else the one whose zeros are out's zeros (a mask scaled again elsewhere)."""
    if not drawn or x is None:
        return
    arrays = [a for a in _arrays(kept) if np.shape(a) == np.shape(x)
              and a is not x and not np.shares_memory(a, np.asarray(out))]
    x, out = np.asarray(x, dtype=float), np.asarray(out, dtype=float)
    if np.shape(out) != np.shape(x):
        return
    exact = [a for a in arrays if np.allclose(x * a, out, rtol=1e-6, atol=1e-12)]
    zeros = [a for a in arrays if np.array_equal(np.asarray(a) == 0, out == 0)]
    found = (exact or zeros or [None])[0]
    for name in drawn:
        target = values.get(name)
        if found is not None and isinstance(target, np.ndarray) and target.shape == x.shape:
            target[...] = np.asarray(found, dtype=float)


def _arrays(kept, depth: int = 0):
    """Arrays inside a cache (tuples, lists, dicts) or a layer's attributes."""
    if depth > 3:
        return
    if isinstance(kept, np.ndarray):
        yield kept
    elif isinstance(kept, (tuple, list)):
        for item in kept:
            yield from _arrays(item, depth + 1)
    elif isinstance(kept, dict):
        for item in kept.values():
            yield from _arrays(item, depth + 1)
    elif hasattr(kept, "__dict__") and depth == 0:
        for item in vars(kept).values():
            yield from _arrays(item, depth + 1)


def layer_protocol(derivation) -> dict:
    """The catalog entry's protocol for a derivation of a catalog operator, else {}."""
    from derive import catalog

    entry = catalog.load().get(derivation.name)
    return entry.protocol if entry is not None and entry.formula == derivation.text else {}


def usual_values(ctx, case) -> dict:
    """{constant: value} for constants the layer sets itself: of the value passed and the
    usual ones (eps = 1e-5, 1e-6, ...), the one whose reference forward is closest to the
    layer's; {} when the value passed is (the layer takes it)."""
    usual = ctx.adapter.protocol.get("usual", {})
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(ctx.adapter.start(case.layer).out, dtype=float)
    except Exception:  # the checks report a layer that cannot run
        return {}
    chosen = {}
    for name, candidates in usual.items():
        if name not in case.reference:
            continue
        tried = [None, *candidates]

        def error(value, name=name):
            values = case.reference if value is None else {**case.reference, name: np.asarray(value)}
            expected = np.asarray(ctx.variant.forward(values), dtype=float)
            if expected.shape != out.shape:
                return float("inf")
            return float(np.max(np.abs(expected - out)) / max(np.max(np.abs(expected)), 1e-300))

        best = min(tried, key=error)
        if best is not None and error(best) < USUAL_FIT:
            chosen[name] = float(best)
    return chosen
