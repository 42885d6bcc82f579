"""The tutorial's worked case: a matrix gradient written out entry by entry at size 2.

For each entry X[i, j] of each input, ∂L/∂X[i, j] = Σₖₗ dout[k, l] · ∂F[k, l]/∂X[i, j] from
sympy.diff on explicit 2×2 matrices, next to the same entry of the general closed form; both
are shown and compared (symbolically when they are equal as written, else at a random point
that satisfies the declared assumptions).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.printers.text import formula_text
from derive.selfcheck.entries import explicit, loss_summands, partial
from derive.selfcheck.explicit import explicit_setup, numeric_point, small_sizes
from derive.vocab.shapes import is_matrix

MAX_TERMS = 400
SIMPLIFY_LIMIT = 40


def worked_case(derivation, size: int = 2) -> list[dict]:
    """One dict per entry: input, entry, by_entries, general, agrees (empty when too large)."""
    shapes = derivation.shapes
    sizes = small_sizes(shapes, size)
    dout = sp.MatrixSymbol("dout", *derivation.expr.shape) if is_matrix(derivation.expr) \
        else sp.Symbol("dout", real=True)
    env, loss = explicit_setup(derivation.expr, dout, shapes, derivation.params, sizes)
    if sp.count_ops(loss) > MAX_TERMS:
        return []
    point = numeric_point(env, derivation.sample(np.random.default_rng(1), sizes),
                          np.random.default_rng(1))
    rows, summands = [], loss_summands(loss)
    for name in derivation.inputs:
        if not is_matrix(env[name]):
            continue
        general = explicit(derivation.gradients[name], env, sizes)
        general = general if is_matrix(general) else sp.ones(*env[name].shape) * general
        for (i, j), entry in np.ndenumerate(np.array(env[name].tolist(), dtype=object)):
            by_entries = sp.expand(partial(summands, entry))
            closed = sp.expand(general[i, j])
            difference = (by_entries - closed)
            same = difference == 0 or (sp.count_ops(difference) < SIMPLIFY_LIMIT
                                        and sp.simplify(difference) == 0)
            agrees = same or abs(complex(difference.xreplace(point).evalf(20))) < 1e-9
            rows.append({
                "input": name, "entry": f"{name}[{i}, {j}]", "symbol": str(entry),
                "by_entries": str(by_entries), "general": formula_text(derivation.gradients[name]),
                "general_entry": str(closed), "agrees": bool(agrees),
                "symbolic": bool(same)})
    return rows
