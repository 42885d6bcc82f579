"""Index notation in LaTeX, written in the index reader's syntax (derive.index.reader).

    out_{n,f,i,j} = \\sum_{c,p,q} w_{f,c,p,q}\\, x_{n,c,s i+p,s j+q} + b_f
    is  out[n,f,i,j] = sum(w[f,c,p,q]*x[n,c,s*i+p,s*j+q], c, p, q) + b[f]

latex2sympy2's grammar reads neither subscripts with commas nor sums over several indices, so
these formulas are read here from derive's LaTeX tokens (derive.read.latex.tokens) by a small
recursive descent that knows only what it writes: names, numbers, + - * / ^, brackets, reads
`x_{...}`, the big operators \\sum, \\max, \\min and \\operatorname{mean} with their indices
(`\\sum_{c,p,q}`, `\\sum_{j<K}`, `\\sum_{j=0}^{K-1}`) whose body runs to the next + or − (as
in print), \\frac, \\sqrt, the elementwise functions, `\\operatorname{softmax}_j(...)` and
`\\mathrm{pad}(x, p)`; an aligned block gives one statement per line. Anything else is refused
with its column. The text goes on to the index reader (an `ast` whitelist), never to eval or
sympify; a column the reader names is mapped back to the LaTeX. Letters written together are
one name, as in code (out, xp, pad); `s i`, `s\\,i`, `s \\cdot i` and `2i` multiply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.errors import DeriveError
from derive.read.latex.aligned import aligned_lines
from derive.read.latex.index_statement import StatementReader
from derive.read.latex.tokens import Token, fail, strip_math_delimiters, tokenize

SPACES = {"\\,", "\\;", "\\:", "\\!", "\\quad", "\\qquad", "\\ ", "\\>"}
_SUBSCRIPT_SIGN = re.compile(r"_\s*\{[^{}]*[,+\-]")
_PAD = re.compile(r"\\(?:mathrm|operatorname|text)\s*\{\s*pad\s*\}")
_COLUMN = re.compile(r"\(line (\d+), column (\d+)\)|at line (\d+), column (\d+)")
_JOINED = re.compile(r"'([A-Za-z]{2,4})' in \w+\[\.\.\.\] is neither an index")


def is_index_latex(tex) -> bool:
    """True for LaTeX in index notation: a definition with a subscript holding a comma, + or −
    (`out_{n,i} = ...`, `y_i = x_{2i+1}`), or a `\\mathrm{pad}` statement."""
    if not isinstance(tex, str) or "=" not in tex:
        return False
    return bool(_SUBSCRIPT_SIGN.search(tex) or _PAD.search(tex))


@dataclass
class IndexLatex:
    """The formula in the index reader's syntax, with the LaTeX column of each character."""

    tex: str
    text: str
    origin: list

    def located(self, error: DeriveError) -> DeriveError:
        """The reader's message about `text`, its place given as a column of the LaTeX."""
        message = str(error).replace("formula: ", "--latex: ", 1)
        lines = self.text.split("\n")

        def column(match):
            line, col = (int(g) for g in (match.group(1) or match.group(3),
                                          match.group(2) or match.group(4)))
            offset = sum(len(x) + 1 for x in lines[:line - 1]) + col - 1
            where = self.origin[min(max(offset, 0), len(self.origin) - 1)] + 1
            return f"(at column {where} of the LaTeX)"

        joined = _JOINED.search(message)
        if joined:  # `si` where `s i` was meant
            spaced = " ".join(joined.group(1))
            message += (f"; in LaTeX letters written together are one name: write "
                        f"'{spaced}' for their product")
        return DeriveError(_COLUMN.sub(column, message))


def index_latex(tex: str, log_base: int | None = None) -> IndexLatex:
    """Read LaTeX index notation into the index reader's syntax (`\\log` natural, or of base
    `log_base` 2 or 10); DeriveError at a column."""
    from derive.read.latex import MAX_LENGTH, _check_nesting

    if len(tex) > MAX_LENGTH * 2:
        fail(f"formula too large ({len(tex)} characters, limit {MAX_LENGTH * 2})")
    tokens = strip_math_delimiters(_joined(tokenize(tex)))
    _check_nesting(tokens)
    tokens = [t for t in tokens if t.text not in SPACES]
    if log_base not in (None, 2, 10):
        fail(f"log base {log_base!r}: index formulas read \\log as natural, base 2 or base 10")
    lines = aligned_lines(tokens) or [tokens]
    pieces: list[tuple[str, int]] = []
    for number, line in enumerate(lines):
        if number:
            pieces.append(("\n", line[0].pos))
        pieces += StatementReader(line, number + 1, log_base).statement()
    text = "".join(p for p, _ in pieces)
    origin = [pos for p, pos in pieces for _ in p]
    return IndexLatex(tex.strip(), text, origin)


def _joined(tokens: list[Token]) -> list[Token]:
    """Letters (then digits) written together as one name token: `out`, `xp`, `W1`."""
    joined: list[Token] = []
    for t in tokens:
        last = joined[-1] if joined else None
        touching = last is not None and last.pos + len(last.text) == t.pos
        if touching and (t.is_letter or t.text.isdigit()) and last.text[0].isalpha() \
                and not last.is_command and last.text.isalnum():
            joined[-1] = Token(last.text + t.text, last.pos)
        else:
            joined.append(t)
    return joined
