"""Rich display in Jupyter: a Derivation, a verification report (derive.verify) and a graph
at a point (reports.graph_values.GraphValues) as HTML fragments (the same templates, style sheet,
MathML and SVG as the HTML reports), LaTeX or Markdown.

`view(obj, mime)` is installed by the package's façade (derive/__init__.py) as the renderer
behind the results' `_repr_html_` / `_repr_latex_` / `_repr_markdown_` (derive.richdisplay),
so the engine never imports the reports.
"""

from __future__ import annotations

from derive.derivation import Derivation
from derive.verify.results import Report as VerifyReport
from reports.language import text
from reports.markdown import graph_md
from reports.model import build_report, error_text
from reports.render import render
from reports.graph_values import GraphValues


def view(obj, mime: str) -> str | None:
    """`obj` shown as `mime` (text/html, text/latex, text/markdown), or None when derive has
    no such view of it."""
    shown = VIEWS.get((type(obj), mime))
    return None if shown is None else shown(obj)


def derivation_html(derivation) -> str:
    """The formula, the graph and the final gradients; the sweep, the lessons, the checks
    and the generated code folded away below."""
    report = build_report(derivation)
    return render("notebook_derivation.html.j2", r=report, t=text("en"), lang="en")


def derivation_latex(derivation) -> str:
    """The formula and each input's gradient, as one aligned display."""
    report = build_report(derivation)
    rows = [rf"\mathrm{{out}} &= {report.formula_tex}"]
    rows += [rf"\frac{{\partial L}}{{\partial {g.name_tex}}} &= {g.final_with_names_tex}"
             for g in report.gradients]
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + "\\end{aligned}$$"


def verification_html(report) -> str:
    """The verifier's verdict per target, each with its table of checks."""
    return render("notebook_verify.html.j2", v=report, lang="en", error_text=error_text)


def verification_markdown(report) -> str:
    """The same tables in Markdown."""
    return render("notebook_verify.md.j2", v=report, error_text=error_text)


def graph_html(values) -> str:
    """The graph with its numbers (the page of `derive graph`, without the page)."""
    return render("notebook_graph.html.j2", g=values, lang="en")


VIEWS = {
    (Derivation, "text/html"): derivation_html,
    (Derivation, "text/latex"): derivation_latex,
    (VerifyReport, "text/html"): verification_html,
    (VerifyReport, "text/markdown"): verification_markdown,
    (GraphValues, "text/html"): graph_html,
    (GraphValues, "text/markdown"): graph_md,
}
