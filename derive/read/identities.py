"""Identities a formula's operator assumes, read from equations such as 'sum(t, axis=0) = 1'
(declared in the catalog's `identities` field, or given to derive()). The simplifier replaces
the left side by the right wherever it appears; the sampler draws values that satisfy them."""

from __future__ import annotations

from derive.errors import DeriveError
from derive.read.formula import parse_formula
from derive.simplify.matrix import tidy
from derive.vocab.nodes import broadcast_to
from derive.vocab.shapes import is_matrix


def declared_identities(equations: list[str], shapes: dict) -> dict:
    """left side -> right side, for each equation 'left = right'."""
    identities = {}
    for text in equations:
        sides = _top_level_split(text, "=")
        where = f"identity '{text}'"
        if len(sides) != 2:
            raise DeriveError(f"{where}: write it as one equation, left = right")
        left = parse_formula(sides[0], shapes, where=where).expr
        right = parse_formula(sides[1], shapes, where=where).expr
        shape = tuple(left.shape) if is_matrix(left) else ()
        identities[left] = tidy(broadcast_to(right, shape)) if shape else right
    return identities


def _top_level_split(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]
