"""The supermarket figure of `derive graph`: the engine's numbers at a point
(derive.numbers) laid out on the drawn graph, forward values above the arrows and the
gradients below them."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

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
class GraphValues:
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


def graph_values(derivation, numbers) -> GraphValues:
    """The figure of `derivation` with the numbers (derive.numbers.GraphNumbers) at a point."""
    d = derivation
    graph = d.graph
    names = NodeNames(graph, d.params)
    gradients = tuple((n, expr_tex(sp.Symbol(n)), format_number(numbers.gradients[n]))
                      for n in d.inputs)
    texts = {k: format_number(v) for k, v in numbers.forward.items()}
    back_texts = {k: format_number(v) for k, v in numbers.backward.items()}
    drawing = layout(graph, texts, back_texts, {}, d.params)
    arrows = tuple(ArrowValue(_arrow_end(s, names), _arrow_end(t, names), e.above, e.below)
                   for s, t, e in drawing.arrows())
    return GraphValues(
        typed=d.text, formula_tex=expr_tex(d.expr),
        point=tuple((n, format_number(numbers.point[n])) for n in d.params),
        output=texts[graph.output.id], gradients=gradients, arrows=arrows, drawing=drawing)


def _arrow_end(node, names: NodeNames) -> str:
    if node.kind == "input":
        return node.text
    if node.kind == "end":
        return "output"
    return f"{node.text} [{names.symbol(int(node.key[1:]))}]"
