"""A Drawing as a Mermaid flowchart, which GitHub draws from a ```mermaid block."""

from __future__ import annotations

import re

from reports.layout import Drawing


def mermaid_chart(drawing: Drawing) -> str:
    """The graph left to right, operation nodes in circles, inputs in boxes."""
    lines = ["flowchart LR"]
    for node in drawing.nodes:
        text = _mermaid_text(node.text)
        if node.kind in ("input", "layer"):
            lines.append(f'    {node.key}["{text}"]')
        elif node.kind == "op":
            lines.append(f'    {node.key}(("{text}"))')
        else:  # where the output goes: on to the loss
            lines.append(f'    {node.key}["{text}"]')
    for edge in drawing.edges:
        label = _edge_label(edge)
        arrow = f'-- "{label}" -->' if label else "-->"
        lines.append(f"    {edge.source} {arrow} {edge.target}")
    return "\n".join(lines)


def _edge_label(edge) -> str:
    """`forward / backward` on an arrow when both are plain text (numbers); LaTeX labels stay
    in the table beside the chart, since Mermaid does not typeset them."""
    parts = [p for p in (edge.above, edge.below) if p]
    if not parts or any(re.search(r"[\\{}^_]", p) for p in parts):
        return ""
    return _mermaid_text(" / ".join(parts))


def _mermaid_text(text: str) -> str:
    return " ".join(text.split()).replace('"', "#quot;").replace("`", "#96;")
