"""One row of the `--all` index, read from either kind of report: an operator's (reports.model)
or an index-notation formula's (reports.index_report). The index templates read only this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexEntry:
    name: str
    formula_lines: tuple[str, ...]   # LaTeX math, each a whole equation
    gradient_lines: tuple[str, ...]  # LaTeX math: one equation per differentiated input
    status: str


def index_entry(report, lang: str = "en") -> IndexEntry:
    """The index row of `report` (a reports.model.Report or a reports.index_report.IndexReport),
    its status in `lang`."""
    from reports.language import translate

    entry = _entry(report)
    return IndexEntry(entry.name, entry.formula_lines, entry.gradient_lines,
                      translate(entry.status, lang))


def _entry(report) -> IndexEntry:
    if hasattr(report, "statements"):  # index notation: the statement that defines the output
        return IndexEntry(
            name=report.name, formula_lines=(report.statements[-1][1],),
            gradient_lines=tuple(lines[-1] for lines in report.gradients.values() if lines),
            status="checked")
    return IndexEntry(
        name=report.name, formula_lines=(r"\mathrm{out} = " + report.formula_tex,),
        gradient_lines=tuple(rf"\frac{{\partial L}}{{\partial {g.name_tex}}} = "
                             + g.final_with_names_tex for g in report.gradients),
        status=report.status)
