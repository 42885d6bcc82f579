"""Arrow labels never overlap each other or a node, in the layout data both the PDF (TikZ,
labels along the arrows) and the HTML pages (SVG, labels upright) are drawn from."""

import pytest

from derive import catalog
from derive.index import is_index_formula
from derive.pipeline import derive
from reports.label_room import crowding, declutter, label_boxes, overlap
from reports.layout import Drawing, DrawnEdge, DrawnNode
from reports.model import build_report

FORMULAS = ["rice*rice_num + flour*flour_num", "x*tanh(log(1+exp(x)))",
            "sigmoid(w0*x0 + w1*x1 + w2)", "exp(x) + x**2 + sin(x)", "x*y + x*z",
            "x*sigmoid(x)", "x*exp(x)"]
OPERATORS = [op for op, e in catalog.builtin().items() if not is_index_formula(e.formula)]


def _drawings(report):
    return [report.drawing, *(e.drawing for e in report.examples)]


@pytest.mark.parametrize("op", OPERATORS)
def test_catalog_graphs_have_room_for_every_label(op):
    report = build_report(derive(op))
    for drawing in _drawings(report):
        assert crowding(drawing) == [], op


@pytest.mark.parametrize("formula", FORMULAS)
def test_typed_formulas_have_room_for_every_label(formula):
    report = build_report(derive(formula=formula))
    for drawing in _drawings(report):
        assert crowding(drawing) == [], formula


def test_two_short_arrows_from_one_input_are_seen_crowded_and_moved_apart():
    nodes = (DrawnNode("x", "$x$", 0.0, 0.0, "input", ""),
             DrawnNode("a", "exp", 2.2, 0.6, "op", ""),
             DrawnNode("b", "sin", 2.2, -0.6, "op", ""))
    edges = (DrawnEdge("x", "a", "x", r"\mathrm{dout} \cdot e^{x}", 0),
             DrawnEdge("x", "b", "x", r"\mathrm{dout} \cdot \cos x", 0))
    crowded = Drawing(nodes, edges)
    assert crowding(crowded)  # the checker sees labels on top of each other
    fixed = declutter(crowded)
    assert crowding(fixed) == []
    assert fixed.nodes[1].x > 2.2 or {e.pos for e in fixed.edges} != {0.5}


def test_overlap_of_turned_rectangles():
    level = (0.0, 0.0, 1.0, 0.0, 1.0, 0.2)
    turned = (0.0, 0.9, 0.0, 1.0, 1.0, 0.2)  # upright, reaching down to y = -0.1
    assert overlap(level, turned)
    assert not overlap(level, (0.0, 1.3, 0.0, 1.0, 1.0, 0.2))
    assert len(label_boxes(Drawing((DrawnNode("a", "$a$", 0, 0, "input", ""),
                                    DrawnNode("b", "+", 3, 0, "op", "")),
                                   (DrawnEdge("a", "b", "a", "g", 0),)))) == 2
