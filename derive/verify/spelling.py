"""How the user's code names things, read from its source: the gradients a backward returns
(`return dx, dw, db`), the attributes it sets (`self.dW = ...`), so that findings speak of `dx`
and `dw` as the code does, not of the catalog's `dX` and `dW`."""

from __future__ import annotations

import ast
import inspect
import textwrap


def returned_names(func, count: int, skip: int = 0) -> list[str | None]:
    """The variable names `func` returns (return dx, dw, db), from its source; None where a
    returned value is not a plain name or the source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return [None] * count
    for node in ast.walk(tree):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, (ast.Tuple, ast.List)) else [
                node.value]
            names = [v.id if isinstance(v, ast.Name) else None for v in values][skip:]
            if len(names) == count:
                return names
    return [None] * count


def assigned_attributes(func) -> set[str]:
    """The attributes `func` assigns on self (self.dW = ...), from its source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return set()
    return {t.attr for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AugAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
            and t.value.id == "self"}


def student_labels(spelled: dict, returned: list, grad_names: list) -> dict:
    """name → how the layer's code calls its gradient: the name it returns (dx), else d + the
    layer's own name for the input (forward(self, x) → dx)."""
    labels = {n: f"d{spelled.get(n, n)}" for n in spelled}
    for name, own in zip(grad_names, returned):
        if own and own.isidentifier():
            labels[name] = own
    return labels
