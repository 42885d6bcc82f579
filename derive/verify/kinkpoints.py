"""Inputs placed exactly on a non-differentiable point, found from the derivation's kinks.

For the first kink expression g (zero at the kink, e.g. `x` for ReLU, `x - y` for max) the
verifier solves g = 0 for one input with SymPy and sets every other entry to that solution, so
the convention the layer uses there (ReLU′(0) = 0 or 1) can be compared and reported.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.codegen.source import compile_expression

_SOLVED: dict = {}


def _solution(derivation):
    key = (derivation.name, str(derivation.expr))
    if key not in _SOLVED:
        _SOLVED[key] = None
        for kink in derivation.kinks:
            for symbol in sorted(kink.free_symbols, key=str):
                if str(symbol) not in derivation.inputs:
                    continue
                try:
                    solutions = sp.solve(sp.Eq(kink, 0), symbol)
                except NotImplementedError:  # hypot(x, y) = 0: not solvable for one name
                    continue
                real = [s for s in solutions if s.is_real is not False]
                if real:
                    fn = compile_expression(real[0], derivation.params, "kink_point")
                    _SOLVED[key] = (str(symbol), fn, f"{symbol} = {real[0]}", kink)
                    break
            if _SOLVED[key]:
                break
    return _SOLVED[key]


def kink_case(ctx):
    """(case, mask of entries on the kink, description) or None when the formula has no kink."""
    derivation = ctx.derivation
    if not derivation.kinks or derivation.shapes:
        return None
    solved = _solution(derivation)
    if solved is None:
        return None
    name, fn, description, _ = solved
    case = ctx.case(80)
    shape = np.shape(case.reference[name])
    mask = (np.arange(int(np.prod(shape))) % 2 == 0).reshape(shape)
    point = np.broadcast_to(np.asarray(fn(**case.reference), dtype=float), shape)
    for values in (case.reference, case.layer):
        values[name] = np.where(mask, point, values[name])
    return case, mask, description


def tangent(derivation, values: dict) -> dict | None:
    """{input: component} of a direction along the kink g = 0 when g involves exactly two
    inputs a, b (a tie such as x = y): v = (∂g/∂b, −∂g/∂a). The function is differentiable
    along it, so every subgradient g has ⟨g, v⟩ equal to that derivative. None otherwise."""
    solved = _solution(derivation)
    if solved is None:
        return None
    kink = solved[3]
    symbols = sorted((s for s in kink.free_symbols if str(s) in derivation.inputs), key=str)
    if len(symbols) != 2:
        return None
    a, b = symbols
    parts = {}
    for name, expr in ((str(a), sp.diff(kink, b)), (str(b), -sp.diff(kink, a))):
        fn = compile_expression(expr, derivation.params, "kink_tangent")
        parts[name] = np.broadcast_to(np.asarray(fn(**values), dtype=float),
                                      np.shape(values[name]))
    return parts
