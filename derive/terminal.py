"""Terminal rendering of a derivation (Rich): formula, graph, steps, results, code."""

from __future__ import annotations

import sympy as sp
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from derive.serialize import expr_text


def print_derivation(d, console: Console | None = None) -> None:
    console = console or Console()
    formula = expr_text(d.expr)
    console.print(f"[bold]{d.name}[/bold]: {escape(formula)}")
    if d.text != formula:  # show what was understood, in both notations
        from sympy import latex

        console.print(f"  typed:   {escape(d.text)}")
        console.print(f"  read as: {escape(formula)}   (LaTeX: {escape(latex(d.expr))})")
    if d.description:
        console.print(d.description)
    nodes = [n for n in d.graph.nodes if not n.is_leaf]
    console.print(escape("graph: " + " ; ".join(
        f"[{n.id}] {n.name + ' = ' if n.name else ''}{n.label}(" + ", ".join(
            d.graph.node(a).label if d.graph.node(a).is_leaf else
            (d.graph.node(a).name or f"[{a}]") for a in n.args) + ")" for n in nodes)))
    table = Table(title="reverse sweep: upstream × local = downstream")
    for column in ("node", "rule", "to", "upstream", "local", "downstream"):
        table.add_column(column, overflow="fold")
    for s in d.steps:
        table.add_row(escape(f"[{s.node_id}] {s.node}"), s.rule,
                      *(escape(expr_text(e)) for e in (s.input, s.upstream, s.local, s.downstream)))
    console.print(table)
    intermediates = getattr(d, "intermediates", {})
    for name, value in intermediates.items():
        console.print(escape(f"where {name} = {expr_text(value)}"))
    for name in d.inputs:
        saved = d.saved_form.get(name)
        if intermediates and saved is not None:  # the compact form is the answer
            console.print(f"[bold]dL/d{escape(name)}[/bold] = {escape(expr_text(saved))}")
            console.print(escape(f"  in the inputs: {expr_text(d.gradients[name])}"))
            continue
        console.print(f"[bold]dL/d{escape(name)}[/bold] = {escape(expr_text(d.gradients[name]))}")
        saved = d.backward_form(name) if hasattr(d, "backward_form") else saved
        if saved is not None:
            kept = getattr(d, "kept", {})
            defined = [f"{k} = {expr_text(v)}" for k, v in kept.items() if saved.has(
                sp.Symbol(k)) or saved.has(sp.Symbol(k, real=True))]
            if d.saved_form.get(name) is not None:
                defined.append(f"out = {formula}")
            console.print(escape(f"  in saved values: {expr_text(saved)}"
                                 f"   ({', '.join(defined)})"))
    for note in [*d.conventions, *d.assumptions]:
        console.print(f"note: {escape(str(note))}")
    console.print("checks: " + "; ".join(f"{c.name} ({c.detail}, max error {c.max_error:.1e})"
                                        for c in d.checks))
    console.print(Panel(Syntax(d.backward_source, "python"), title="generated backward"))
