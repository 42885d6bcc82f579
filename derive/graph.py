"""Computational graph: a SymPy expression decomposed into primitive nodes.

Each node computes one primitive function of its child nodes (numbers are folded into the
node, as the tutorial's `+1` and `×(−1)` nodes). Equal subexpressions are one node, so a value
used twice fans out and its gradients add up in the reverse sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.functions import ArraySize


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
    """Decompose `expr` into primitive nodes; `names` maps named intermediates to their
    expressions, and the node computing one carries its name."""
    named = {value: name for name, value in (names or {}).items()}
    graph = Graph()
    index: dict[sp.Basic, int] = {}
    stack = [(expr, False)]
    while stack:
        current, expanded = stack.pop()
        if current in index:
            continue
        children = child_expressions(current)
        if not expanded and children:
            stack.append((current, True))
            stack.extend((child, False) for child in reversed(children) if child not in index)
            continue
        node_id = len(graph.nodes)
        if not children:
            name = str(current)
            graph.nodes.append(Node(node_id, current, name, is_matrix=_is_matrix(current)))
            graph.leaves[name] = node_id
        else:
            holders = tuple(sp.Dummy(f"a{i}", real=True) if not _is_matrix(c)
                            else _matrix_placeholder(c, i) for i, c in enumerate(children))
            func = current.xreplace(dict(zip(children, holders)))
            graph.nodes.append(Node(
                node_id, current, node_label(current, children),
                args=tuple(index[c] for c in children), func=func, placeholders=holders,
                is_matrix=_is_matrix(current), child_exprs=tuple(children),
                name=named.get(current, "")))
        index[current] = node_id
    return graph


def is_variable(expr: sp.Basic) -> bool:
    """True for a subexpression that depends on the formula's names (and so is a node)."""
    if isinstance(expr, ArraySize):
        return False
    if getattr(expr, "is_dimension", False):
        return False
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return True
    names = [s for s in expr.free_symbols if not getattr(s, "is_dimension", False)]
    return bool(names) and not expr.is_number


def child_expressions(expr: sp.Basic) -> list[sp.Basic]:
    """The variable subexpressions a node of `expr` takes as inputs (empty for a leaf)."""
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return []
    if _is_matrix(expr) or any(_is_matrix(a) for a in getattr(expr, "args", ())):
        from derive.matrix import matrix_children

        return matrix_children(expr)
    if isinstance(expr, sp.Piecewise):
        parts = []
        for value, cond in expr.args:
            parts.extend(_variable_atoms_of(value))
            parts.extend(_variable_atoms_of(cond))
        return _unique(parts)
    return _unique([a for a in expr.args if is_variable(a)])


def _variable_atoms_of(expr):
    if isinstance(expr, sp.core.relational.Relational):
        return [a for a in expr.args if is_variable(a)]
    if isinstance(expr, sp.logic.boolalg.BooleanAtom) or not is_variable(expr):
        return []
    return [expr]


def _unique(items):
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def node_label(expr: sp.Basic, children: list[sp.Basic]) -> str:
    """The name the tutorial gives a node: +, ×, /, exp, +1, ×(−1), **2, ..."""
    if _is_matrix(expr) or any(_is_matrix(c) for c in children):
        from derive.matrix import matrix_label

        return matrix_label(expr)
    constants = [a for a in expr.args if not is_variable(a)]
    if isinstance(expr, sp.Add):
        return "+" + (_number(sp.Add(*constants)) if constants else "")
    if isinstance(expr, sp.Mul):
        factor = sp.Mul(*constants)
        if len(children) == 1 and constants:
            return "×" + _number(factor)
        return "×" if factor == 1 else f"×{_number(factor)}"
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent == -1:
            return "/"
        if exponent == sp.Rational(1, 2):
            return "sqrt"
        if not is_variable(exponent):
            return f"**{_number(exponent)}"
        if not is_variable(base):
            return f"{_number(base)}**"
        return "**"
    if isinstance(expr, sp.Piecewise):
        return "where"
    if isinstance(expr, sp.exp):
        return "exp"
    name = getattr(expr.func, "__name__", type(expr).__name__)
    return {"ArraySum": "sum", "Abs": "abs", "Max": "max", "Min": "min"}.get(name, name)


def _number(value: sp.Basic) -> str:
    text = str(value)
    return f"({text.replace('-', '−')})" if text.startswith("-") else text


def _is_matrix(expr) -> bool:
    return isinstance(expr, sp.MatrixExpr) or getattr(expr, "is_Matrix", False)


def _matrix_placeholder(child, i):
    from derive.matrix import placeholder_for

    return placeholder_for(child, i)
