"""Matrix and vector calculus: shapes, matrix primitives, VJP rules from matrix differentials,
explicit entry-by-entry checks, and the matrix derivation pipeline.

The names below are the hooks the scalar engine calls (parser, graph, rules, derivation).
"""

from derive.matrix.ops import binary, call
from derive.matrix.rules import (
    matrix_children,
    matrix_label,
    matrix_locals,
    matrix_rule_name,
    matrix_vjp,
    placeholder_for,
)
from derive.matrix.shapes import matrix_symbol


def derive_matrix(*args, **kwargs):
    """The matrix pipeline (see derive.matrix.pipeline)."""
    from derive.matrix.pipeline import derive_matrix as run

    return run(*args, **kwargs)


__all__ = ["binary", "call", "derive_matrix", "matrix_children", "matrix_label", "matrix_locals",
           "matrix_rule_name", "matrix_symbol", "matrix_vjp", "placeholder_for"]
