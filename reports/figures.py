"""The extra figures of a report: the graph with numbers at a sample point (the tutorial's
values on every arrow) and the collapsed one-node view of the whole layer."""

from __future__ import annotations

from derive.errors import DeriveError
from derive.teaching.steps import output_name
from reports.layout import Drawing, DrawnEdge, DrawnNode, visible_width
from reports.texfmt import escape_tex, expr_tex

# where in its domain each input of the numeric example sits (one fraction per input, in turn)
EXAMPLE_FRACTIONS = (0.6, 0.3, 0.8, 0.45, 0.7, 0.2)
MAX_ARROW_LABEL = 30  # visible characters; a longer gradient is written ∂L/∂x
COLLAPSED_GAP = 4.5  # cm from the inputs to the layer and from the layer to its output


def example_point(d) -> dict[str, float]:
    """A round value inside each parameter's domain: 0.6 in (−3, 3), 1.9 in (0.2, 3), ..."""
    point = {}
    for i, name in enumerate(d.params):
        low, high = d.domains.get(name, (-3.0, 3.0))
        fraction = EXAMPLE_FRACTIONS[i % len(EXAMPLE_FRACTIONS)]
        point[name] = round(low + fraction * (high - low), 1) or 0.5
    return point


def numeric_example(d):
    """reports.graph_values.GraphValues of a scalar derivation at example_point (None for matrix
    formulas, or where the formula is not finite there)."""
    if d.shapes:
        return None
    from derive.numbers import graph_numbers
    from reports.graph_values import graph_values

    try:
        return graph_values(d, graph_numbers(d, example_point(d)))
    except DeriveError:
        return None


def collapsed_drawing(d, gradients) -> Drawing:
    """The whole formula as one node: each input's arrow carries its final gradient."""
    title = d.layer or d.name
    params = list(d.params)
    finals = {g.name: g.final_tex for g in gradients}
    nodes, edges = [], []
    middle = (len(params) - 1) / 2
    for row, name in enumerate(params):
        key = f"in{row}"
        name_tex = expr_tex(_symbol(name))
        nodes.append(DrawnNode(key, f"${name_tex}$", 0.0, round((middle - row) * 2.4, 2),
                               "input", "", name))
        below = finals.get(name, "")
        if below and visible_width(below) > MAX_ARROW_LABEL:
            below = rf"\tfrac{{\partial L}}{{\partial {name_tex}}}"
        edges.append(DrawnEdge(key, "layer", name_tex, below, 0))
    nodes.append(DrawnNode("layer", rf"\textsf{{{escape_tex(title)}}}", COLLAPSED_GAP, 0.0,
                           "layer", "", title))
    nodes.append(DrawnNode("sink", "", 2 * COLLAPSED_GAP, 0.0, "end", "", "output"))
    out = "L" if not getattr(d.expr, "shape", None) and d.constants else \
        expr_tex(output_name(d.params))
    edges.append(DrawnEdge("layer", "sink", out, r"\mathrm{dout}", 0))
    return Drawing(tuple(nodes), tuple(edges))


def _symbol(name: str):
    import sympy as sp

    return sp.Symbol(name)
