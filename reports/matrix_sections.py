"""Report sections for matrix formulas, read generically from what the matrix engine
attaches to a derivation: the element-by-element case at size 2 (`worked_case`), the way the
tutorial writes out Affine's gradient entry by entry before the matrix form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reports.layout import visible_width
from reports.texfmt import escape_tex, expr_tex, symbol_tex

MAX_ENTRY_FORM = 160  # visible characters
INTRO = ("With every dimension set to 2, the loss is written out entry by entry and each entry "
         "of each input is differentiated on its own (sympy.diff), as the tutorial does for "
         "Affine; each entry of the general result must agree.")


@dataclass(frozen=True)
class MatrixSection:
    """A titled section of prose lines and display equations."""

    title: str
    lines: tuple[tuple[str, str], ...]  # (kind, content): kind is "text" or "math"


REWRITE_INTRO = ("Every reduction runs along one axis, so each entry of the result is a "
                 "scalar formula in the entries and in means along that axis (a bar over an "
                 "expression is its mean), and a mean is linear: what is constant along its axis "
                 "comes out of it. Starting from the gradient the reverse sweep gives, these "
                 "stages turn it into the compact form in the named intermediates.")


def _english(message: str) -> str:
    return message


def rewrite_sections(d, say=_english):
    """The stages from the reverse sweep's long gradient to the compact one (compact.py), its
    prose through `say` (a translation)."""
    rewrites = getattr(d, "rewrites", None) or []
    if not rewrites:
        return
    lines = [("text", say(REWRITE_INTRO))]
    for name, value in getattr(d, "intermediates", {}).items():
        lines.append(("math", f"{symbol_tex(name)} = {expr_tex(value)}"))
    for number, stage in enumerate(rewrites, start=1):
        lines.append(("text", say(f"Stage {number}: {stage.title}.")))
        for name, value in stage.gradients.items():
            tex = expr_tex(value)
            if visible_width(tex) > 3 * MAX_ENTRY_FORM:
                tex = rf"\text{{({say(f'{len(str(value))} characters: too long to print')})}}"
            lines.append(("math", rf"\frac{{\partial L}}{{\partial {symbol_tex(name)}}} = {tex}"))
    for name in d.inputs:
        saved = d.saved_form.get(name)
        if saved is not None:
            lines.append(("math", (rf"\frac{{\partial L}}{{\partial {symbol_tex(name)}}} = "
                                   f"{expr_tex(saved)}")))
    yield MatrixSection(say("From the long form to the compact one"), tuple(lines))


def matrix_sections(d, say=_english):
    """Sections the matrix engine provides: the rewriting into the compact form, and the
    element-by-element case at size 2 (their prose through `say`, a translation)."""
    yield from rewrite_sections(d, say)
    rows = getattr(d, "worked_case", None) or []
    if not rows:
        return
    lines = [("text", say(INTRO))]
    for name in d.inputs:
        mine = [row for row in rows if row.get("input") == name]
        if not mine:
            continue
        general_tex = expr_tex(d.gradients[name])
        heading = rf"\frac{{\partial L}}{{\partial {symbol_tex(name)}}} = {general_tex}"
        lines.append(("math", heading))
        for row in mine:
            by_entries, general = (_engine_text_tex(row.get(k, "")) for k in
                                   ("by_entries", "general_entry"))
            verdict = r"\checkmark" if row.get("agrees") else r"\text{DISAGREES}"
            same = "" if general == by_entries else f" = {general}"
            if visible_width(by_entries) > MAX_ENTRY_FORM:
                by_entries, same = general, ""
                verdict += rf"\ \text{{({say('the written-out derivative is too long to print')})}}"
            if visible_width(by_entries) > MAX_ENTRY_FORM:  # the general entry too
                by_entries = r"\dots"
            entry = symbol_tex(str(row.get("symbol", "")))
            equation = rf"\frac{{\partial L}}{{\partial {entry}}} = {by_entries}{same}"
            lines.append(("math", rf"{equation} \quad {verdict}"))
    yield MatrixSection(say("The 2 × 2 case, entry by entry"), tuple(lines))


def _engine_text_tex(text: str) -> str:
    """An expression the engine wrote as text, read back with derive's safe parser."""
    import sympy as sp

    from derive.errors import DeriveError
    from derive.read.formula import parse_formula

    stand_in = "upstreamgradient"  # dout is reserved for the reader; it is one here
    try:
        expr = parse_formula(re.sub(r"\bdout\b", stand_in, str(text)), where="worked case").expr
        return expr_tex(expr.xreplace({s: sp.Symbol("dout") for s in expr.free_symbols
                                       if s.name == stand_in}))
    except DeriveError:
        return rf"\texttt{{{escape_tex(text)}}}"
