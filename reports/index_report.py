"""The report of an index derivation as plain data, and its LaTeX and Markdown documents.

The derivation's own steps give the Kronecker-delta sum before and after elimination; the
worked case (derive.index.worked) gives small numbers to draw as matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from derive.index.printing import delta_latex, statement_latex, statement_text
from derive.index.worked import worked_case
from reports.language import text
from reports.model import check_row, translator
from reports.render import render


@dataclass
class IndexReport:
    name: str
    description: str
    typed: str
    statements: list          # (text, LaTeX) of each statement
    steps: list               # dicts: input, rule, delta, solved, conditions, result
    gradients: dict           # input → LaTeX lines of its gradient
    conventions: list
    check: str
    backward_code: str
    worked: dict | None = None   # sizes, constants, and (label, matrix LaTeX) groups
    outputs: list = field(default_factory=list)
    lang: str = "en"
    verification: tuple | None = None   # CheckRows of the verifier on a layer (derive new)
    compact: dict = field(default_factory=dict)  # input → steps, LaTeX lines, agreement


def build_index_report(derivation, lang: str = "en", verification=None) -> IndexReport:
    """Gather what the documents show from an IndexDerivation."""
    every = derivation.steps()  # a recurrence's through-time steps come first, with no read
    steps = [{"input": step["input"], "rule": step["rule"], "statement": step["node"],
              "delta": delta_latex(c), "conditions": step["conditions"],
              "solved": ", ".join(f"{k} = {v}" for k, v in step["solved"].items()),
              "result": step["latex"]}
             for c, step in zip(derivation.contributions,
                                every[len(every) - len(derivation.contributions):])]
    json = derivation.to_json()
    check = "; ".join(f"{c['name']}: {c['detail']}, largest error {c['max_error']:.1e}"
                      for c in derivation.checks)
    say = translator(derivation, lang)
    return IndexReport(
        name=derivation.name, description=say(derivation.description or ""),
        typed=derivation.text,
        statements=[(statement_text(s), statement_latex(s))
                    for s in derivation.program.statements],
        steps=steps, gradients=json["gradients_latex"],
        conventions=[say(c) for c in derivation.conventions],
        check=check, backward_code=derivation.backward_source, worked=_worked(derivation),
        outputs=list(derivation.outputs), lang=lang,
        verification=None if verification is None else tuple(
            check_row(c) for c in verification),
        compact=dict(getattr(derivation, "compact", {})))


def _worked(derivation) -> dict | None:
    case = worked_case(derivation)
    if case is None:
        return None
    groups = [("inputs", case["values"]), ("forward", case["outputs"]),
              ("upstream", case["upstream"]),
              ("gradients", {"d" + n: g for n, g in case["gradients"].items()})]
    return {"sizes": case["sizes"], "constants": case["constants"],
            "groups": [(title, [(name, matrix_tex(v)) for name, v in values.items()])
                       for title, values in groups],
            "grids": [(title, [(name, matrix_rows(v)) for name, v in values.items()])
                      for title, values in groups]}


def matrix_rows(value) -> list[list[str]]:
    """A small array as rows of numbers (text): axes of length 1 dropped, leading axes
    flattened to rows."""
    array = np.squeeze(np.asarray(value, dtype=float))
    rows = array.reshape(1, -1) if array.ndim < 2 else array.reshape(-1, array.shape[-1])
    return [[_number(float(x)) for x in row] for row in rows]


def matrix_tex(value) -> str:
    """A small array as a bmatrix (a number alone as itself), as matrix_rows lays it out."""
    rows = matrix_rows(value)
    if np.ndim(np.squeeze(np.asarray(value))) == 0:
        return rows[0][0]
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _number(x: float) -> str:
    return f"{x:.4g}" if abs(x) >= 5e-13 else "0"


def index_report_tex(report: IndexReport) -> str:
    """The LaTeX document, in the report's language (xelatex and ctex for Chinese)."""
    return render("index_report.tex.j2", r=report, t=text(report.lang), lang=report.lang)


def index_report_md(report: IndexReport) -> str:
    """The Markdown document, in the report's language."""
    return render("index_report.md.j2", r=report, t=text(report.lang))


def index_report_html(report: IndexReport) -> str:
    """One self-contained HTML page (MathML, the worked case as SVG grids, no script), in the
    report's language."""
    return render("index_report.html.j2", r=report, t=text(report.lang), lang=report.lang)
