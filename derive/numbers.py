"""Numbers on a computational graph at one point: the tutorial's supermarket figure for any
scalar formula — the forward value of every node, the gradient flowing back along every
arrow (the reverse sweep's downstream expressions with dout = 1) and the input gradients.
Nothing is parsed or evaluated from text: values come from the nodes' own expressions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from derive.errors import DeriveError
from derive.vocab.functions import DOUT


@dataclass(frozen=True)
class GraphNumbers:
    """`forward[node id]`, `backward[(child id, parent id)]` (the output's own arrow is
    `(output id, None)`: 1), `gradients[name]`, at `point`."""

    point: dict
    forward: dict
    backward: dict
    gradients: dict


def graph_numbers(derivation, point: dict[str, float]) -> GraphNumbers:
    """Forward and backward values of every node and arrow of `derivation` at `point`."""
    d = derivation
    if d.shapes:
        raise DeriveError("derive graph: the formula has matrices; give a scalar formula")
    graph = d.graph
    subs = {graph.node(graph.leaves[n]).expr: sp.Float(point[n], 30)
            for n in d.params if n in graph.leaves}
    forward = {n.id: _number(n.expr, subs, f"node {n.label} ({n.expr})") for n in graph.nodes}
    ids = {n.expr: n.id for n in graph.nodes}
    backward: dict = {(graph.output.id, None): 1.0}
    with_dout = {**subs, DOUT: sp.Integer(1)}
    for step in d.steps:
        backward[(ids[step.input], step.node_id)] = _number(
            step.downstream, with_dout, f"the gradient into {step.input}")
    gradients = {n: _number(d.gradients[n], with_dout, f"the gradient for {n}")
                 for n in d.inputs}
    return GraphNumbers(dict(point), forward, backward, gradients)


def _number(expr, subs, what: str) -> float:
    value = complex(sp.N(expr.xreplace(subs), 17))
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        raise DeriveError(f"derive graph --at: {what} is not a finite real number at this "
                          "point; choose values inside the formula's domain")
    return value.real
