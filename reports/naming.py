"""Names for the nodes of a graph: the inputs keep theirs, the output is `out`, the
intermediate nodes are u_1, u_2, ... in the order a reader meets them in the drawing."""

from __future__ import annotations

import re

import sympy as sp

from derive.simplify.scalar import OUT
from reports.layout import reading_order


class NodeNames:
    """Symbols standing for node values, and expressions rewritten in terms of them."""

    def __init__(self, graph, params):
        self.graph = graph
        taken = set(params)
        prefix = next(p for p in ("u", "v", "w", "z", "q")
                      if not any(re.fullmatch(rf"{p}_\d+", n) for n in taken))
        self._symbols = {}
        inner = [graph.node(i) for i in reading_order(graph, params)
                 if not graph.node(i).is_leaf]
        for count, node in enumerate(inner, start=1):
            matrix = node.is_matrix
            if node is graph.output:
                symbol = OUT
            elif node.name:  # a named intermediate keeps the user's name
                symbol = sp.Symbol(node.name, real=True)
            else:
                symbol = sp.Symbol(f"{prefix}_{count}", real=True)
            self._symbols[node.id] = symbol if not matrix else _matrix_name(node, symbol)
        for node in graph.nodes:
            if node.is_leaf:
                self._symbols[node.id] = node.expr
        self._by_value = {n.expr: self._symbols[n.id] for n in inner}
        if any(n.is_matrix for n in graph.nodes):
            self._by_value.update(self._differentials())

    def _differentials(self) -> dict:
        """The matrix engine's differential symbols d(<child>) → d:<child's name>."""
        from derive.primitives import differential_symbol

        found = {}
        for node in self.graph.nodes:
            name = self._symbols[node.id]
            shape = getattr(name, "shape", None)
            renamed = (sp.MatrixSymbol(f"d:{name.name}", *shape) if shape
                       else sp.Symbol(f"d:{name.name}"))
            found[differential_symbol(node.expr)] = renamed
        return found

    def symbol(self, node_id: int):
        return self._symbols[node_id]

    def rename(self, expr):
        """`expr` with every node value replaced by the node's name (largest first)."""
        try:
            return expr.xreplace(self._by_value)
        except (AttributeError, TypeError):
            return expr

    def function_of(self, node):
        """The node's own function, of its children's names (u_3 = 1 + u_2)."""
        if node.is_leaf or node.func is None:
            return node.expr
        children = [self._symbols[c] for c in node.args]
        try:
            return node.func.xreplace(dict(zip(node.placeholders, children)))
        except (AttributeError, TypeError):
            return node.expr


def _matrix_name(node, symbol):
    shape = getattr(node.expr, "shape", None)
    return sp.MatrixSymbol(symbol.name, *shape) if shape else symbol


def local_forms(d, step, names: NodeNames) -> list:
    """The step's local derivative in node names: of the node's own function (∂u/∂a of
    u = f(a)), then, if the engine found one, through the node's own output (1/a → −out²)."""
    node = d.graph.node(step.node_id)
    own = d.local_forms.get((step.node_id, step.input), ())
    if not own:
        return [names.rename(step.local)]
    children = dict(zip(node.placeholders, (names.symbol(c) for c in node.args)))
    return [form.xreplace({**children, OUT: names.symbol(node.id)}) for form in own]
