"""The final simplification of one gradient as a chain of equalities.

∂L/∂x = (product of the local derivatives along every path from the output to x, in node
names) = (the same in the inputs) = (multiplied out) = (simplified) = (in saved values), the
way the tutorial ends its Sigmoid derivation with σ(1 − σ). Repeated lines are dropped.
"""

from __future__ import annotations

from reports.naming import local_forms
from reports.texfmt import expr_tex, product_tex

MAX_PATHS = 6


def gradient_chain(d, name: str, names) -> list[tuple[str, str]]:
    """[(LaTeX, note)] from the path products to the final, saved-value form."""
    lines: list[tuple[str, str]] = []
    paths = _paths(d, name)
    scalar = not any(n.is_matrix for n in d.graph.nodes)
    if d.steps and paths and len(paths) <= MAX_PATHS and scalar:
        dout = d.steps[0].upstream
        named = [[names.rename(dout)] + [local_forms(d, s, names)[-1]
                                         for s in p] for p in paths]
        full = [[dout] + [s.local for s in p] for p in paths]
        lines.append((" + ".join(product_tex(f) for f in named),
                      "upstream times locals" + (", per path" if len(paths) > 1 else "")))
        lines.append((" + ".join(product_tex(f) for f in full), "in the inputs"))
    if name in d.raw_gradients:
        lines.append((expr_tex(d.raw_gradients[name]), "multiplied out"))
    lines.append((expr_tex(d.gradients[name]), "simplified"))
    saved = d.saved_form.get(name)
    if saved is not None:
        lines.append((expr_tex(saved), "in the saved output"))
    unique: list[tuple[str, str]] = []
    for tex, note in lines:
        if unique and unique[-1][0] == tex:
            unique[-1] = (tex, note)  # the same expression: name the later stage
        else:
            unique.append((tex, note))
    return unique


def _paths(d, name: str) -> list[list]:
    """Every path of steps from the output down to the input `name`."""
    graph = d.graph
    leaf = graph.leaves.get(name)
    if leaf is None:
        return []
    ids = {n.expr: n.id for n in graph.nodes}
    below: dict[int, list[tuple[int, object]]] = {}
    for step in d.steps:
        child = ids.get(step.input)
        if child is not None:
            below.setdefault(step.node_id, []).append((child, step))
    found: list[list] = []

    def walk(node_id, path):
        if len(found) > MAX_PATHS:
            return
        if node_id == leaf:
            found.append(path)
            return
        for child, step in below.get(node_id, ()):
            walk(child, path + [step])

    walk(graph.output.id, [])
    return found
