"""Where each node of a computational graph goes, and what is written on each edge.

Layered left to right like the tutorial's figures: inputs in the first column, each node one
column right of its deepest input, rows ordered by the average row of a node's inputs. A
Drawing is plain data; `tikz` turns it into a picture, `markdown` into a Mermaid chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from reports.label_room import CHAR_WIDTH, LABEL_PAD, OP_RADIUS, declutter
from reports.texfmt import expr_tex, node_label_tex, short_number, visible_width

SHORT_LABEL = 14  # visible characters above which an edge shows a node's name instead
ROW_SEP = 2.0  # cm between rows
MIN_GAP = 2.8  # cm between columns
MAX_ACROSS = 24.0  # cm: a wider graph is drawn top to bottom (its picture still fits a page)


@dataclass(frozen=True)
class DrawnNode:
    key: str
    label: str  # LaTeX text mode (an operation such as +, ×, exp; or $x$ for an input)
    x: float
    y: float
    kind: str  # "input", "op" or "end"
    caption: str  # LaTeX math: the node's name (u_{3}, out), or ""
    text: str = ""  # the label as plain text (×(−1), exp, x) for charts without LaTeX
    active: bool = False  # the node a step figure is about (drawn highlighted)


@dataclass(frozen=True)
class DrawnEdge:
    source: str
    target: str
    above: str  # LaTeX math: the forward value
    below: str  # LaTeX math: the backward value
    bend: int  # 0 for a straight arrow
    pos: float = 0.5  # where along the arrow its labels sit (reports.label_room)


@dataclass(frozen=True)
class Drawing:
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]
    legend: tuple[tuple[str, str], ...] = ()  # (short name on an arrow, what it stands for)
    vertical: bool = False  # drawn top to bottom (a graph too deep to fit across the page)

    def arrows(self):
        """(source node, target node, edge) for every arrow, in drawing order."""
        by_key = {n.key: n for n in self.nodes}
        return [(by_key[e.source], by_key[e.target], e) for e in self.edges]


def draw_graph(graph, names, steps, order=(), upto=None) -> Drawing:
    """The report's picture: expressions (or node names) above the arrows, the gradient
    flowing back (in node names) below them; a gradient too long for its arrow is written
    as a short name (∂L/∂u₂, or g₃ where a value feeds several nodes) listed in the legend.
    With `upto`, only the first `upto` steps are drawn and the last one's node is active."""
    ids = {n.expr: n.id for n in graph.nodes}
    users = {n.id: sum(n.id in m.args for m in graph.nodes) for n in graph.nodes}
    below, legend = {}, []
    shown = steps if upto is None else steps[:upto]
    for number, step in enumerate(shown, start=1):
        child = ids.get(step.input)
        text = expr_tex(names.rename(step.downstream))
        if visible_width(text) > SHORT_LABEL + 4:
            short = (rf"\tfrac{{\partial L}}{{\partial {expr_tex(names.symbol(child))}}}"
                     if child is not None and users[child] == 1 else f"g_{{{number}}}")
            legend.append((short, text))
            text = short
        below[(child, step.node_id)] = text

    def above(node):
        text = expr_tex(node.expr)
        return text if visible_width(text) <= SHORT_LABEL else expr_tex(names.symbol(node.id))

    forward = {n.id: above(n) for n in graph.nodes}
    backward = dict(below)
    backward[(graph.output.id, None)] = expr_tex(steps[0].upstream) if steps else ""
    captions = {n.id: ("" if n.is_leaf else expr_tex(names.symbol(n.id))) for n in graph.nodes}
    active = shown[-1].node_id if upto else None
    drawing = layout(graph, forward, backward, captions, order, active)
    return replace(drawing, legend=tuple(dict(legend).items()))


