"""A Drawing as a TikZ picture: operation nodes in circles, forward values above the arrows
(black), backward values below them (red), as in the tutorial's figures."""

from __future__ import annotations

from reports.layout import Drawing

STYLES = r"""[>=Stealth, x=1cm, y=1cm,
  op/.style={circle, draw, thick, minimum size=10mm, inner sep=1pt},
  active/.style={fill=yellow!40, draw=red!70!black, very thick},
  input/.style={inner sep=3pt},
  layer/.style={draw, thick, rounded corners, fill=black!4, minimum height=10mm, inner sep=5pt},
  caption/.style={font=\scriptsize, text=black!55},
  fwd/.style={above, sloped, font=\small, inner sep=1.5pt, fill=white, yshift=1pt},
  bwd/.style={below, sloped, font=\small, text=red!70!black, inner sep=1.5pt, fill=white,
              yshift=-1pt}]"""
# a graph drawn top to bottom: labels upright, forward on the left, backward on the right
VERTICAL = r"""[fwd/.style={left, font=\small, inner sep=1.5pt, fill=white, xshift=-1pt},
  bwd/.style={right, font=\small, text=red!70!black, inner sep=1.5pt, fill=white, xshift=1pt}]"""


def tikz_picture(drawing: Drawing) -> str:
    """TikZ source of `drawing` (deterministic: same drawing, same text)."""
    lines = [r"\begin{tikzpicture}" + STYLES]
    if drawing.vertical:
        lines.append(r"\tikzset" + VERTICAL.replace("[", "{", 1)[:-1] + "}")
    for node in drawing.nodes:
        where = f"({node.x:.2f},{node.y:.2f})"
        if node.kind == "end":
            lines.append(rf"\coordinate ({node.key}) at {where};")
        elif node.kind in ("input", "layer"):
            lines.append(rf"\node[{node.kind}] ({node.key}) at {where} {{{node.label}}};")
        else:
            caption = f", label={{[caption]above:${node.caption}$}}" if node.caption else ""
            style = "op, active" if node.active else "op"
            lines.append(rf"\node[{style}{caption}] ({node.key}) at {where} {{{node.label}}};")
    for edge in drawing.edges:  # every arrow first, then every label on a white ground above
        lines.append(rf"\draw[->, thick] ({edge.source}) {_path(edge)} ({edge.target});")
    for edge in drawing.edges:
        at = "" if edge.pos == 0.5 else f", pos={edge.pos:g}"
        above = rf"node[fwd{at}] {{${edge.above}$}}" if edge.above else ""
        below = rf"node[bwd{at}] {{${edge.below}$}}" if edge.below else ""
        if above or below:
            lines.append(rf"\path ({edge.source}) {_path(edge)} {above} {below} ({edge.target});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _path(edge) -> str:
    return "--" if not edge.bend else f"to[bend left={edge.bend}]"
