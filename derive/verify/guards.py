"""Numerical guards in a log: `np.log(y + 1e-7)` and `np.log(np.clip(y, 1e-7, 1 - 1e-7))`.

Correct, well-known code (the cross_entropy_error of "Deep Learning from Scratch", Keras'
categorical cross-entropy) guards its log against log(0); its forward then differs from the
exact loss by about ε/y per term, and where y underflows the loss is capped near −log ε. When a
formula with a log misses, the same formula is derived with the guard written in (log(u + ε),
or log(clip(u, ε, 1 − ε)) as ε + relu(u − ε) − relu(u − (1 − ε))) and the usual guard sizes are
tried; a guard that reproduces the found value explains the difference, which is then a warning
naming the guard rather than a wrong formula.
"""

from __future__ import annotations

import ast
import dataclasses
import math

import numpy as np

from derive.errors import DeriveError
from derive.verify.compare import as_float, relative_error

GUARDS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)
LARGEST = 1e-3      # at ordinary inputs a relative deviation above this is not a guard's doing
EXPLAINED = 1e-3    # the guarded value must leave at most this share of the deviation
MATCH = 1e-8        # ... and agree with the found value to this relative error


def _guarded_arg(form: str, u: ast.expr, eps: str) -> ast.expr:
    if form == "add":
        return ast.BinOp(u, ast.Add(), ast.Name(eps))
    # clip(u, eps, 1 - eps) with the functions a matrix formula allows
    above = ast.Call(ast.Name("relu"), [ast.BinOp(u, ast.Sub(), ast.Name(eps))], [])
    top = ast.BinOp(ast.Constant(1), ast.Sub(), ast.Name(eps))
    over = ast.Call(ast.Name("relu"), [ast.BinOp(u, ast.Sub(), top)], [])
    return ast.BinOp(ast.BinOp(ast.Name(eps), ast.Add(), above), ast.Sub(), over)


class _GuardLogs(ast.NodeTransformer):
    def __init__(self, form: str, eps: str):
        self.form, self.eps, self.count = form, eps, 0

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "log" and len(node.args) == 1:
            node.args = [_guarded_arg(self.form, node.args[0], self.eps)]
            self.count += 1
        return node


def guarded_formula(text: str, form: str, eps: str) -> str | None:
    """`text` with every log(u) guarded ("add": log(u + eps), "clip": log(clip(u, eps, 1 − eps))),
    or None when it takes no log."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    guard = _GuardLogs(form, eps)
    tree = guard.visit(tree)
    return ast.unparse(tree) if guard.count else None


def _guarded_variant(variant, form: str, eps: str):
    from derive.cache import cached_derive

    derivation = variant.derivation
    text = guarded_formula(derivation.text, form, eps)
    if text is None:
        return None
    shapes = {n: tuple(str(d) for d in s) for n, s in derivation.shapes.items()}
    try:
        guarded = cached_derive(formula=text, shapes=shapes,
                                constants=(*derivation.constants, eps))
    except DeriveError:
        return None
    return dataclasses.replace(variant, derivation=guarded)


def find_log_guard(variant, reference: dict, found, expected,
                   largest: float | None = LARGEST) -> tuple[str, float] | None:
    """(form, ε) of the guard inside the log that turns `expected` into `found`, or None.

    `largest` bounds the relative deviation a guard may explain (None: any, as at extreme
    inputs, where a guard caps the loss near −log ε)."""
    err = relative_error(found, expected)
    if not np.all(np.isfinite(as_float(found))) or not 0 < err < math.inf:
        return None
    if (largest is not None and err > largest) or "log" not in variant.derivation.text:
        return None
    eps = next(n for n in ("eps", "epsilon", "guard_eps") if n not in variant.derivation.params)
    best = (min(EXPLAINED * err, MATCH), None)
    for form in ("add", "clip"):
        guarded = _guarded_variant(variant, form, eps)
        if guarded is None:
            continue
        for value in GUARDS:
            with np.errstate(all="ignore"):
                out = guarded.forward({**reference, eps: np.float64(value)})
            miss = relative_error(as_float(found), as_float(out))
            if miss <= best[0]:  # the closest guard: both forms cap the loss alike
                best = (miss, (form, value))
    return best[1]


def guard_text(form: str, eps: float) -> str:
    """The guard in the user's words, with what it does to the loss."""
    cap = f"a sample's loss near −log({eps:g}) ≈ {-math.log(eps):.3g}"
    if form == "add":
        return (f"a small constant {eps:g} added inside the log (log(y + {eps:g})): a numerical "
                f"guard against log(0), not a wrong formula; it biases the loss by about "
                f"{eps:g}/y per sample (bias ≈ {eps:g} per sample where y ≈ 1) and caps {cap}")
    return (f"probabilities clipped before the log (np.clip(y, {eps:g}, 1 - {eps:g})): a "
            f"numerical guard against log(0), not a wrong formula; the loss is exact where "
            f"{eps:g} ≤ y ≤ 1 - {eps:g} and the clip caps {cap} where y < {eps:g}")