def layout(graph, forward: dict, backward: dict, captions: dict, order=(),
           active=None) -> Drawing:
    """Place the nodes; `forward[node_id]` is written above every arrow leaving that node,
    `backward[(child_id, parent_id)]` below it (parent None: the arrow out of the output).
    Inputs are stacked top to bottom in `order` (names), then in the graph's order."""
    column = _columns(graph)
    rows = _rows(graph, column, list(order))
    gaps = {}
    for node in graph.nodes:
        for child in node.args:
            width = max(visible_width(forward.get(child, "")),
                        visible_width(backward.get((child, node.id), "")))
            gaps[column[node.id]] = max(gaps.get(column[node.id], 0), width)
    last = max(column.values())
    out_width = max(visible_width(forward.get(graph.output.id, "")),
                    visible_width(backward.get((graph.output.id, None), "")))
    x_of, x = {}, 0.0
    for col in range(last + 2):
        if col:  # room for the widest label between two node rims
            width = gaps.get(col, 0) if col <= last else out_width
            x += max(MIN_GAP, CHAR_WIDTH * width + LABEL_PAD + 2 * OP_RADIUS + 0.2)
        x_of[col] = round(x, 2)
    nodes = []
    for node in graph.nodes:
        kind = "input" if node.is_leaf else "op"
        label = f"${expr_tex(node.expr)}$" if node.is_leaf else node_label_tex(node)
        nodes.append(DrawnNode(f"n{node.id}", label, x_of[column[node.id]],
                               round(-rows[node.id] * ROW_SEP, 2) + 0.0, kind,
                               captions.get(node.id, ""), short_number(node.label),
                               node.id == active))
    out_y = round(-rows[graph.output.id] * ROW_SEP, 2) + 0.0
    end = DrawnNode("sink", "", x_of[last + 1], out_y, "end", "", "output")
    edges = []
    for node in sorted(graph.nodes, key=lambda n: (column[n.id], rows[n.id])):
        for child in sorted(node.args, key=lambda c: rows[c]):
            edges.append(DrawnEdge(f"n{child}", f"n{node.id}", forward.get(child, ""),
                                   backward.get((child, node.id), ""),
                                   _bend(graph, column, rows, child, node.id)))
    edges.append(DrawnEdge(f"n{graph.output.id}", "sink", forward.get(graph.output.id, ""),
                           backward.get((graph.output.id, None), ""), 0))
    drawn = (*nodes, end)
    vertical = x_of[last + 1] > MAX_ACROSS  # too wide for the page: top to bottom instead
    if vertical:  # columns become rows ROW_SEP apart; labels sit beside the arrows
        rank = {x: i for i, x in enumerate(sorted({n.x for n in drawn}))}
        drawn = tuple(replace(n, x=round(-n.y * 1.8, 2) + 0.0,
                              y=round(-rank[n.x] * ROW_SEP, 2) + 0.0) for n in drawn)
    return declutter(Drawing(drawn, tuple(edges), vertical=vertical))


def reading_order(graph, order=()) -> list[int]:
    """Node ids as a reader meets them in the drawing: by column, then top to bottom."""
    column = _columns(graph)
    rows = _rows(graph, column, list(order))
    return sorted(column, key=lambda node_id: (column[node_id], rows[node_id]))


def _columns(graph) -> dict[int, int]:
    """Each node one column right of its deepest input; each input just left of its first user."""
    column = {}
    for node in graph.nodes:  # children come first
        column[node.id] = 0 if node.is_leaf else 1 + max(column[c] for c in node.args)
    for node in graph.nodes:
        if node.is_leaf:
            users = [n for n in graph.nodes if node.id in n.args]
            column[node.id] = min((column[u.id] for u in users), default=1) - 1
    return column


def _rows(graph, column, order: list[str]) -> dict[int, float]:
    """Row of each node: columns in order, each sorted by its inputs' mean row, 1 apart."""
    rows: dict[int, float] = {}
    by_column: dict[int, list] = {}
    for node in graph.nodes:
        by_column.setdefault(column[node.id], []).append(node)
    rank = {name: i for i, name in enumerate(order)}
    leaves = sorted((n for n in graph.nodes if n.is_leaf),
                    key=lambda n: (rank.get(str(n.expr), len(rank)), n.id))
    for i, node in enumerate(leaves):
        rows[node.id] = i - (len(leaves) - 1) / 2
    for col in sorted(by_column):
        wanted = sorted((rows[n.id] if n.is_leaf else sum(rows[c] for c in n.args) / len(n.args),
                          n.id) for n in by_column[col])
        placed = []
        for target, _ in wanted:
            placed.append(target if not placed else max(target, placed[-1] + 1))
        shift = (sum(t for t, _ in wanted) - sum(placed)) / len(placed)
        for (_, node_id), row in zip(wanted, placed):
            rows[node_id] = row + shift
    return rows


def _bend(graph, column, rows, child, parent) -> int:
    """Bend an arrow that would run straight through a node between its two ends."""
    c0, c1 = column[child], column[parent]
    if c1 - c0 < 2:
        return 0
    r0, r1 = rows[child], rows[parent]
    for node in graph.nodes:
        c = column[node.id]
        if c0 < c < c1:
            expected = r0 + (r1 - r0) * (c - c0) / (c1 - c0)
            if abs(rows[node.id] - expected) < 0.5:
                return 30 if r1 <= r0 else -30
    return 0
