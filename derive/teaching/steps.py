"""The data of the teaching rewrites (Rewrite: a named step; Lesson: the chain for one input),
their vocabulary RULES, and the Checker that keeps every step equal to the one before at random
points satisfying the declared assumptions (a step that changes the value is a TeachingError)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

# the vocabulary of rewrite steps (the reports translate these names)
RULES = ("multiply the local derivatives", "differentiate entry by entry", "factor", "cancel",
         "rewrite with the output", "substitute the saved value", "multiply out", "collect",
         "use the assumption", "multiply into each case", "inner product as a trace",
         "broadcast as a product", "cyclic trace", "read off the gradient", "sum of the columns",
         "sum of the rows")
POINTS = 6
TOLERANCE = 1e-9


class TeachingError(AssertionError):
    """A rewrite step that is not equal to the step before it: a bug in this module."""


@dataclass(frozen=True)
class Rewrite:
    """One step: `rule` applied gives `expr` (printed as the product of `factors` when given,
    so that a factored form stays factored); `identity` is the equation the step used."""

    rule: str
    expr: sp.Basic
    factors: tuple = ()
    identity: sp.Basic | None = None


@dataclass(frozen=True)
class Lesson:
    """∂L/∂`input` (or the differential dL) rewritten step by step; `names` are the saved
    values the steps introduce (y = σ(x)), `entry` the entry a matrix lesson works on."""

    input: str
    lhs: str  # "gradient", "entry" or "differential"
    rewrites: tuple[Rewrite, ...]
    names: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    entry: sp.Basic | None = None
    result: sp.Basic | None = None  # the general form the lesson arrives at, if not the last
    checked_points: int = field(default=POINTS)

    @property
    def final(self):
        return self.result if self.result is not None else self.rewrites[-1].expr


def output_name(params) -> sp.Symbol:
    """The name of the forward output in lessons: y, unless an input is called y."""
    return sp.Symbol("out" if "y" in params else "y", real=True)


class Checker:
    """Equality of consecutive steps at random points of the inputs' domains; names a step
    introduces (y) take their defining value, constraints (t sums to 1) are imposed."""

    def __init__(self, domains: dict, constrain=None, seed: int = 2024):
        self.domains = domains
        self.constrain = constrain
        self.seed = seed
        self.definitions: dict = {}

    def step(self, previous: Rewrite, rewrite: Rewrite, defines: dict | None = None) -> Rewrite:
        """`rewrite`, after checking it equals `previous` (TeachingError if not)."""
        self.definitions.update(defines or {})
        if not self.equal(previous.expr, rewrite.expr):
            raise TeachingError(f"teaching step '{rewrite.rule}' changed the value: "
                                f"{previous.expr} -> {rewrite.expr}")
        return rewrite

    def equal(self, a, b) -> bool:
        rng = random.Random(self.seed)
        for _ in range(POINTS):
            point = self.point(rng, a.free_symbols | b.free_symbols)
            va, vb = (complex(_resolve(e, self.definitions).xreplace(point).evalf(30))
                      for e in (a, b))
            if abs(va - vb) > TOLERANCE * max(1.0, abs(va), abs(vb)):
                return False
        return True

    def point(self, rng, symbols) -> dict:
        free = set()
        for s in symbols:
            free |= _resolve(s, self.definitions).free_symbols
        point = {}
        for s in sorted(free, key=str):
            low, high = self.domains.get(_base_name(s), (-2.0, 2.0))
            point[s] = sp.Float(rng.uniform(low, high), 30)
        return self.constrain(point) if self.constrain else point


def _resolve(expr, definitions: dict):
    """`expr` with every introduced name replaced by what it stands for."""
    for _ in range(3):
        if not expr.has(*definitions) if definitions else True:
            return expr
        expr = expr.xreplace(definitions)
    return expr


def _base_name(symbol) -> str:
    """The matrix an entry symbol belongs to (t_21 -> t), or the symbol's own name."""
    name = str(symbol)
    head, _, tail = name.rpartition("_")
    return head if head and tail.isdigit() else name
