"""Long display equations broken across lines, never scaled down.

A display is split before its top-level `=`, `+` and `−` (outside every brace,
\\left…\\right pair and environment, so fractions, brackets and cases stay whole) and packed
greedily into lines of at most WIDTH visible characters, set in an `aligned` block: the first
line flush, the following ones indented. A single piece wider than the page (a huge fraction) is the only thing still
scaled, by \\fitwidth.
"""

from __future__ import annotations

import re

from reports.layout import visible_width

WIDTH = 78  # visible characters on one line of a display
RELATION_OPEN = re.compile(r"\\mathrel\{[^{}]*\}\s*$")  # `\mathrel{+}` before its `=` (+=)
TOKEN = re.compile(r"\\left\b|\\right\b|\\[A-Za-z]+|\\.|[{}]|[=+-]|[^\\{}=+-]+")


def pieces(tex: str) -> list[str]:
    """`tex` cut before each top-level relation or binary sign."""
    parts, current, depth, previous = [], "", 0, ""
    for token in TOKEN.findall(tex):
        if token in ("{", r"\left", r"\begin"):
            depth += 1
        elif token in ("}", r"\right", r"\end"):
            depth -= 1
        binary = previous.strip() not in ("", "=", "(", "[", ",", "&") and not previous.endswith(
            ("^", "_", "=", "{", "(", r"\cdot "))
        if depth == 0 and token in ("=", "+", "-") and current.strip() and (
                token == "=" or binary) and not RELATION_OPEN.search(current):
            parts.append(current)
            current = ""
        current += token
        if token.strip():
            previous = token
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def lines(tex: str, width: int = WIDTH) -> list[str]:
    """The pieces of `tex` packed into lines of at most `width` visible characters."""
    packed: list[str] = []
    for piece in pieces(tex):
        if packed and visible_width(packed[-1] + piece) <= width:
            packed[-1] = f"{packed[-1]} {piece}"
        else:
            packed.append(piece)
    return packed


def display(tex: str, note: str = "") -> str:
    """A centred display of `tex`, broken into lines where it is long; `note` (LaTeX text)
    set on the right, as an equation tag."""
    rows = lines(tex)
    tag = rf"\tag*{{\small\color{{black!60}}{note}}}" if note else ""
    if len(rows) == 1:
        body = rows[0]
    else:
        body = r"\begin{aligned}[t]" + r" \\ ".join(
            (r"& " if i == 0 else r"& \qquad ") + row for i, row in enumerate(rows)) \
            + r"\end{aligned}"
    return (r"\begin{equation*}\fitmath{\displaystyle " + body + "}" + tag
            + r"\end{equation*}")


CHAIN_WIDTH = 70  # visible characters of one line of a chain


def chain(rows) -> str:
    """A chain of equalities `lhs = rhs` (an empty lhs continues the one above), each step's
    note on a line of its own above it, each long right-hand side broken across lines."""
    out = []
    for lhs, rhs, note in rows:
        if note:
            out.append(r"\intertext{\small\color{black!60}$\downarrow$ " + note + "}")
        parts = lines(rhs, CHAIN_WIDTH)
        for i, part in enumerate(parts):
            sign = "&= " if i == 0 else r"&\qquad "
            out.append(f"{lhs if i == 0 else ''} {sign}" + r"\fitpart{\displaystyle " + part
                       + r"} \\")
    body = "\n".join(out)
    return r"\begin{align*}" + "\n" + body.removesuffix(r" \\") + "\n" + r"\end{align*}"


def cell(tex: str, width: int, too_long: str = "") -> str:
    """Math for a narrow table cell: broken into lines of `width` visible characters, scaled
    to the cell only if one piece is still a little wider; `too_long` (LaTeX text) instead of
    a piece that would have to shrink to an unreadable size."""
    rows = lines(tex, width)
    if too_long and max(visible_width(r) for r in rows) > 2 * width:
        return r"\emph{" + too_long + "}"
    body = rows[0] if len(rows) == 1 else r"\begin{aligned}[t]" + r" \\ ".join(
        (r"& " if i == 0 else r"& \quad ") + row for i, row in enumerate(rows)) + r"\end{aligned}"
    return r"\fitwidth{$\displaystyle " + body + "$}"


def markdown_display(tex: str) -> str:
    """A `$$` display for Markdown, its long lines broken as in `display`."""
    rows = lines(tex)
    if len(rows) == 1:
        return f"$${rows[0]}$$"
    body = r" \\ ".join((r"& " if i == 0 else r"& \qquad ") + row for i, row in enumerate(rows))
    return r"$$\begin{aligned}" + body + r"\end{aligned}$$"


def markdown_chain(rows) -> str:
    """A chain of equalities for Markdown: one `aligned` block, each step's note beside it."""
    out = []
    for lhs, rhs, note in rows:
        for i, part in enumerate(lines(rhs, CHAIN_WIDTH)):
            sign = "&= " if i == 0 else r"&\qquad "
            aside = rf" && \text{{({note})}}" if note and i == 0 else ""
            out.append(f"{lhs if i == 0 else ''} {sign}{part}{aside}")
    return "$$\\begin{aligned}\n" + " \\\\\n".join(out) + "\n\\end{aligned}$$"
