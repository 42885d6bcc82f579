"""Terminal rendering of an index derivation (Rich): statements, steps, gradients, code."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

from derive.index.printing import read_text, statement_text, text


def print_index_derivation(d, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]{escape(d.name)}[/bold]: {escape(d.text)}")
    if d.description:
        console.print(escape(d.description))
    console.print("statements, with the range of every index:")
    for statement in d.program.statements:
        ranges = ", ".join(f"{i} < {text(r)}" for i, r in statement.ranges.items())
        console.print(escape(f"  {statement_text(statement)}    ({ranges})"))
    console.print("reverse sweep: upstream × ∂body/∂read, summed with a Kronecker delta, "
                  "then the delta eliminated:")
    for step in d.steps():
        console.print(escape(f"  [{step['rule']}] {step['node']}"))
        console.print(escape(f"      ∂/∂{step['input']} = {step['local']}"))
        console.print(escape(f"      {step['with_delta']}"))
        if step["solved"]:
            console.print(escape("      solve: " + ", ".join(f"{k} = {v}" for k, v in
                                                             step["solved"].items())))
        console.print(escape(f"      {step['downstream']}"))
    for name in d.inputs:
        shape = ", ".join(text(s) for s in d.program.shape_of(name))
        console.print(f"[bold]{escape(read_text('d' + name, []))}[/bold] ({escape(shape)}): "
                      + escape(d.gradients[name]))
    for note in d.conventions:
        console.print(f"note: {escape(note)}")
    console.print("checks: " + "; ".join(f"{c['name']} ({escape(c['detail'])}, max error "
                                        f"{c['max_error']:.1e})" for c in d.checks))
    console.print(Panel(Syntax(d.backward_source, "python"), title="generated backward"))
