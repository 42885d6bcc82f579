"""Room for the labels of a drawn graph: each arrow label and node as a rectangle in the
drawing's centimetres, and the moves that keep labels off each other and off the nodes.

The rectangles estimate what is typeset: in the PDF (TikZ) a label is `\\small` math turned
along its arrow (`sloped`); on an HTML page (reports.svg) it stands upright. A character of
math is about CHAR_WIDTH wide, a label LABEL_HEIGHT high (a fraction FRACTION_HEIGHT). A label
sits at `pos` along the visible part of its arrow (between the two nodes' rims), above it (the
forward value) or below it (the gradient). Both styles are kept clear by `declutter`.
"""

from __future__ import annotations

import math
from dataclasses import replace

from reports.texfmt import visible_width

CHAR_WIDTH = 0.2   # cm per visible character of a label
LABEL_PAD = 0.3    # cm of white ground around a label's text
LABEL_HEIGHT = 0.45
FRACTION_HEIGHT = 0.8
GAP = 0.05         # cm between an arrow and its label
OP_RADIUS = 0.55   # cm: an operation's circle (10 mm, drawn thick)
SHIFT = 0.6        # cm a crowded column moves right
POSITIONS = (0.5, 0.38, 0.62, 0.26, 0.74, 0.15, 0.85)  # where along its arrow a label may sit
LATER = (0.5, 0.62, 0.74, 0.85)    # a fan of arrows leaving one node: apart towards the ends
EARLIER = (0.5, 0.38, 0.26, 0.15)  # a fan of arrows entering one node: apart near the starts
MAX_MOVES = 24
MAX_WIDEN = 10  # columns moved right at most this often per drawing
STYLES = ("sloped", "upright")


def label_size(tex: str) -> tuple[float, float]:
    high = FRACTION_HEIGHT if "frac" in tex else LABEL_HEIGHT
    return CHAR_WIDTH * visible_width(tex) + LABEL_PAD, high


def node_half(node) -> tuple[float, float]:
    """Half the width and height of a drawn node, in cm."""
    width = CHAR_WIDTH * visible_width(node.label.strip("$")) + 0.3
    if node.kind == "op":
        return max(2 * OP_RADIUS, width) / 2, OP_RADIUS
    if node.kind in ("input", "layer"):
        return width / 2, 0.25
    return 0.0, 0.0


def _rim(centre, other, half) -> tuple[float, float]:
    """Where the straight line from `centre` towards `other` leaves a node of half sizes (its
    bounding box: a circle's is a little larger, which leaves a label a little more room)."""
    dx, dy = other[0] - centre[0], other[1] - centre[1]
    length = math.hypot(dx, dy) or 1.0
    if not (half[0] and half[1]):
        return centre
    distance = min(half[0] / (abs(dx) / length or 1e-9), half[1] / (abs(dy) / length or 1e-9))
    return centre[0] + dx / length * distance, centre[1] + dy / length * distance


def label_boxes(drawing, style: str = "sloped") -> list[tuple[int, str, tuple]]:
    """(edge index, "above" | "below", rectangle) of every arrow label; a rectangle is
    (centre x, centre y, unit x, unit y, half width, half height), its width along (ux, uy)."""
    nodes = {n.key: n for n in drawing.nodes}
    boxes = []
    for index, edge in enumerate(drawing.edges):
        source, target = nodes[edge.source], nodes[edge.target]
        a = _rim((source.x, source.y), (target.x, target.y), node_half(source))
        b = _rim((target.x, target.y), (source.x, source.y), node_half(target))
        chord = math.hypot(b[0] - a[0], b[1] - a[1]) or 1.0
        ux, uy = (b[0] - a[0]) / chord, (b[1] - a[1]) / chord
        x, y = a[0] + edge.pos * (b[0] - a[0]), a[1] + edge.pos * (b[1] - a[1])
        if edge.bend:  # a bent arrow is lifted to the left of its chord, most at its middle
            lift = chord / 2 * math.tan(math.radians(edge.bend)) * 4 * edge.pos * (1 - edge.pos)
            x, y = x - uy * lift, y + ux * lift
            ux, uy = 1.0, 0.0  # its label is drawn near the top of the curve: level enough
        if style == "upright":
            ux, uy = 1.0, 0.0
        nx, ny = (-uy, ux) if ux >= 0 else (uy, -ux)  # the side "above" the arrow
        for side, tex in (("above", edge.above), ("below", edge.below)):
            if tex:
                width, height = label_size(tex)
                out = (GAP + height / 2) * (1 if side == "above" else -1)
                boxes.append((index, side, (x + nx * out, y + ny * out, ux, uy,
                                            width / 2, height / 2)))
    return boxes


