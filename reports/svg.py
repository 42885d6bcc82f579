"""A Drawing (reports.layout) as inline SVG for the HTML documents: the same node positions
and arrow labels as the TikZ figures, operation nodes in circles, forward values above the
arrows (black) and the gradients flowing back below them (red), the labels as MathML.

Positions are in the Drawing's centimetres (y up); here SCALE pixels make a centimetre.
"""

from __future__ import annotations

import hashlib
import math
from html import escape

from markupsafe import Markup

from reports.layout import Drawing, visible_width
from reports.mathml import math_ml

SCALE = 44  # px per cm
OP_RADIUS = 22  # px, grown for a label up to CIRCLE_TEXT characters
CIRCLE_TEXT = 5  # a longer operation (sum(axis=1), broadcast) is drawn as a pill
LABEL_HEIGHT = 52  # px of room for a label (a fraction is about 40 px high)
GAP = 4  # px between an arrow and its label
PAD = 8  # px around the picture


def svg_picture(drawing: Drawing, title: str = "") -> Markup:
    """The drawing as an <svg> element at its natural size in pixels (the style sheet fits
    a wide one to a desktop's column; a phone scrolls it rather than shrink its labels)."""
    sizes = {n.key: _half_size(n) for n in drawing.nodes}
    at = {n.key: (n.x * SCALE, -n.y * SCALE) for n in drawing.nodes}
    parts, boxes = [], []
    for node in drawing.nodes:
        x, y = at[node.key]
        boxes.append((x - sizes[node.key][0], y - sizes[node.key][1] - 22,
                      x + sizes[node.key][0], y + sizes[node.key][1]))
    labels = []
    for edge in drawing.edges:
        start, control, end = _curve(at[edge.source], at[edge.target], edge.bend,
                                     sizes[edge.source], sizes[edge.target])
        if control is None:
            path = f"M{start[0]:.1f},{start[1]:.1f} L{end[0]:.1f},{end[1]:.1f}"
            middle = tuple(a + edge.pos * (b - a) for a, b in zip(start, end))
        else:
            path = (f"M{start[0]:.1f},{start[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} "
                    f"{end[0]:.1f},{end[1]:.1f}")
            t = edge.pos  # the quadratic Bézier at t
            middle = tuple((1 - t) ** 2 * a + 2 * t * (1 - t) * b + t * t * c
                           for a, b, c in zip(start, control, end))
        parts.append(f'<path class="arrow" d="{path}" marker-end="url(#{_marker(drawing)})"/>')
        for text, side in ((edge.above, "fwd"), (edge.below, "bwd")):
            if text:
                box = _label_box(middle, text, side, drawing.vertical)
                boxes.append(box)
                labels.append(_foreign(box, math_ml(text), f"label {side}",
                                       _align(side, drawing.vertical)))
    for node in drawing.nodes:
        parts.append(_node(node, at[node.key], sizes[node.key]))
        if node.caption:
            labels.append(_caption(node, at[node.key], sizes[node.key], drawing.vertical))
    left, top = min(b[0] for b in boxes) - PAD, min(b[1] for b in boxes) - PAD
    width = max(b[2] for b in boxes) + PAD - left
    height = max(b[3] for b in boxes) + PAD - top
    head = (f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="{left:.1f} {top:.1f} {width:.1f} {height:.1f}">')
    marker = (f'<defs><marker id="{_marker(drawing)}" viewBox="0 0 10 10" refX="9" refY="5" '
              'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
              '<path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>')
    caption = f"<title>{escape(title)}</title>" if title else ""
    return Markup(head + caption + marker + "".join(parts) + "".join(labels) + "</svg>")


def _marker(drawing: Drawing) -> str:
    """An id for the arrow head, the same for the same drawing (several figures per page)."""
    return "head" + hashlib.sha1(repr(drawing).encode()).hexdigest()[:10]


def _math_label(node) -> str | None:
    """The LaTeX math of a label that is all maths ($\\times(-1)$, $(\\cdot)^{2}$), else None
    (a word such as exp, drawn as text)."""
    label = node.label.strip()
    if len(label) > 1 and label.startswith("$") and label.endswith("$"):
        return label[1:-1]
    return None


def _word(node) -> str:
    """The label as the TikZ figure shows it when it is plain text (dot, exp), else the
    node's plain-text form (⊙ for \\ensuremath{\\odot})."""
    label = node.label.strip()
    return label if label and not set(label) & set("\\${}") else node.text


def _half_size(node) -> tuple[float, float]:
    """Half the width and height a node takes, in px."""
    math = _math_label(node)
    length = visible_width(math) if math is not None else len(_word(node))
    if node.kind == "op" and length <= CIRCLE_TEXT:
        radius = max(OP_RADIUS, 5 * length + 8)
        return radius, radius
    if node.kind == "op":
        return 4.2 * length + 12, 19
    if node.kind == "layer":
        return 5 * len(node.text) + 14, 21
    if node.kind == "input":
        return 5 * visible_width(node.label.strip("$")) + 8, 14
    return 0.0, 0.0


def _caption(node, at, half, vertical: bool) -> str:
    """The node's name (u₃, out) above it; left of it in a drawing read top to bottom,
    where arrows come in from above."""
    x, y = at
    if vertical:
        right = x - half[0] - 2
        return _foreign((right - 60, y - half[1] - 12, right, y), math_ml(node.caption),
                        "caption", "end end")
    top = y - half[1]
    return _foreign((x - 60, top - 24, x + 60, top), math_ml(node.caption), "caption",
                    "center end")


def _curve(source, target, bend, source_half, target_half):
    """Start, control point (None for a straight arrow) and end of an arrow, cut back to
    the edges of the two nodes. TikZ's `bend left=θ` leaves θ to the left of the chord."""
    dx, dy = target[0] - source[0], target[1] - source[1]
    length = math.hypot(dx, dy) or 1.0
    control = None
    if bend:
        lift = length / 2 * math.tan(math.radians(bend))
        # left of the direction of travel, in y-down pixels
        control = ((source[0] + target[0]) / 2 + dy / length * lift,
                   (source[1] + target[1]) / 2 - dx / length * lift)
    start = _towards(source, control or target, source_half, 0)
    end = _towards(target, control or source, target_half, 2)
    return start, control, end


def _towards(point, other, half, extra: float):
    """The point where the line to `other` leaves a node of half sizes `half` (its
    ellipse), `extra` px further out."""
    dx, dy = other[0] - point[0], other[1] - point[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    if half[0] and half[1]:
        distance = 1 / math.hypot(ux / half[0], uy / half[1]) + extra
    else:
        distance = extra
    return point[0] + ux * distance, point[1] + uy * distance


def _label_box(middle, tex: str, side: str, vertical: bool):
    """(left, top, right, bottom) of the room for a label beside the arrow's middle."""
    x, y = middle
    width = max(48.0, 9.0 * visible_width(tex) + 16)
    if vertical:  # forward on the left, backward on the right, centred on the arrow
        left = x - GAP - width if side == "fwd" else x + GAP
        return left, y - LABEL_HEIGHT / 2, left + width, y + LABEL_HEIGHT / 2
    top = y - GAP - LABEL_HEIGHT if side == "fwd" else y + GAP
    return x - width / 2, top, x + width / 2, top + LABEL_HEIGHT


def _align(side: str, vertical: bool) -> str:
    """Where a label sits in its room: against the arrow."""
    if vertical:
        return "end center" if side == "fwd" else "start center"
    return "center end" if side == "fwd" else "center start"


def _foreign(box, content, cls: str, align: str) -> str:
    left, top, right, bottom = box
    across, down = align.split()
    return (f'<foreignObject x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
            f'height="{bottom - top:.1f}"><div xmlns="http://www.w3.org/1999/xhtml" '
            f'class="{cls}" style="justify-content:{_flex(across)};align-items:{_flex(down)}">'
            f'<span>{content}</span></div></foreignObject>')


def _flex(where: str) -> str:
    return {"start": "flex-start", "end": "flex-end"}.get(where, "center")


def _node(node, at, half) -> str:
    x, y = at
    if node.kind == "op":
        cls = "op active" if node.active else "op"
        shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{half[0]:.1f}"/>'
                 if half[0] == half[1] else
                 f'<rect x="{x - half[0]:.1f}" y="{y - half[1]:.1f}" width="{2 * half[0]:.1f}" '
                 f'height="{2 * half[1]:.1f}" rx="{half[1]:.1f}"/>')
        math = _math_label(node)
        if math is None:
            return (f'<g class="{cls}">{shape}'
                    f'<text x="{x:.1f}" y="{y:.1f}">{escape(_word(node))}</text></g>')
        box = (x - half[0], y - half[1], x + half[0], y + half[1])
        return f'<g class="{cls}">{shape}</g>' + _foreign(box, math_ml(math), "oplabel",
                                                         "center center")
    if node.kind == "layer":
        return (f'<g class="layer"><rect x="{x - half[0]:.1f}" y="{y - half[1]:.1f}" '
                f'width="{2 * half[0]:.1f}" height="{2 * half[1]:.1f}" rx="6"/>'
                f'<text x="{x:.1f}" y="{y:.1f}">{escape(node.text)}</text></g>')
    if node.kind == "input":
        box = (x - half[0] - 10, y - half[1] - 6, x + half[0] + 10, y + half[1] + 6)
        return _foreign(box, math_ml(node.label.strip("$")), "input", "center center")
    return ""
