"""Documents to files: one report per derivation, the index, the `derive graph` page.

Each file is rendered completely in memory (and, for PDF, compiled in a sandbox) before it
is moved into place, so a failure never leaves a partial file behind.
"""

from __future__ import annotations

import re
from pathlib import Path

from reports.build import build_pdf, write_atomic
from reports.html import graph_html, index_html, report_html
from reports.index_entries import index_entry
from reports.language import tex_engine
from reports.markdown import graph_md, index_md, report_md
from reports.model import Report, build_report
from reports.render import graph_tex, index_tex, report_tex

FORMATS = ("pdf", "tex", "md", "html")
SUFFIX = {"pdf": ".pdf", "tex": ".tex", "md": ".md", "html": ".html"}
INDEX_NOTATION_FORMATS = FORMATS  # the formats an index-notation report is written in


def file_stem(name: str) -> str:
    """A file name for a report: letters, digits, `_`, `-` and `.` only."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:64]
    return stem or "formula"


def _write(latex: str, markdown, fmt: str, path: Path, what: str, lang: str = "en",
           html=None) -> Path:
    if fmt == "pdf":
        return build_pdf(latex, path, what, engine=tex_engine(lang, latex))
    if fmt == "html":
        return write_atomic(path, html())
    return write_atomic(path, latex if fmt == "tex" else markdown())


def report_file(name: str, fmt: str) -> str:
    """The file name of the report called `name` in format `fmt`."""
    return file_stem(name) + SUFFIX[fmt]


def write_report(derivation, fmt: str, out: Path, verification=None,
                 stem: str | None = None, lang: str = "en") -> tuple[Report, Path]:
    """Render one derivation's report into `out` as pdf, tex, md or html, in language `lang`
    (named `stem`, else after the derivation; an index derivation's through
    reports.index_report)."""
    if hasattr(derivation, "program"):
        from reports.index_report import (
            build_index_report,
            index_report_html,
            index_report_md,
            index_report_tex,
        )

        report = build_index_report(derivation, lang, verification)
        path = Path(out) / report_file(stem or report.name, fmt)
        latex = index_report_tex(report) if fmt in ("pdf", "tex") else ""
        return report, _write(latex, lambda: index_report_md(report), fmt, path,
                              f"report {derivation.name}", lang,
                              lambda: index_report_html(report))
    report = build_report(derivation, verification, lang)
    path = Path(out) / report_file(stem or report.name, fmt)
    latex = report_tex(report) if fmt in ("pdf", "tex") else ""
    return report, _write(latex, lambda: report_md(report), fmt, path,
                          f"report {derivation.name}", lang, lambda: report_html(report))


def write_index(entries: list[tuple[Report, Path]], fmt: str, out: Path,
                lang: str = "en") -> Path:
    """The index of `entries`: every operator with formula, gradients, status, file."""
    status_lang = lang if fmt != "md" else "en"  # the Markdown index is English
    rows = [(index_entry(report, status_lang), path.name) for report, path in entries]
    path = Path(out) / report_file("index", fmt)
    latex = index_tex(rows, lang) if fmt in ("pdf", "tex") else ""
    return _write(latex, lambda: index_md(rows), fmt, path, "report index", lang,
                  lambda: index_html(rows, lang))


def write_graph(values, fmt: str, out: Path, lang: str = "en") -> Path:
    """The drawn graph of `derive graph` as graph.tex, .pdf, .md or .html."""
    path = Path(out) / report_file("graph", fmt)
    latex = graph_tex(values, lang) if fmt in ("pdf", "tex") else ""
    return _write(latex, lambda: graph_md(values), fmt, path, "derive graph", lang,
                  lambda: graph_html(values, lang))
