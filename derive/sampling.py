"""Random values for matrix formulas: random sizes, declared domains, declared constraints.

Every dimension symbol gets a random size (2 to 5) per sample, so checks run at many sizes.
The graph says which values must be invertible: the argument of each inv and det node. A square
matrix that occurs in such an argument is drawn near the identity (I + noise of norm below 1/2:
invertible, positive determinant); the argument itself (X.T @ X, A @ B) must then have a
condition number below MAX_CONDITION, and a positive determinant where the det's consumer is
not real for a negative value (log det), or the sample is drawn again. A name with a declared
constraint sum(t, axis=k) = 1 is drawn positive and normalised along that axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.vocab.nodes import AxisSum, SumAll
from derive.vocab.shapes import MatrixDimension, matrix_symbol

DEFAULT_DOMAIN = (-3.0, 3.0)
POSITIVE_DOMAIN = (0.2, 3.0)
MAX_CONDITION = 1e3


@dataclass(frozen=True)
class Invertible:
    """A matrix the formula inverts or takes the determinant of; `positive`: det must be > 0."""

    argument: sp.Basic
    positive: bool


def invertible_arguments(graph) -> list[Invertible]:
    """The arguments of the graph's inv and det nodes, each once (positive if any needs it)."""
    found: dict = {}
    for node in graph.nodes:
        if isinstance(node.expr, (sp.Inverse, sp.Determinant)):
            positive = isinstance(node.expr, sp.Determinant) and _needs_positive(graph, node)
            found[node.expr.arg] = found.get(node.expr.arg, False) or positive
    return [Invertible(argument, positive) for argument, positive in found.items()]


def _needs_positive(graph, node) -> bool:
    """Whether a consumer of the scalar `node` is not real where its value is negative."""
    for consumer in graph.nodes:
        for holder, child in zip(consumer.placeholders, consumer.args):
            if child == node.id and consumer.func.xreplace({holder: sp.Rational(-1, 2)}).has(sp.I):
                return True
    return False


def near_identity_names(invertible: list[Invertible]) -> set[str]:
    """Square declared matrices occurring in an argument that must be invertible."""
    return {s.name for item in invertible for s in item.argument.atoms(sp.MatrixSymbol)
            if s.shape[0] == s.shape[1]}


def well_conditioned(arrays: list, positive: list[bool]) -> bool:
    """Each array's condition number is below MAX_CONDITION (and its det > 0 if required)."""
    for array, needs_positive in zip(arrays, positive):
        array = np.asarray(array, dtype=float)
        if not np.all(np.isfinite(array)) or not np.linalg.cond(array) < MAX_CONDITION:
            return False
        if needs_positive and not np.linalg.det(array) > 0:
            return False
    return True


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
                    rng: np.random.Generator, sizes: dict | None = None,
                    near_identity: set = frozenset()) -> dict:
    """A dict name -> float64 array (or float for a scalar name); the `near_identity` names
    are square matrices drawn close to I."""
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
        elif name in near_identity and shape[0] == shape[1]:
            noise = rng.uniform(-1.0, 1.0, size=shape)
            values[name] = np.eye(shape[0]) + 0.5 * noise / max(1.0, np.abs(noise).sum(1).max())
        else:
            values[name] = rng.uniform(low, high, size=shape)
    return values
