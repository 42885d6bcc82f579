"""HTML documents from the same plain data as the LaTeX and Markdown ones: one self-contained
file each (style sheet inside, no script, nothing fetched: a Content-Security-Policy says so),
the maths as MathML, the graphs as inline SVG, the code coloured (`htmlfmt`)."""

from __future__ import annotations

from reports.language import text
from reports.render import render


def report_html(report) -> str:
    """The HTML document of one operator's derivation (in the report's language)."""
    return render("report.html.j2", r=report, t=text(report.lang), lang=report.lang)


def index_html(rows, lang: str = "en") -> str:
    """The HTML index of many reports: [(Report, file name)]."""
    return render("index.html.j2", rows=rows, t=text(lang), lang=lang)


def tutorial_html(parts, lang: str = "en") -> str:
    """The seed tutorial's chapter as one HTML document."""
    return render("tutorial.html.j2", parts=parts, t=text(lang), lang=lang)


def graph_html(values, lang: str = "en") -> str:
    """The HTML page of `derive graph`."""
    return render("graph.html.j2", g=values, t=text(lang), lang=lang)
