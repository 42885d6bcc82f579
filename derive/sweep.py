"""Reverse sweep: walk the graph from the output back to the inputs, one Step per edge.

Each step multiplies the node's upstream gradient by the local derivative and sends the
result downstream to one input of the node; at fan-out the downstream gradients add up.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.budget import Meter
from derive.graph import Graph
from derive.primitives import array_valued, local_derivatives, rule_name, vjp
from derive.simplify.scalar import saved_form
from derive.vocab.functions import DOUT
from derive.vocab.kinks import local_at_kinks
from derive.vocab.shapes import is_matrix


def dout_symbol(expr):
    """The upstream gradient of a formula's output: a matrix of its shape, or one number."""
    return sp.MatrixSymbol("dout", *expr.shape) if is_matrix(expr) else DOUT


@dataclass(frozen=True)
class Step:
    """One edge of the reverse sweep: gradient through `node` to its input `input`."""

    node_id: int
    node: str
    value: sp.Basic
    input: sp.Basic
    rule: str
    local: sp.Basic
    upstream: sp.Basic
    downstream: sp.Basic


@dataclass
class Sweep:
    steps: list[Step]
    gradients: dict[str, sp.Basic]


def reverse_sweep(graph: Graph, wrt: list[str], dout: sp.Basic = DOUT) -> Sweep:
    """Gradients of every name in `wrt` (VJPs in terms of `dout`) and the steps that made them."""
    needed = _nodes_leading_to(graph, {graph.leaves[n] for n in wrt if n in graph.leaves})
    grads: dict[int, sp.Basic] = {graph.output.id: dout}
    scalars = frozenset() if array_valued(graph.output.expr) else frozenset({dout})
    steps = []
    meter = Meter()
    for node in reversed(graph.nodes):
        if node.is_leaf or node.id not in needed or node.id not in grads:
            continue
        upstream = grads[node.id]
        if not isinstance(node.expr, sp.Add):  # a sum's local derivatives are all 1
            meter.expect(len(node.args) * meter.stats(node.expr).size,
                         f"the local derivatives of node {node.label}")
        locals_ = local_derivatives(node)
        rule = rule_name(node)
        if rule == "product" and sum(c in needed for c in node.args) == 1 or (
                rule == "matrix product" and len(node.args) == 1):
            rule = "constant multiple"  # x·t with t constant, ×(−1) of a matrix: one factor varies
        for index, child_id in enumerate(node.args):
            if child_id not in needed:
                continue
            downstream = vjp(node, index, upstream, locals_[index], scalars)
            meter.charge(downstream, "the gradients of the formula")
            child = graph.node(child_id)
            steps.append(Step(node.id, node.label, node.expr, child.expr, rule,
                              locals_[index], upstream, downstream))
            grads[child_id] = grads[child_id] + downstream if child_id in grads else downstream
    gradients = {}
    for name in wrt:
        leaf = graph.leaves.get(name)
        gradients[name] = grads.get(leaf, sp.Integer(0)) if leaf is not None else sp.Integer(0)
    return Sweep(steps, gradients)


def _nodes_leading_to(graph: Graph, targets: set[int]) -> set[int]:
    needed = set(targets)
    for node in graph.nodes:
        if any(child in needed for child in node.args):
            needed.add(node.id)
    return needed


def own_local_forms(node, child) -> tuple:
    """The local derivative of scalar `node` for its input `child`, in the node's own
    placeholders: ∂f/∂a from sympy.diff of the node's function, then, for a node of one
    input, the same through the node's own output `OUT` where that is simpler (1/a → −out²).
    Empty for a matrix node (its local is the differential, as in its Step)."""
    if node.is_matrix or node.func is None or child not in node.child_exprs:
        return ()
    holder = node.placeholders[node.child_exprs.index(child)]
    own = local_at_kinks(node.func, holder, node.placeholders)
    if len(node.args) != 1:
        return (own,)
    via_output = saved_form(node.func, own, [holder], {})
    return (own,) if via_output is None else (own, via_output)
