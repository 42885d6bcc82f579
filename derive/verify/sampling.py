"""Random inputs for a derivation: its own domain-, kink- and constraint-aware `sample`, with
elementwise operators on a small 2-D shape and matrix dimensions fixed per verification (and
distinct from each other where possible, so that a transposed result cannot hide); an index
operator at one judging point of sizes and integer constants."""

from __future__ import annotations

import numpy as np

ELEMENTWISE_SHAPE = (3, 4)
MATRIX_SIZES = (2, 3, 4, 5)


def fixed_sizes(derivation, rng: np.random.Generator) -> dict | None:
    """{dimension: size} for a matrix derivation's symbolic dimensions (None if elementwise);
    for an index derivation its judging point (sizes and integer constants that tile)."""
    if hasattr(derivation, "judging_point"):
        return derivation.judging_point(rng)
    if not derivation.shapes:
        return None
    dims = []
    for shape in derivation.shapes.values():
        for d in shape:
            if not _is_number(d) and d not in dims:
                dims.append(d)
    dims.sort(key=str)
    sizes = [int(n) for n in rng.permutation(MATRIX_SIZES)]
    while len(sizes) < len(dims):
        sizes.append(int(rng.integers(2, 6)))
    chosen = dict(zip(dims, sizes))
    least = least_sizes(derivation)
    for dim in dims:  # a batch of 2 normalises to ±1 whatever x is: no gradient to check
        if str(dim) in least and chosen[dim] < least[str(dim)]:
            taken = set(chosen.values())
            chosen[dim] = next(n for n in range(least[str(dim)], 99) if n not in taken)
    return chosen


def least_sizes(derivation) -> dict:
    """{dimension name: the smallest size its protocol allows} (batch norm: N >= 3)."""
    from derive.verify.modes import layer_protocol

    return layer_protocol(derivation).get("least_sizes", {})


def _is_number(d) -> bool:
    try:
        int(d)
        return True
    except (TypeError, ValueError):
        return False


def sample_values(derivation, rng: np.random.Generator, sizes=None) -> dict:
    """float64 values for every parameter of the derivation (`sizes`: {dimension: size} for a
    matrix derivation, the array shape for an elementwise one)."""
    if not derivation.shapes:
        return derivation.sample(rng, entries=sizes if isinstance(sizes, tuple)
                                 else ELEMENTWISE_SHAPE)
    sizes = fixed_sizes(derivation, rng) if sizes is None else sizes
    if hasattr(derivation, "judging_point"):
        return derivation.sample(rng, sizes)
    return {k: np.asarray(v, dtype=float) for k, v in derivation.sample(rng, sizes).items()}
