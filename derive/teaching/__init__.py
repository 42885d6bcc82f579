"""Teaching rewrites: from the swept gradient to the form a textbook writes, one named step at
a time, each step checked equal to the one before.

The reverse sweep ends in a correct but unfamiliar expression (sigmoid: dout·e⁻ˣ/(1 + e⁻ˣ)²).
A Lesson is the chain of rewrites a teacher would write next: factor out the output, rewrite
the other factor with the output, substitute the saved value (dout·y(1 − y)). `steps` holds
the data and the check, `scalar` and `matrix` find the lessons; reports only read them.
"""

from __future__ import annotations

from derive.teaching.matrix import matrix_lessons
from derive.teaching.scalar import scalar_lesson
from derive.teaching.steps import RULES, Checker, Lesson, Rewrite, TeachingError, output_name

__all__ = ["RULES", "Checker", "Lesson", "Rewrite", "TeachingError", "output_name", "teach"]


def teach(derivation) -> dict[str, Lesson]:
    """Lessons for every input of a derivation that has something to teach."""
    if derivation.shapes:
        return matrix_lessons(derivation)
    lessons = {}
    for name in derivation.inputs:
        lesson = scalar_lesson(derivation, name)
        if lesson is not None:
            lessons[name] = lesson
    return lessons


