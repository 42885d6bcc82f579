"""Teaching lessons for scalar formulas: the swept product, the output factored out, the rest
rewritten with the output, the saved value substituted (sigmoid: dout·y(1 − y))."""

from __future__ import annotations

import sympy as sp

from derive.teaching.steps import Checker, Lesson, Rewrite, output_name
from derive.vocab.functions import OUT


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