def node_boxes(drawing) -> list[tuple[str, tuple]]:
    return [(n.key, (n.x, n.y, 1.0, 0.0, *half)) for n in drawing.nodes
            for half in [node_half(n)] if half != (0.0, 0.0)]


def overlap(r1, r2) -> bool:
    """Whether two rectangles overlap (separating axes: none of their four sides' normals
    separates them)."""
    for ux, uy in ((r1[2], r1[3]), (-r1[3], r1[2]), (r2[2], r2[3]), (-r2[3], r2[2])):
        reach = sum(abs(r[4] * (r[2] * ux + r[3] * uy)) + abs(r[5] * (-r[3] * ux + r[2] * uy))
                    for r in (r1, r2))
        if abs((r2[0] - r1[0]) * ux + (r2[1] - r1[1]) * uy) >= reach - 1e-9:
            return False
    return True


def crowding(drawing) -> list[tuple]:
    """Every clash, in either style: (edge, edge) for two labels that overlap, (edge, node
    key) for a label over a node."""
    found = []
    if drawing.vertical:  # labels beside arrows read top to bottom: not modelled here
        return found
    for style in STYLES:
        labels = label_boxes(drawing, style)
        for i, (e1, _, box1) in enumerate(labels):
            found += [(e1, e2) for e2, _, box2 in labels[i + 1:]
                      if e1 != e2 and overlap(box1, box2)]
            found += [(e1, key) for key, box in node_boxes(drawing) if overlap(box1, box)]
    return list(dict.fromkeys(found))


def declutter(drawing):
    """The drawing with its labels moved along their arrows, and crowded columns widened,
    until no label overlaps another label or a node, or no rule has a move left."""
    widened = 0
    for _ in range(MAX_MOVES):
        clashes = crowding(drawing)
        moved = next((m for m in (_resolve(drawing, c, widened < MAX_WIDEN) for c in clashes)
                      if m), None)
        if moved is None:
            break
        widened += moved.nodes != drawing.nodes
        drawing = moved
    return drawing


def _resolve(drawing, clash, may_widen: bool):
    """One move against one clash, or None: labels on arrows that leave (enter) one node
    slide together towards the far (near) ends, where the arrows are further apart; else one
    label slides along its arrow to where the clash ends without a new one; else the column
    the arrow runs into moves right (a label too wide for its arrow)."""
    first, second = clash
    edges = drawing.edges
    edge = edges[first]
    cramped = [i for i in (first, second) if isinstance(i, int) and _too_long(drawing, i)]
    if (cramped or second in (edge.source, edge.target)) and may_widen:
        return _widened(drawing, edges[cramped[0]] if cramped else edge)
    count = len(crowding(drawing))
    if isinstance(second, int):
        other = edges[second]
        for shared, positions in (("source", LATER), ("target", EARLIER)):
            end = getattr(edge, shared)
            if end == getattr(other, shared):
                now = min(positions, key=lambda q: abs(q - edge.pos))
                for pos in positions[positions.index(now) + 1:]:
                    moved = replace(drawing, edges=tuple(
                        replace(e, pos=pos) if getattr(e, shared) == end else e
                        for e in edges))
                    if len(crowding(moved)) < count:
                        return moved
    for index in (first, second) if isinstance(second, int) else (first,):
        for pos in POSITIONS:
            moved = replace(drawing, edges=tuple(replace(e, pos=pos) if i == index else e
                                                 for i, e in enumerate(edges)))
            found = crowding(moved)
            if clash not in found and len(found) < count:
                return moved
    return _widened(drawing, edge) if may_widen else None


def _too_long(drawing, index: int) -> bool:
    """Whether a label of arrow `index` is longer than the arrow between the nodes' rims."""
    nodes = {n.key: n for n in drawing.nodes}
    edge = drawing.edges[index]
    source, target = nodes[edge.source], nodes[edge.target]
    a = _rim((source.x, source.y), (target.x, target.y), node_half(source))
    b = _rim((target.x, target.y), (source.x, source.y), node_half(target))
    room = math.hypot(b[0] - a[0], b[1] - a[1])
    return any(label_size(t)[0] > room for t in (edge.above, edge.below) if t)


def _widened(drawing, edge):
    """The column `edge` runs into, and every column right of it, moved SHIFT right (None for
    an arrow that does not run rightwards)."""
    nodes = {n.key: n for n in drawing.nodes}
    start = nodes[edge.target].x
    if start <= nodes[edge.source].x:
        return None
    return replace(drawing, nodes=tuple(replace(n, x=round(n.x + SHIFT, 2)) if n.x >= start
                                        else n for n in drawing.nodes))
