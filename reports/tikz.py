"""A Drawing as a TikZ picture: operation nodes in circles, forward values above the arrows
(black), backward values below them (red), as in the tutorial's figures."""

from __future__ import annotations

from reports.layout import Drawing

MAX_WIDTH = 36.0  # cm: pgf overflows on wider pictures; the units shrink to fit
STYLES = r"""[>=Stealth, x=UNITcm, y=UNITcm,
  op/.style={circle, draw, thick, minimum size=10mm, inner sep=1pt},
  input/.style={inner sep=3pt},
  caption/.style={font=\scriptsize, text=black!55},
  fwd/.style={above, sloped, font=\small, inner sep=2pt},
  bwd/.style={below, sloped, font=\small, text=red!70!black, inner sep=2pt}]"""


def tikz_picture(drawing: Drawing) -> str:
    """TikZ source of `drawing` (deterministic: same drawing, same text)."""
    width = max((abs(node.x) for node in drawing.nodes), default=0.0)
    unit = 1.0 if width <= MAX_WIDTH else MAX_WIDTH / width
    lines = [r"\begin{tikzpicture}" + STYLES.replace("UNIT", f"{unit:.3g}")]
    for node in drawing.nodes:
        where = f"({node.x:.2f},{node.y:.2f})"
        if node.kind == "end":
            lines.append(rf"\coordinate ({node.key}) at {where};")
        elif node.kind == "input":
            lines.append(rf"\node[input] ({node.key}) at {where} {{{node.label}}};")
        else:
            caption = f", label={{[caption]above:${node.caption}$}}" if node.caption else ""
            lines.append(rf"\node[op{caption}] ({node.key}) at {where} {{{node.label}}};")
    for edge in drawing.edges:
        path = "--" if not edge.bend else f"to[bend left={edge.bend}]"
        above = rf"node[fwd] {{${edge.above}$}}" if edge.above else ""
        below = rf"node[bwd] {{${edge.below}$}}" if edge.below else ""
        lines.append(rf"\draw[->, thick] ({edge.source}) {path} {above} {below} ({edge.target});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)
