"""Markdown documents from the same plain data as the LaTeX ones, for GitHub: math in
`$...$` / `$$...$$`, the graph as a Mermaid chart plus a table of the values on its arrows."""

from __future__ import annotations

from reports.language import text
from reports.render import render


def report_md(report) -> str:
    """The Markdown document of one operator's derivation."""
    return render("report.md.j2", r=report, t=text(report.lang))


def index_md(rows) -> str:
    """The Markdown index of many reports: [(Report, file name)]."""
    return render("index.md.j2", rows=rows)


def graph_md(values) -> str:
    """The Markdown page of `derive graph`."""
    return render("graph.md.j2", g=values)
