"""Check before trust: every derived gradient is compared with independent answers before it
is returned, by one entry point, `self_check`:

- symbolic (symbolic.py): sympy.diff of the whole formula, for formulas without matrices;
- explicit small matrices (explicit.py, entries.py): entrywise sympy.diff of the formula on
  sympy.Matrix objects of entry symbols, for formulas with matrices;
- finite differences (numeric.py): the compiled backward against the compiled forward, and
  the saved-value path against the input path, for every formula.

A disagreement raises DerivationMismatch: a wrong result is never returned.
"""

from __future__ import annotations

from derive.sampling import explicit_sizes
from derive.selfcheck.explicit import check_explicit, small_sizes
from derive.selfcheck.numeric import CheckResult, check_finite_differences
from derive.selfcheck.symbolic import check_symbolic
from derive.sweep import dout_symbol


def self_check(d, symbols: dict) -> list[CheckResult]:
    """The checks of derivation `d` (`symbols`: name -> its SymPy symbol), in order."""
    if d.shapes:
        sizes = explicit_sizes(d, [small_sizes(d.shapes), small_sizes(d.shapes, 2),
                                   small_sizes(d.shapes, 3)])
        checks = [check_explicit(d.expr, dout_symbol(d.expr), d.gradients, d.shapes, d.params,
                                 d.sample, sizes=sizes)]
    else:
        checks = check_symbolic(d.expr, d.gradients, symbols, d.domains)
    forward, backward = d.functions()
    checks.append(check_finite_differences(forward, backward, d.sample, d.inputs,
                                           d.saved_values if d.saved_names and not
                                           d.intermediates else None,
                                           rounds=4 if d.shapes else 3))
    return checks


__all__ = ["CheckResult", "self_check"]
