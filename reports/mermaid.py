"""A Drawing as a Mermaid flowchart, which GitHub draws from a ```mermaid block."""

from __future__ import annotations

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
        lines.append(f"    {edge.source} --> {edge.target}")
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return " ".join(text.split()).replace('"', "#quot;").replace("`", "#96;")
