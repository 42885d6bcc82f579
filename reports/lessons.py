"""The engine's teaching lessons (derive.teaching) as lines of LaTeX for the documents.

Each line is one rewrite: the expression after it (a factored form printed factor by factor),
the rule's name (translated by the templates) and the identity the step used, if any.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from reports.texfmt import expr_tex, product_tex


@dataclass(frozen=True)
class LessonLine:
    lhs_tex: str  # a new left-hand side, or "" to continue the chain of equalities
    tex: str
    rule: str  # a name from derive.teaching.RULES
    identity_tex: str  # "" when the step used no identity


@dataclass(frozen=True)
class LessonView:
    kind: str  # "gradient", "entry" or "differential"
    lhs_tex: str
    lines: tuple[LessonLine, ...]
    entry_tex: str  # the entry a matrix lesson works on, or ""
    result_tex: str  # the general form it arrives at
    names: tuple[tuple[str, str], ...]  # saved names introduced: (y, σ(x))


def lesson_view(lesson, name_tex: str) -> LessonView:
    """A Lesson as lines of LaTeX; the left side is ∂L/∂name, ∂L/∂entry or dL."""
    gradient = rf"\frac{{\partial L}}{{\partial {name_tex}}}"
    entry = expr_tex(lesson.entry) if lesson.entry is not None else ""
    lhs = {"entry": rf"\frac{{\partial L}}{{\partial {entry}}}",
           "differential": r"\mathrm{d}L"}.get(lesson.lhs, gradient)
    lines, current = [], None
    for rewrite in lesson.rewrites:
        if rewrite.rule == "read off the gradient":
            lhs = gradient  # from here on the chain is about the gradient itself
        lines.append(LessonLine(lhs if lhs != current else "", _tex(rewrite), rewrite.rule,
                                _identity_tex(rewrite.identity)))
        current = lhs
    return LessonView(lesson.lhs, lines[0].lhs_tex, tuple(lines), entry,
                      expr_tex(lesson.final),
                      tuple((expr_tex(a), expr_tex(b)) for a, b in lesson.names))


def _tex(rewrite) -> str:
    return product_tex(rewrite.factors) if rewrite.factors else expr_tex(rewrite.expr)


def _identity_tex(identity) -> str:
    if identity is None:
        return ""
    if isinstance(identity, sp.Eq):
        return f"{expr_tex(identity.lhs)} = {expr_tex(identity.rhs)}"
    return expr_tex(identity)
