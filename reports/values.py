"""Numbers on a computational graph at one point: the tutorial's supermarket figure for any
scalar formula — forward value on every arrow, the gradient flowing back under it.

Node values come from each node's expression, the backward value of each arrow from the
reverse sweep's downstream expression with dout = 1; nothing is parsed or evaluated from text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from derive.errors import DeriveError
from derive.richdisplay import RichDisplay
from derive.sweep import DOUT
from reports.layout import Drawing, layout
from reports.naming import NodeNames
from reports.texfmt import expr_tex


@dataclass(frozen=True)
class ArrowValue:
    source: str
    target: str
    forward: str
    backward: str


@dataclass(frozen=True)
class GraphValues(RichDisplay):
    """`derive graph`: the formula, the point, the numbers, and the drawing."""

    typed: str
    formula_tex: str
    point: tuple[tuple[str, str], ...]
    output: str
    gradients: tuple[tuple[str, str, str], ...]  # (name, name as LaTeX, value)
    arrows: tuple[ArrowValue, ...]
    drawing: Drawing


def format_number(value: float) -> str:
    """A value as people write it: 50, 2.6, 0.25, 1.5e-07."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def graph_values(derivation, point: dict[str, float]) -> GraphValues:
    """Forward and backward values of every node and arrow of `derivation` at `point`."""
    d = derivation
    if d.shapes:
        raise DeriveError("derive graph: the formula has matrices; give a scalar formula")
    graph = d.graph
    names = NodeNames(graph, d.params)
    subs = {graph.node(graph.leaves[n]).expr: sp.Float(point[n], 30)
            for n in d.params if n in graph.leaves}
    forward = {n.id: _number(n.expr, subs, f"node {n.label} ({n.expr})") for n in graph.nodes}
    ids = {n.expr: n.id for n in graph.nodes}
    backward: dict = {(graph.output.id, None): 1.0}
    for step in d.steps:
        backward[(ids[step.input], step.node_id)] = _number(
            step.downstream, {**subs, DOUT: sp.Integer(1)}, f"the gradient into {step.input}")
    gradients = tuple(
        (n, expr_tex(sp.Symbol(n)), format_number(_number(d.gradients[n], {**subs, DOUT: 1},
                                                          f"the gradient for {n}")))
        for n in d.inputs)
    texts = {k: format_number(v) for k, v in forward.items()}
    back_texts = {k: format_number(v) for k, v in backward.items()}
    drawing = layout(graph, texts, back_texts, {}, d.params)
    arrows = tuple(ArrowValue(_arrow_end(s, names), _arrow_end(t, names), e.above, e.below)
                   for s, t, e in drawing.arrows())
    return GraphValues(
        typed=d.text, formula_tex=expr_tex(d.expr),
        point=tuple((n, format_number(point[n])) for n in d.params),
        output=texts[graph.output.id], gradients=gradients, arrows=arrows, drawing=drawing)


def _arrow_end(node, names: NodeNames) -> str:
    if node.kind == "input":
        return node.text
    if node.kind == "end":
        return "output"
    return f"{node.text} [{names.symbol(int(node.key[1:]))}]"


def _number(expr, subs, what: str) -> float:
    value = complex(sp.N(expr.xreplace(subs), 17))
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        raise DeriveError(f"derive graph --at: {what} is not a finite real number at this "
                          "point; choose values inside the formula's domain")
    return value.real


def parse_point(items: list[str], names: list[str]) -> dict[str, float]:
    """--at NAME=VALUE,... (one or more options) as {name: float}; every name needs a value."""
    point: dict[str, float] = {}
    for item in ",".join(items).split(","):
        if not item.strip():
            continue
        name, sep, text = (p.strip() for p in item.partition("="))
        try:
            value = float(text) if sep and name else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise DeriveError(f"derive graph --at {item.strip()}: expected NAME=VALUE with a "
                              "finite number, such as x=2.5")
        if name not in names:
            raise DeriveError(f"derive graph --at {name}: '{name}' does not occur in the formula "
                              f"(its names: {', '.join(names)})")
        point[name] = value
    missing = [n for n in names if n not in point]
    if missing:
        raise DeriveError(f"derive graph --at: no value for {', '.join(missing)}; give every "
                          f"name a value, such as --at {','.join(f'{n}=1' for n in names)}")
    return point

