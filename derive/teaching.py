"""Teaching rewrites: from the swept gradient to the form a textbook writes, one named step at
a time, each step checked equal to the one before.

The reverse sweep ends in a correct but unfamiliar expression (sigmoid: dout·e⁻ˣ/(1 + e⁻ˣ)²).
A Lesson is the chain of rewrites a teacher would write next: factor out the output,
rewrite the other factor with the output, substitute the saved value (dout·y(1 − y)). Each
Rewrite is plain data (a rule from RULES, the expression after it, the identity it used); it
is checked against the previous expression at random points that satisfy the declared
assumptions before it is kept. Matrix formulas get their lessons from `teaching_matrix`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

from derive.vocab.functions import OUT

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


def teach(derivation) -> dict[str, Lesson]:
    """Lessons for every input of a derivation that has something to teach."""
    if derivation.shapes:
        from derive.teaching_matrix import matrix_lessons

        return matrix_lessons(derivation)
    lessons = {}
    for name in derivation.inputs:
        lesson = scalar_lesson(derivation, name)
        if lesson is not None:
            lessons[name] = lesson
    return lessons


def scalar_lesson(d, name: str) -> Lesson | None:
    """Swept product → (factor out the output → rewrite the rest with it) → saved value."""
    raw = d.raw_gradients.get(name)
    if raw is None:
        return None
    dout = _dout(raw)
    steps = [Rewrite("multiply the local derivatives", raw)]
    saved = d.saved_form.get(name)
    y = output_name(d.params)
    check = Checker(d.domains)
    if saved is not None:
        forward = d.expr
        per_unit = sp.factor(saved / dout) if dout is not None else saved
        power, rest = _split_power(per_unit)
        names = ((y, forward),)
        if power and rest.has(OUT):
            remainder = _cancel_keeping_exp(raw / (dout * forward ** power))
            factors = (dout, *[forward] * power, remainder)
            steps.append(check.step(steps[-1], Rewrite("factor", sp.Mul(*factors), factors)))
            with_output = rest.xreplace({OUT: forward})
            factors = (dout, *[forward] * power, with_output)
            steps.append(check.step(steps[-1], Rewrite(
                "rewrite with the output", sp.Mul(*factors), factors,
                sp.Eq(remainder, with_output, evaluate=False))))
        final = saved.xreplace({OUT: y})
        steps.append(check.step(steps[-1], Rewrite(
            "substitute the saved value", final, identity=sp.Eq(y, forward, evaluate=False)),
            {y: forward}))
        return Lesson(name, "gradient", tuple(steps), names)
    simplified = d.gradients[name]
    if simplified == raw:
        return None
    steps.append(check.step(steps[-1], Rewrite(_simplifying_rule(raw, simplified), simplified)))
    return Lesson(name, "gradient", tuple(steps))


def _simplifying_rule(before, after) -> str:
    """The name of the step that took `before` to `after`."""
    if isinstance(after, sp.Piecewise) and not isinstance(before, sp.Piecewise):
        return "multiply into each case"
    if sp.factor(before) == after:
        return "factor"
    if sp.expand(before) == sp.expand(after) and len(sp.Add.make_args(after)) > 1:
        return "multiply out"
    return "cancel"


def _dout(expr):
    return next((s for s in expr.free_symbols if s.name == "dout"), None)


def _split_power(per_unit) -> tuple[int, sp.Basic]:
    """(k, Q) with per_unit = OUT**k · Q(OUT), Q not a power of OUT (sign absorbed into Q)."""
    power, rest = 0, []
    for factor in sp.Mul.make_args(per_unit):
        base, exponent = factor.as_base_exp()
        if base == OUT and exponent.is_Integer and exponent > 0:
            power += int(exponent)
        else:
            rest.append(factor)
    return power, _negate_sum(sp.Mul(*rest))


def _negate_sum(expr):
    """-(a - b) written as (b - a), the way people write 1 − y."""
    args = sp.Mul.make_args(expr)
    if -1 in args:
        others = [a for a in args if a != -1]
        for i, a in enumerate(others):
            if a.is_Add:
                others[i] = sp.expand(-a)
                return sp.Mul(*others)
    return expr


def _cancel_keeping_exp(expr):
    """Cancel common factors while each exp(...) stays one atom (e⁻ˣ/(1 + e⁻ˣ), not
    1/(eˣ + 1))."""
    atoms = {e: sp.Dummy(positive=True) for e in expr.atoms(sp.exp)}
    cancelled = sp.cancel(expr.xreplace(atoms))
    return cancelled.xreplace({v: k for k, v in atoms.items()})


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
