"""Check before trust for matrix gradients: explicit small matrices, entry by entry.

The formula is evaluated on sympy.Matrix objects of entry symbols at small sizes (2, 3, 4 for
the dimensions in order, or all equal where a matrix the formula inverts could not be invertible
otherwise, such as A @ B with A 3×2), the loss Σ dout ⊙ F is differentiated entry by entry with
sympy.diff, and the derived gradient, evaluated the same way, must agree at random points
(values drawn as for the finite-difference check, so declared constraints hold).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.errors import DerivationMismatch
from derive.printers.text import formula_text
from derive.selfcheck.entries import entry_gradients, explicit, explicit_loss, symbolic_env
from derive.selfcheck.numeric import CheckResult
from derive.vocab.shapes import MatrixDimension, is_matrix, matrix_symbol

TOLERANCE = 1e-9
MAX_EXPLICIT = 4  # numeric dimensions above this are checked at a small size


def small_sizes(shapes: dict, size: int | None = None) -> dict:
    """Small sizes for the explicit matrices: 2, 3, 4 in turn (or all `size`) for each symbolic
    dimension and each numeric one above 4 (gradients are the same formulas at any size)."""
    declared = {d for name, dims in shapes.items() for d in matrix_symbol(name, dims).shape}
    dims = sorted((d for d in declared if isinstance(d, MatrixDimension) or d > MAX_EXPLICIT),
                  key=lambda d: (not isinstance(d, MatrixDimension), str(d)))
    return {d: size or 2 + i % 3 for i, d in enumerate(dims)}


def explicit_setup(expr, dout, shapes: dict, names: list[str], sizes: dict):
    """(env of entry symbols for every name and dout, explicit loss Σ dout ⊙ F)."""
    env = symbolic_env({n: matrix_symbol(n, shapes[n]).shape for n in names if n in shapes}, sizes)
    for name in names:
        env.setdefault(name, sp.Symbol(name, real=True))
    if is_matrix(dout):
        env.update(symbolic_env({"dout": dout.shape}, sizes))
    else:
        env["dout"] = sp.Symbol("dout", real=True)
    return env, explicit_loss(expr, dout, env, sizes)


def numeric_point(env: dict, values: dict, rng) -> dict:
    """Entry symbol -> number, from sampled arrays (dout drawn at random)."""
    point = {}
    for name, holder in env.items():
        value = values.get(name)
        if value is None:
            value = rng.standard_normal(holder.shape if is_matrix(holder) else ())
        value = np.asarray(value, dtype=float)
        if is_matrix(holder):
            for (i, j), symbol in np.ndenumerate(np.array(holder.tolist(), dtype=object)):
                point[symbol] = sp.Float(value.reshape(holder.shape)[i, j], 20)
        else:
            point[holder] = sp.Float(float(value), 20)
    return point


def _as_array(value, point):
    value = value.xreplace(point)
    if is_matrix(value):
        return np.array(value.evalf(20).tolist(), dtype=float)
    return np.array(float(sp.N(value, 20)))


def check_explicit(expr, dout, gradients: dict, shapes: dict, names: list[str], sample,
                   points: int = 2, seed: int = 0, sizes: dict | None = None) -> CheckResult:
    """Each gradient agrees with entrywise sympy.diff on explicit small matrices (of `sizes`,
    by default small_sizes)."""
    sizes = small_sizes(shapes) if sizes is None else sizes
    env, loss = explicit_setup(expr, dout, shapes, names, sizes)
    rng = np.random.default_rng(seed)
    references = {n: entry_gradients(loss, env[n]) if is_matrix(env[n]) else sp.diff(loss, env[n])
                  for n in gradients}
    derived = {n: explicit(g, env, sizes) for n, g in gradients.items()}
    worst = 0.0
    for _ in range(points):
        point = numeric_point(env, sample(rng, sizes), rng)
        for name, expected in references.items():
            reference = _as_array(expected, point)
            value = np.broadcast_to(_as_array(derived[name], point), reference.shape)
            error = float(np.max(np.abs(value - reference)) / max(1.0, np.max(np.abs(reference))))
            if not error < TOLERANCE:
                raise DerivationMismatch(
                    f"derived gradient for '{name}' ({formula_text(gradients[name])}) disagrees "
                    f"with entrywise sympy.diff on explicit {_size_text(sizes)} matrices "
                    f"(relative error {error:.2e})")
            worst = max(worst, error)
    return CheckResult("explicit_matrices",
                       f"entrywise sympy.diff at sizes {_size_text(sizes)}, {points} points", worst)


def _size_text(sizes: dict) -> str:
    return ", ".join(f"{d}={n}" for d, n in sizes.items()) or "as declared"
