"""The extra figures of a report: the graph with numbers at a sample point (the tutorial's
values on every arrow) and the collapsed one-node view of the whole layer."""

from __future__ import annotations

import sympy as sp

from derive.errors import DeriveError
from derive.teaching.steps import output_name
from reports.layout import Drawing, DrawnEdge, DrawnNode, visible_width
from reports.texfmt import escape_tex, expr_tex

# where in its domain each input of the numeric example sits (one fraction per input, in turn)
EXAMPLE_FRACTIONS = (0.6, 0.3, 0.8, 0.45, 0.7, 0.2)
MAX_ARROW_LABEL = 30  # visible characters; a longer gradient is written ∂L/∂x
# the functions whose derivative jumps: a formula holding one gets an example on each side
KINKS = (sp.Piecewise, sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside)
COLLAPSED_GAP = 4.5  # cm from the inputs to the layer and from the layer to its output


def example_point(d) -> dict[str, float]:
    """A round value inside each parameter's domain: 0.6 in (−3, 3), 1.9 in (0.2, 3), ..."""
    point = {}
    for i, name in enumerate(d.params):
        low, high = d.domains.get(name, (-3.0, 3.0))
        fraction = EXAMPLE_FRACTIONS[i % len(EXAMPLE_FRACTIONS)]
        point[name] = round(low + fraction * (high - low), 1) or 0.5
    return point


def numeric_examples(d) -> tuple:
    """reports.graph_values.GraphValues of a scalar derivation at example_point and, where the
    formula has a kink (max, where, abs: ReLU's mask), at a point on the kink's other side, so
    that both branches are seen (empty for matrix formulas, or where the formula is not finite
    at the point)."""
    if d.shapes:
        return ()
    from derive.numbers import graph_numbers
    from reports.graph_values import graph_values

    first = example_point(d)
    points = [first]
    kinks = [n.expr for n in d.graph.nodes if n.expr.has(*KINKS)]
    if kinks:
        try:
            side = _branches(d, kinks, first)
            other = next((p for p in _other_points(d, first)
                          if _branches(d, kinks, p) != side), None)
        except (TypeError, ValueError):  # a branch SymPy cannot decide at a number
            other = None
        points += [other] if other is not None else []
    try:
        return tuple(graph_values(d, graph_numbers(d, p)) for p in points)
    except DeriveError:
        return ()


def _other_points(d, point: dict):
    """Candidate points for the other side of a kink: every value negated (where its domain
    allows), then each one alone, then the other fractions of each domain."""
    def inside(name, value):
        low, high = d.domains.get(name, (-3.0, 3.0))
        return low < value < high

    names = list(point)
    yield {n: -v if inside(n, -v) else v for n, v in point.items()}
    for name in names:
        if inside(name, -point[name]):
            yield {**point, name: -point[name]}
    for fraction in EXAMPLE_FRACTIONS:
        for name in names:
            low, high = d.domains.get(name, (-3.0, 3.0))
            yield {**point, name: round(low + (1 - fraction) * (high - low), 1) or 0.5}


def _branches(d, exprs, point: dict) -> tuple:
    """Which branch each kink of `exprs` takes at `point`: the first true condition of a
    Piecewise, the argument a Max/Min picks, the sign of an Abs/sign/Heaviside argument."""
    leaves = d.graph.leaves
    subs = {d.graph.node(leaves[n]).expr: sp.Float(v, 30)
            for n, v in point.items() if n in leaves}
    found = []
    for expr in exprs:
        for kink in sorted(expr.atoms(*KINKS), key=sp.default_sort_key):
            found.append(_branch(kink, subs))
    return tuple(found)


def _branch(kink, subs):
    def value(e):
        number = complex(sp.N(e.xreplace(subs), 15))
        return number.real

    if isinstance(kink, sp.Piecewise):
        for i, (_, condition) in enumerate(kink.args):
            if condition == sp.true or bool(condition.xreplace(subs)):
                return i
        return -1
    if isinstance(kink, (sp.Max, sp.Min)):
        values = [value(a) for a in kink.args]
        pick = max(values) if isinstance(kink, sp.Max) else min(values)
        return values.index(pick)
    return (value(kink.args[0]) > 0) - (value(kink.args[0]) < 0)


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
    return sp.Symbol(name)
