"""Combining values the way derive.read.formula does: scalars with + - * / ** and the builders of
derive.vocab.functions, matrices through read.matrix_ops (binary, call)."""

from __future__ import annotations

from derive.primitives import FUNCTIONS
from derive.read.formula import MAX_EXPONENT
from derive.read.latex.tokens import fail
from derive.vocab.functions import MATRIX_ONLY_FUNCTIONS
from derive.vocab.shapes import is_matrix

_SCALAR = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b}


def call(name: str, args: list):
    """The formula function `name` applied to `args` (a matrix function if any is a matrix)."""
    if name in MATRIX_ONLY_FUNCTIONS or any(is_matrix(a) for a in args):
        from derive.read.matrix_ops import call as matrix_call

        return matrix_call(name, args, {}, fail)
    arity, builder = FUNCTIONS[name]
    if len(args) != arity:
        fail(f"'{name}' takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}")
    return builder(*args)


def binary(op: str, left, right):
    """left <op> right for + - * / @ (@ only between matrices)."""
    if is_matrix(left) or is_matrix(right):
        from derive.read.matrix_ops import binary as matrix_binary

        return matrix_binary(op, left, right, fail)
    return _SCALAR[op](left, right)


def power(base, exponent):
    """base ** exponent, refusing exponents too large to compute."""
    if is_matrix(exponent):
        fail("a matrix exponent is not supported")
    if exponent.is_number:
        if not exponent.is_real or abs(float(exponent)) > MAX_EXPONENT:
            fail(f"exponent {exponent} too large (limit {MAX_EXPONENT})")
        if base.is_number and not is_matrix(base) and abs(float(base)) > 10**6:
            fail("power of a large number is too large")
    if is_matrix(base):
        return binary("**", base, exponent)
    return base**exponent
