"""Random values for matrix formulas: random sizes, declared domains, declared constraints.

Every dimension symbol gets a random size (2 to 5) per sample, so checks run at many sizes.
Square matrices are drawn near the identity (I + noise of norm below 1/2), which keeps them
invertible with a positive determinant (det, log det and inv are then defined). A name with a
declared constraint sum(t, axis=k) = 1 is drawn positive and normalised along that axis.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.matrix.nodes import AxisSum, SumAll
from derive.matrix.shapes import MatrixDimension, matrix_symbol

DEFAULT_DOMAIN = (-3.0, 3.0)
POSITIVE_DOMAIN = (0.2, 3.0)


def random_sizes(shapes: dict, rng: np.random.Generator) -> dict:
    dims = sorted({d for name, dims in shapes.items() for d in matrix_symbol(name, dims).shape
                   if isinstance(d, MatrixDimension)}, key=str)
    return {d: int(rng.integers(2, 6)) for d in dims}


def normalised_names(identities: dict) -> dict:
    """name -> axis (None for all entries) for identities sum(name, axis) = 1."""
    result = {}
    for left, right in identities.items():
        ones = isinstance(right, sp.OneMatrix) or right == 1
        if ones and isinstance(left, (AxisSum, SumAll)) and isinstance(left.arg, sp.MatrixSymbol):
            result[left.arg.name] = left.axis if isinstance(left, AxisSum) else None
    return result


def sample_matrices(names: list[str], shapes: dict, domains: dict, normalised: dict,
                    rng: np.random.Generator, sizes: dict | None = None) -> dict:
    """A dict name -> float64 array (or float for a scalar name)."""
    sizes = sizes if sizes is not None else random_sizes(shapes, rng)
    values = {}
    for name in names:
        low, high = domains.get(name, DEFAULT_DOMAIN)
        if name not in shapes:
            values[name] = float(rng.uniform(low, high))
            continue
        rows, cols = matrix_symbol(name, shapes[name]).shape
        shape = (int(sizes.get(rows, rows)), int(sizes.get(cols, cols)))
        if name in normalised:
            value = rng.uniform(0.1, 1.0, size=shape)
            axis = normalised[name]
            values[name] = value / value.sum(axis=axis, keepdims=axis is not None)
        elif rows == cols:
            noise = rng.uniform(-1.0, 1.0, size=shape)
            values[name] = np.eye(shape[0]) + 0.5 * noise / max(1.0, np.abs(noise).sum(1).max())
        else:
            values[name] = rng.uniform(low, high, size=shape)
    return values
