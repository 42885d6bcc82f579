"""Shared helpers for the matrix tests: derive once per formula, check numerically."""

from functools import cache

import numpy as np
from numgrad import numerical_gradient

from derive.pipeline import derive


@cache
def derived(op=None, formula=None, shapes=(), constants=()):
    """derive(...) once per test session (shapes as a tuple of (name, dims) pairs)."""
    if op is not None:
        return derive(op)
    return derive(formula=formula, shapes=dict(shapes), constants=constants)


def max_fd_error(derivation, rng, rounds=3):
    """Max relative error of the compiled backward against entrywise central differences,
    at random sizes (each dimension 2..5 per round), for every input."""
    forward, backward = derivation.functions()
    worst = 0.0
    for _ in range(rounds):
        values = derivation.sample(rng)
        out = forward(**values)
        dout = rng.standard_normal(np.shape(out))
        grads = backward(dout, **values)
        for name in derivation.inputs:
            def loss(v, name=name, values=values, dout=dout):
                return float(np.sum(dout * forward(**dict(values, **{name: v}))))
            numeric = numerical_gradient(loss, values[name])
            assert np.shape(grads[name]) == np.shape(values[name]), name
            scale = max(1.0, float(np.max(np.abs(numeric))))
            worst = max(worst, float(np.max(np.abs(grads[name] - numeric))) / scale)
    return worst
