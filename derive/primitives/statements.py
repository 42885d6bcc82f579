"""The statement kinds of index formulas as entries of the one registry: each says its rule
name and how the upstream dT[idx] enters the delta sum of a read (derive.index.calculus):

    dA[a] += Σ_{idx, r} weight(dT[idx]) · ∂body/∂A[g(idx, r)] · δ(a = g(idx, r))

as it is (map, sum), divided by the count (mean), routed to the first arg-max/min (max, min);
a pad's read has no delta: its gradient is dT with the border cropped."""

from __future__ import annotations

import sympy as sp

from derive.primitives.registry import REGISTRY, Primitive, UnknownPrimitive, register
from derive.vocab.statements import (
    STATEMENT_TYPES,
    IndexMap,
    IndexMax,
    IndexMean,
    IndexMin,
    IndexPad,
    IndexSum,
    first_argmax,
)


def _as_is(statement, upstream):
    return upstream


def _spread(statement, upstream):
    return upstream / sp.Mul(*(statement.ranges[r] for r in statement.reduce))


def _routed(statement, upstream):
    return upstream * first_argmax(statement)


register(Primitive(types=(IndexMap,), rule="elementwise: chain rule", label="map",
                   weight=_as_is))
register(Primitive(types=(IndexSum,), rule="sum of products: Kronecker delta", label="sum",
                   weight=_as_is))
register(Primitive(types=(IndexMean,), rule="mean: spread over the reduction", label="mean",
                   weight=_spread))
register(Primitive(types=(IndexMax,), rule="max: route to the first arg-max", label="max",
                   weight=_routed))
register(Primitive(types=(IndexMin,), rule="min: route to the first arg-min", label="min",
                   weight=_routed))
register(Primitive(types=(IndexPad,), rule="pad: crop the border", label="pad"))


def statement_primitive(kind: str) -> Primitive:
    """The registry entry of a statement kind; UnknownPrimitive naming it if there is none."""
    entry = REGISTRY.get(STATEMENT_TYPES.get(kind))
    if entry is None:
        raise UnknownPrimitive(f"formula: no primitive is registered for the statement kind "
                               f"'{kind}'; derive cannot differentiate it")
    return entry
