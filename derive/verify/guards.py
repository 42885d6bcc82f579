"""Numerical guards: a small constant added inside a log, as in `np.log(y + 1e-7)`.

Correct, well-known code (the cross_entropy_error of "Deep Learning from Scratch") adds ε inside
the log so that log(0) cannot happen; its forward then differs from the exact loss by about ε/y
per term. When a formula with a log misses by a little, the same formula is derived with
log(u + ε) and the usual guard sizes are tried; one that reproduces the found value explains the
difference, which is then a warning that names the guard rather than a wrong formula.
"""

from __future__ import annotations

import ast
import dataclasses

import numpy as np

from derive.errors import DeriveError
from derive.verify.compare import as_float, relative_error

GUARDS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)
LARGEST = 1e-3      # a relative deviation above this is not a guard's doing
EXPLAINED = 1e-3    # the guarded value must leave at most this share of the deviation


class _GuardLogs(ast.NodeTransformer):
    def __init__(self, name: str):
        self.name, self.count = name, 0

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "log" and len(node.args) == 1:
            node.args = [ast.BinOp(node.args[0], ast.Add(), ast.Name(self.name))]
            self.count += 1
        return node


def guarded_formula(text: str, name: str) -> str | None:
    """`text` with every log(u) written log(u + name), or None when it takes no log."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    guard = _GuardLogs(name)
    tree = guard.visit(tree)
    return ast.unparse(tree) if guard.count else None


def _guarded_variant(variant, name: str):
    from derive.cache import cached_derive

    derivation = variant.derivation
    text = guarded_formula(derivation.text, name)
    if text is None:
        return None
    shapes = {n: tuple(str(d) for d in s) for n, s in derivation.shapes.items()}
    try:
        guarded = cached_derive(formula=text, shapes=shapes,
                                constants=(*derivation.constants, name))
    except DeriveError:
        return None
    return dataclasses.replace(variant, derivation=guarded)


def explain_log_guard(variant, reference: dict, found, expected) -> str | None:
    """Why `found` misses `expected` by a little, when a guard inside the log explains it."""
    err = relative_error(found, expected)
    if not (0 < err <= LARGEST) or "log" not in variant.derivation.text:
        return None
    name = next(n for n in ("eps", "epsilon", "guard_eps") if n not in variant.derivation.params)
    guarded = _guarded_variant(variant, name)
    if guarded is None:
        return None
    for eps in GUARDS:
        with np.errstate(all="ignore"):
            value = guarded.forward({**reference, name: np.float64(eps)})
        if relative_error(as_float(found), as_float(value)) <= EXPLAINED * err:
            return (f"out differs from the exact loss by relative error {err:.1e}, exactly as a "
                    f"small constant {eps:g} added inside the log (log(y + {eps:g})) explains: a "
                    f"numerical guard against log(0), not a wrong formula; it biases the loss by "
                    f"about {eps:g}/y per sample (bias ≈ {eps:g} per sample where y ≈ 1); the "
                    f"gradients are checked against the exact formula")
    return None
