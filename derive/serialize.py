"""Derivations as JSON-ready dicts, with the keys of the command-line contract (DESIGN.md)."""

from __future__ import annotations

import sympy as sp


def expr_text(expr) -> str:
    """An expression in SymPy syntax (`@` for the matrix product, `*` elementwise)."""
    from derive.printers.text import formula_text

    return formula_text(expr)


def latex_text(expr) -> str:
    """`expr` in LaTeX; a name with `__` is printed as written (SymPy reads x__y as x^y)."""
    literal = {s: r"\mathrm{" + s.name.replace("_", r"\_") + "}"
               for s in expr.free_symbols if "__" in getattr(s, "name", "")}
    return sp.latex(expr, symbol_names=literal)


def step_json(step) -> dict:
    return {
        "id": step.node_id,
        "node": step.node,
        "value": expr_text(step.value),
        "input": expr_text(step.input),
        "rule": step.rule,
        "local": expr_text(step.local),
        "upstream": expr_text(step.upstream),
        "downstream": expr_text(step.downstream),
    }


def derivation_json(d) -> dict:
    return {
        "name": d.name,
        "formula": expr_text(d.expr),
        "formula_as_typed": d.text,
        "latex": latex_text(d.expr),
        "inputs": list(d.inputs),
        "constants": list(d.constants),
        "shapes": {k: [str(v) for v in dims] for k, dims in d.shapes.items()},
        "gradients": {n: expr_text(g) for n, g in d.gradients.items()},
        "saved_form": {n: (None if d.backward_form(n) is None else expr_text(d.backward_form(n)))
                       for n in d.saved_form},
        "saved_values": d.saved_names,
        "kept": {n: expr_text(v) for n, v in d.kept.items()},
        "intermediates": {n: expr_text(v) for n, v in getattr(d, "intermediates", {}).items()},
        "forward_source": d.forward_source,
        "backward_source": d.backward_source,
        "steps": [step_json(s) for s in d.steps],
        "conventions": list(d.conventions),
        "assumptions": list(d.assumptions),
        "checks": [{"name": c.name, "detail": c.detail, "max_error": c.max_error}
                   for c in d.checks],
        "layer": d.layer,
        "description": d.description,
        **({"worked_case": d.worked_case} if getattr(d, "worked_case", None) else {}),
    }
