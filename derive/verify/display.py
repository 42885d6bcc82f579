"""The terminal view of a verification report: one Rich table, then one line per finding."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "error": "magenta"}
MARK = {"pass": "✓", "warn": "!", "fail": "✗", "error": "✗"}


def print_report(report, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=True)
    table = Table(title=f"derive verify (seed {report.seed})")
    for column in ("target", "operator / convention", "verdict", "checks"):
        table.add_column(column, overflow="fold")
    for result in report.results:
        counts = {s: sum(c.status == s for c in result.checks) for s in STYLE}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "-"
        style = STYLE[result.status]
        table.add_row(escape(result.target), escape(result.convention or result.op or "-"),
                      f"[{style}]{result.status}[/]", summary)
    if report.results:
        console.print(table)
    for result in report.results:
        repeated = any(c.message and c.message in result.message for c in result.checks)
        if result.message and result.status != "pass" and not repeated:
            console.print(f"[{STYLE[result.status]}]✗[/] {escape(result.target)}: "
                          f"{escape(result.message)}")
        elif result.message and result.status == "pass":
            console.print(f"[green]✓[/] {escape(result.target)}: {escape(result.message)}")
        for check in result.checks:
            if check.status != "pass":
                style = STYLE[check.status]
                console.print(f"[{style}]{MARK[check.status]} {escape(result.target)} "
                              f"{check.name}[/] ({check.status}): {escape(check.message)}")
    for skipped in report.skipped:
        console.print(f"- skipped {escape(skipped['target'])}: {escape(skipped['reason'])}")
    for block in report.blocks:
        console.print(f"[yellow]! {escape(block['target'])} block {block['block']} (line "
                      f"{block['line']}) failed to run: {escape(block['error'])}[/]")
    if report.results:  # without any, the line below says it all
        for nothing in report.nothing:
            console.print(f"- nothing to verify in {escape(nothing['target'])}: "
                          f"{escape(nothing['reason'])}")
    summary = report.summary()
    if summary["nothing_judged"]:
        console.print(f"[red]✗ {escape(summary['nothing_judged'])}[/]")
    console.print(f"{summary['pass']} passed, {summary['fail']} failed, {summary['error']} "
                  f"errors, {summary['warnings']} warnings, {len(report.skipped)} skipped "
                  "(not bound)")
    console.print(f"seed {report.seed}; rerun: {escape(report.rerun)}")
