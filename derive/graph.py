"""Computational graph: a SymPy expression decomposed into primitive nodes.

Each node computes one primitive function of its child nodes (numbers are folded into the
node, as the tutorial's `+1` and `×(−1)` nodes). Equal subexpressions are one node, so a value
used twice fans out and its gradients add up in the reverse sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.primitives import children_of, label_of, own_function
from derive.vocab.shapes import is_matrix


@dataclass
class Node:
    """One node: `expr` is its value in terms of the formula's names; `func` its own primitive
    function of placeholder symbols standing for the children (None for an input leaf)."""

    id: int
    expr: sp.Basic
    label: str
    args: tuple[int, ...] = ()
    func: sp.Basic | None = None
    placeholders: tuple[sp.Symbol, ...] = ()
    is_matrix: bool = False
    child_exprs: tuple[sp.Basic, ...] = ()
    name: str = ""  # the user's name for this value (a named intermediate), if any

    @property
    def is_leaf(self) -> bool:
        return not self.args


@dataclass
class Graph:
    """Nodes in topological order (children before parents); the last is the output."""

    nodes: list[Node] = field(default_factory=list)
    leaves: dict[str, int] = field(default_factory=dict)

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]


def build_graph(expr: sp.Basic, names: dict | None = None) -> Graph:
    """Decompose `expr` into primitive nodes (UnknownPrimitive for a node type with no
    registry entry); `names` maps named intermediates to their expressions, and the node
    computing one carries its name."""
    named = {value: name for name, value in (names or {}).items()}
    graph = Graph()
    index: dict[sp.Basic, int] = {}
    stack = [(expr, False)]
    while stack:
        current, expanded = stack.pop()
        if current in index:
            continue
        children = children_of(current)
        if not expanded and children:
            stack.append((current, True))
            stack.extend((child, False) for child in reversed(children) if child not in index)
            continue
        node_id = len(graph.nodes)
        if not children:
            name = str(current)
            graph.nodes.append(Node(node_id, current, name, is_matrix=is_matrix(current)))
            graph.leaves[name] = node_id
        else:
            holders = tuple(placeholder_for(c, i) for i, c in enumerate(children))
            func = own_function(current, children, holders)
            graph.nodes.append(Node(
                node_id, current, label_of(current, children),
                args=tuple(index[c] for c in children), func=func, placeholders=holders,
                is_matrix=is_matrix(current), child_exprs=tuple(children),
                name=named.get(current, "")))
        index[current] = node_id
    return graph


def placeholder_for(child, index: int):
    """The symbol standing for child `index` in its parent's own function."""
    if is_matrix(child):
        return sp.MatrixSymbol(f"_a{index}", *child.shape)
    return sp.Dummy(f"a{index}", real=True)
