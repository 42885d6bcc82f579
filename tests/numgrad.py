"""Central finite differences for the tests, written independently of ``derive``."""

import numpy as np

H = 1e-6


def numerical_gradient(f, x, h=H):
    """Entrywise central differences of the scalar function ``f`` at ``x`` (float64)."""
    x = np.array(x, dtype=np.float64)  # our own copy: f never sees the caller's array
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + h
        f_plus = f(x.copy())
        x[idx] = orig - h
        f_minus = f(x.copy())
        x[idx] = orig
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def directional_derivative(f, x, v, h=H):
    """Central difference of ``f`` at ``x`` along the direction ``v``: ≈ ⟨∇f(x), v⟩."""
    x = np.asarray(x, dtype=np.float64)
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
