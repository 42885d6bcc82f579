"""Normwise comparison of a found tensor with the expected one, and the worst entry."""

from __future__ import annotations

import numpy as np

FLOAT64_TOL = 1e-10       # rounding between equal forms stays far below; 1e-6 in one entry does not
FLOAT32_TOL = 1e-5
FD_TOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 3e-2}


def tolerance(*arrays) -> float:
    """1e-10 for float64 work; looser when any of `arrays` is float32 (or lower)."""
    for a in arrays:
        dtype = np.asarray(a).dtype
        if np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > 1e-10:
            return FLOAT32_TOL
    return FLOAT64_TOL


def as_float(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def relative_error(found, expected) -> float:
    """max |found − expected| / max |expected| (inf when shapes differ or found is not finite)."""
    found, expected = np.asarray(found), np.asarray(expected)
    if found.shape != expected.shape:
        return float("inf")
    if found.size == 0:
        return 0.0
    f, e = as_float(found), as_float(expected)
    if not np.all(np.isfinite(f)):
        return float("inf")
    scale = max(float(np.max(np.abs(e))), 1e-300)
    return float(np.max(np.abs(f - e)) / scale)


def worst_entry(found, expected) -> tuple[tuple, float, float]:
    """(index, found value, expected value) of the largest difference."""
    f, e = as_float(found), as_float(expected)
    diff = np.where(np.isfinite(f), np.abs(f - e), np.inf)
    index = np.unravel_index(int(np.argmax(diff)), f.shape) if f.ndim else ()
    return tuple(int(i) for i in index), float(f[index]), float(e[index])


def index_text(index: tuple) -> str:
    return "[" + ", ".join(str(i) for i in index) + "]" if index else "(scalar)"


def number(value: float) -> str:
    return f"{value:.10g}"
