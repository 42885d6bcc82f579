"""Long display equations broken across lines, never scaled down.

A display is split before its top-level `=`, `+` and `−` (outside every brace,
\\left…\\right pair and environment, so fractions, brackets and cases stay whole) and packed
greedily into lines of at most WIDTH visible characters, set in an `aligned` block: the first
line flush, the following ones indented. A piece still too wide is opened at its widest
\\left…\\right pair (each line closing and reopening it with a blank delimiter), else broken
before its top-level products; only what none of this can break (a huge fraction) is scaled,
and the TeX log then says "derive: display scaled".
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
    """The pieces of `tex` packed into lines of at most `width` visible characters (a piece
    still wider opened at its widest \\left…\\right pair, see `opened`)."""
    return _packed(pieces(tex), width)


def _packed(parts: list[str], width: int) -> list[str]:
    """`parts` packed greedily into lines of at most `width` visible characters, each part
    too wide for a line broken first (`opened`)."""
    packed: list[str] = []
    for part in parts:
        for row in opened(part, width) if visible_width(part) > width else [part]:
            if packed and visible_width(packed[-1] + row) <= width:
                packed[-1] = f"{packed[-1]} {row}"
            else:
                packed.append(row)
    return packed


def opened(piece: str, width: int) -> list[str]:
    """A piece too wide for a line, broken inside its widest top-level \\left…\\right pair:
    the first line ends in \\right., the next ones start with \\left., each line's delimiter
    as tall as the whole group (a \\vphantom of it); else before its top-level products
    (\\cdot, \\circ); [piece] where nothing inside can break."""
    groups = _groups(piece)
    if groups:
        _, open_end, close_start, end = max(
            groups, key=lambda g: visible_width(piece[g[1]:g[2]]))
        inner = piece[open_end:close_start]
        rows = lines(inner, width)
        if len(rows) > 1:
            phantom = rf"\vphantom{{{inner}}}"
            head, tail = piece[:open_end], piece[close_start:end]
            return ([f"{head}{phantom} {rows[0]} \\right."]
                    + [rf"\left.{phantom} {row} \right." for row in rows[1:-1]]
                    + [rf"\left.{phantom} {rows[-1]} {tail}{piece[end:]}"])
    factors = _factors(piece)
    return [piece] if len(factors) == 1 else _packed(factors, width)


def _factors(tex: str) -> list[str]:
    """`tex` cut before each \\cdot and \\circ outside every brace, environment and
    \\left…\\right pair."""
    parts, current, depth = [], "", 0
    for token in TOKEN.findall(tex):
        if token in ("{", r"\left", r"\begin"):
            depth += 1
        elif token in ("}", r"\right", r"\end"):
            depth -= 1
        if depth == 0 and token in (r"\cdot", r"\circ") and current.strip():
            parts.append(current)
            current = ""
        current += token
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


DELIMITER = re.compile(r"\s*(\\[A-Za-z]+|\\.|.)")  # what follows \left or \right


def _groups(tex: str) -> list[tuple[int, int, int, int]]:
    """The \\left…\\right pairs of `tex` outside every brace and environment, as (start, end
    of the opening delimiter, start of \\right, end of the closing delimiter)."""
    found, braces, pairs, start, open_end = [], 0, 0, 0, 0
    for match in TOKEN.finditer(tex):
        token = match.group()
        if token in ("{", r"\begin"):
            braces += 1
        elif token in ("}", r"\end"):
            braces -= 1
        elif token == r"\left" and braces == 0:
            if pairs == 0:
                start, open_end = match.start(), DELIMITER.match(tex, match.end()).end()
            pairs += 1
        elif token == r"\right" and braces == 0:
            pairs -= 1
            if pairs == 0:
                found.append((start, open_end, match.start(),
                              DELIMITER.match(tex, match.end()).end()))
    return found


def display(tex: str, note: str = "") -> str:
    """A centred display of `tex`, broken into lines where it is long; `note` (LaTeX text)
    set on the right, as an equation tag."""
    boxed = re.fullmatch(r"\\boxed\{(.*)\}", tex, re.DOTALL)
    if boxed and _balanced(boxed.group(1)) and visible_width(tex) > WIDTH:
        body = r"\boxed{" + _aligned(lines(boxed.group(1))) + "}"  # one frame around the lines
    else:
        body = _aligned(lines(tex))
    tag = rf"\tag*{{\small\color{{black!60}}{note}}}" if note else ""
    return (r"\begin{equation*}\fitmath{\displaystyle " + body + "}" + tag
            + r"\end{equation*}")


def _balanced(tex: str) -> bool:
    """Whether every brace of `tex` closes inside it (`tex` is one group's whole content)."""
    depth = 0
    for token in TOKEN.findall(tex):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


def _aligned(rows) -> str:
    """Lines of a display: the first flush, the following ones indented."""
    if len(rows) == 1:
        return rows[0]
    return r"\begin{aligned}[t]" + r" \\ ".join(
        (r"& " if i == 0 else r"& \qquad ") + row for i, row in enumerate(rows)) + r"\end{aligned}"


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
