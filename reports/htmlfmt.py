"""The pieces of the HTML documents, used by the `.html.j2` templates as filters: display
equations and chains of equalities as MathML, the code coloured by Pygments, the graphs as
inline SVG (`svg`). Each returns markup built from the model's LaTeX fields (printed by derive,
never user text) and escapes everything else; the templates are autoescaped.
"""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from reports.breaking import lines
from reports.grid_svg import grid_svg
from reports.mathml import math_ml, prose_html
from reports.svg import svg_picture

WIDTH = 60  # visible characters on one line of a display (the page is narrower than A4)


def display_html(tex: str, width: int = WIDTH) -> Markup:
    """A display equation, broken before its top-level =, +, − where it is longer than
    `width` visible characters: one <math> per line, the lines after the first indented."""
    rows = lines(str(tex), width)
    if len(rows) > 1 and "=" not in rows[0]:  # keep the left side with its `=`
        rows[:2] = [f"{rows[0]} {rows[1]}"]
    return Markup("").join(
        Markup('<div class="display{}">{}</div>').format(" more" if i else "",
                                                        math_ml(row, display=True))
        for i, row in enumerate(rows))


def chain_html(rows) -> Markup:
    """A chain of equalities: (lhs, rhs, note) rows, an empty lhs continuing the one above;
    each step's name (LaTeX prose) beside it."""
    out = [Markup('<div class="chain">')]
    for lhs, rhs, note in rows:
        out.append(Markup('<div class="link"><div class="eq">{}{}</div>{}</div>').format(
            math_ml(lhs) if lhs else "", display_html("= " + rhs),
            Markup('<div class="note">{}</div>').format(prose_html(note)) if note else ""))
    out.append(Markup("</div>"))
    return Markup("").join(out)


def code_html(source: str) -> Markup:
    """Python source coloured by Pygments (inline styles: the page needs no style sheet)."""
    return Markup(highlight(str(source), PythonLexer(),
                            HtmlFormatter(noclasses=True, cssclass="code", style="friendly")))


def status_class(status: str) -> str:
    """A CSS class for a check's status (pass, warn, fail, error; "failed: ..." is fail)."""
    word = str(status).split(":")[0].strip()
    return {"failed": "fail", "verified": "pass", "checked": "pass"}.get(word, word)


FILTERS = {"mathml": math_ml, "display": display_html, "prose": prose_html,
           "svg": svg_picture, "code": code_html, "statusclass": status_class,
           "grid": lambda rows, name, kind="": grid_svg(name, rows, kind)}
