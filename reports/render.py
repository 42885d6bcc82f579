"""LaTeX documents from the plain data of `model`: one function per document, each through a
Jinja2 template in reports/templates/ (see the README there for the delimiters)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from reports.breaking import cell, chain, display, markdown_chain, markdown_display
from reports.language import text
from reports.mermaid import mermaid_chart
from reports.texfmt import break_tex, escape_md, escape_tex
from reports.tikz import tikz_picture

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja2 with LaTeX-friendly delimiters (\\VAR{x}, \\BLOCK{for ...}, \\#{comment}),
    autoescape off, and the escape filters `tex` (LaTeX) and `md` (Markdown)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_comment_prefix="%#",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False, undefined=jinja2.StrictUndefined)
    env.filters["tex"] = escape_tex
    env.filters["breakeq"] = display
    env.filters["lessonchain"] = lambda lines, t: chain(lesson_rows(lines, t))
    env.filters["sweptchain"] = lambda gradient, t: chain(swept_rows(gradient, t, escape_tex))
    env.filters["mdlessonchain"] = lambda lines, t: markdown_chain(lesson_rows(lines, t))
    env.filters["mdsweptchain"] = lambda gradient, t: markdown_chain(swept_rows(gradient, t, str))
    env.filters["mdbreakeq"] = markdown_display
    env.filters["mdprose"] = markdown_prose
    env.filters["cellmath"] = cell
    env.filters["texbreak"] = break_tex
    env.filters["md"] = escape_md
    env.filters["mdcode"] = markdown_code
    env.filters["tikz"] = tikz_picture
    env.filters["mermaid"] = mermaid_chart
    env.filters["mdmath"] = markdown_math
    return env


def lesson_rows(lines, t) -> list[tuple[str, str, str]]:
    """A lesson's lines (reports.lessons.LessonLine) as (lhs, rhs, note) rows, each step's
    rule named in the language of `t` with the identity it used."""
    rows = []
    for line in lines:
        note = t["rules"][line.rule]
        if line.identity_tex:
            note += f", {t['using']} ${line.identity_tex}$"
        rows.append((line.lhs_tex, line.tex, note))
    return rows


def swept_rows(gradient, t, escape) -> list[tuple[str, str, str]]:
    """The chain of a gradient without a lesson: path products, multiplied out, simplified
    (its notes in the language of `t`)."""
    lhs = rf"\frac{{\partial L}}{{\partial {gradient.name_tex}}}"
    return [(lhs if i == 0 else "", line.tex, escape(t["chain_notes"].get(line.note, line.note)))
            for i, line in enumerate(gradient.chain)]


def markdown_prose(tex: str) -> str:
    """The templates' own LaTeX prose (never user text) as Markdown: bold, emphasis, quotes;
    inline $math$ is kept as it is."""
    text = re.sub(r"\\textbf\{([^{}]*)\}", r"**\1**", tex)
    text = re.sub(r"\\emph\{([^{}]*)\}", r"*\1*", text)
    text = text.replace(r"\textquoteright{}", "’").replace(r"\texttt{derive}", "`derive`")
    return text.replace(r"\ ", " ").replace("--", "–")


def markdown_math(tex: str) -> str:
    """LaTeX math made safe inside a Markdown table cell (no bare `|`)."""
    return (tex.replace(r"\left|", r"\left\vert ").replace(r"\right|", r"\right\vert ")
            .replace("|", r"\vert "))


def markdown_code(text) -> str:
    """User text for a Markdown code span: one line, no backtick that could end it."""
    return " ".join(str(text).split()).replace("`", "'")


def render(template: str, **data) -> str:
    """The template filled with `data`; a LaTeX document holding characters beyond ASCII
    (大米 in a formula) gets the Unicode preamble (xelatex, ctex) instead of losing them."""
    source = environment().get_template(template)
    text = source.render(unicode=False, **data)
    if template.endswith(".tex.j2") and not text.isascii():
        text = source.render(unicode=True, **data)
    return text


def report_tex(report) -> str:
    """The LaTeX document of one operator's derivation (in the report's language)."""
    return render("report.tex.j2", r=report, t=text(report.lang), lang=report.lang)


def index_tex(rows, lang: str = "en") -> str:
    """The LaTeX index of many reports: [(Report, file name)]."""
    return render("index.tex.j2", rows=rows, t=text(lang), lang=lang)


def graph_tex(values, lang: str = "en") -> str:
    """The LaTeX page of `derive graph`: the drawn graph with values at a point."""
    return render("graph.tex.j2", g=values, t=text(lang), lang=lang)
