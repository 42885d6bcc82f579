"""Check before trust, symbolically: each gradient of a formula without matrices equals
dout · sympy.diff of the whole formula (the difference simplifies to 0, or the two agree at
random points where simplify cannot decide). A disagreement raises DerivationMismatch."""

from __future__ import annotations

import sympy as sp

from derive.errors import DerivationMismatch
from derive.selfcheck.numeric import CheckResult
from derive.simplify.scalar import agrees
from derive.sweep import DOUT
from derive.vocab.functions import ArraySum


def check_symbolic(expr, gradients: dict, symbols: dict, domains: dict) -> list[CheckResult]:
    """Each gradient equals dout · sympy.diff(expr, name)."""
    results = []
    for name, gradient in gradients.items():
        reference = DOUT * sp.diff(expr, symbols[name])
        if _is_zero(gradient - reference):
            results.append(CheckResult("sympy.diff", f"d/d{name}: difference simplifies to 0", 0.0))
            continue
        if gradient.has(ArraySum) or reference.has(ArraySum):
            # the pointwise comparison reads sum(x) as x (one entry), where min(sum(x), x)
            # sits on its kink: only finite differences on whole arrays can judge this one
            continue
        names = [symbols[n] for n in domains] + [DOUT]
        if not agrees(gradient, reference, names, domains, points=8):
            raise DerivationMismatch(
                f"derived gradient for '{name}' disagrees with sympy.diff of the whole formula: "
                f"{gradient} vs {reference}")
        results.append(CheckResult("sympy.diff", f"d/d{name}: agrees at 8 random points", 0.0))
    return results


def _is_zero(expr) -> bool:
    if sp.count_ops(expr) > 60:
        return False
    try:
        return sp.simplify(expr) == 0
    except (TypeError, ValueError, NotImplementedError):
        return False
