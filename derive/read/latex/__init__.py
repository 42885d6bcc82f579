"""LaTeX formula input: read exactly as the same formula in SymPy syntax, or refused.

The text goes through four small stages: tokens (derive.read.latex.tokens), a normalizer that
refuses what it does not understand and rewrites the rest into a plain dialect
(derive.read.latex.normalize), latex2sympy2's ANTLR grammar (derive.read.latex.grammar; its converter is
never used), and a whitelist walk of the parse tree (derive.read.latex.convert).

Conventions (also in README.md): `\\log` is the natural logarithm unless `log_base=10`;
`\\ln` and `\\log_2` are as written; letters side by side multiply (`xy` is x·y; for a longer
name write `\\mathrm{loss}`); `i` and `j` are ordinary variables; `e` alone is Euler's number;
`\\mathbf{W}` is the variable W; `x_k` is the variable x_k, except inside `\\sum_k` where it is
the entry k of x (the sum runs over all entries); `\\hat{y}` is y_hat; `\\sigma(...)` is the
sigmoid; `^T`, `^\\top` transpose a declared matrix; juxtaposed or `\\cdot`-ed matrices are the
matrix product, `\\odot` is elementwise. `y = ...` and `\\sigma(x) = ...` define: the right side
is the formula. A `\\begin{aligned}` block of definitions `name &= ...` gives named
intermediates (derive.latex.aligned), the last line being the output.
"""

from __future__ import annotations

import re

from derive.read.formula import Formula
from derive.read.latex.aligned import aligned_lines, read_definitions
from derive.read.latex.tokens import Token, fail, strip_math_delimiters, tokenize, top_level_equals

MAX_LENGTH = 600
MAX_TOKENS = 600  # every symbol is at least one character: the length limit is the one that binds
MAX_NESTING = 20
MAX_BARS = 6  # |...| is ambiguous to the grammar: many bars take it exponential time

__all__ = ["MAX_LENGTH", "parse_latex", "reading_notes"]
_PLAIN_LOG = re.compile(r"\\log(?![A-Za-z])(?!\s*_)|\\(?:operatorname|mathrm|text)\s*\{\s*log\s*\}")


def reading_notes(tex: str, log_base: int | None = None) -> list[str]:
    """The conventions a reader of this LaTeX formula should be told (for reports)."""
    if not _PLAIN_LOG.search(tex):
        return []
    if log_base is None:
        return [(r"\log is read as the natural logarithm (the machine-learning convention); "
                 "--log10 reads it as base 10")]
    return [f"\\log is read as the base-{log_base} logarithm"]


def parse_latex(tex: str, shapes: dict | None = None, *, log_base: int | None = None) -> Formula:
    """Read a LaTeX formula into a Formula (as derive.read.formula.parse_formula would); DeriveError
    naming the construct and what to write instead when it cannot be read for certain."""
    if not isinstance(tex, str) or not tex.strip():
        fail("empty formula")
    if len(tex) > MAX_LENGTH:
        fail(f"formula too large ({len(tex)} characters, limit {MAX_LENGTH})")
    if log_base is not None and (isinstance(log_base, bool) or not isinstance(log_base, int)
                                 or log_base < 2):
        fail(f"log base {log_base!r}: expected a whole number of at least 2, such as 10")
    tokens = strip_math_delimiters(tokenize(tex))
    if not tokens:
        fail("empty formula")
    if len(tokens) > MAX_TOKENS:
        fail(f"formula too large ({len(tokens)} symbols, limit {MAX_TOKENS})")
    _check_nesting(tokens)
    bars = sum(t.text in ("|", r"\lvert", r"\rvert", r"\vert") for t in tokens)
    if bars > MAX_BARS:
        fail(f"too many '|' bars ({bars}, limit {MAX_BARS}): write \\operatorname{{abs}}(x)")
    lines = aligned_lines(tokens)
    if lines is not None:  # \begin{aligned} name &= ... \\ ... \end{aligned}
        shapes = dict(shapes or {})
        expr, names, definitions, named, output = read_definitions(
            lines, dict(shapes), lambda part, known: _read(part, known, log_base))
        return Formula(text=tex.strip(), expr=expr, names=names, shapes=shapes,
                       definitions=definitions, named=named,
                       named_output=output if definitions else None)
    equals = top_level_equals(tokens)
    if len(equals) > 1:
        fail("more than one '=': give one formula, or one definition such as y = ...")
    arguments: list[str] = []
    if equals:
        from derive.read.latex.definition import defined_arguments

        arguments = defined_arguments(tokens[:equals[0]])
        tokens = tokens[equals[0] + 1:]
        if not tokens:
            fail("nothing after '='")
    shapes = dict(shapes or {})
    expr, names = _read(tokens, shapes, log_base)
    for name in arguments:
        if name not in names:
            fail(f"the left side names '{name}', which the right side does not use "
                 f"(names: {', '.join(names) or 'none'})")
    return Formula(text=tex.strip(), expr=expr, names=names, shapes=shapes)


def _read(tokens: list[Token], shapes: dict, log_base):
    import sympy as sp

    from derive.read.latex.convert import Converter
    from derive.read.latex.grammar import GrammarError, parse_tree
    from derive.read.latex.normalize import Normalizer

    normalized = Normalizer(tokens).run()
    try:
        tree = parse_tree(normalized.text)
    except GrammarError as exc:
        fail(f"cannot read the formula at column {normalized.source_offset(exc.column) + 1}: "
             "check the braces and operators there")
    except RecursionError:
        fail("formula nested too deeply")
    converter = Converter(normalized.slots, shapes, log_base, normalized.source_offset)
    try:
        expr = converter.convert(tree)
    except RecursionError:
        fail("formula nested too deeply")
    if isinstance(expr, sp.Basic) and expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        fail("formula is undefined (division by zero or an infinite constant)")
    return expr, converter.names


def _check_nesting(tokens: list[Token]) -> None:
    depth = 0
    for t in tokens:
        if t.text in ("{", "(", "["):
            depth += 1
            if depth > MAX_NESTING:
                fail(f"formula nested too deeply (limit {MAX_NESTING} levels)")
        elif t.text in ("}", ")", "]"):
            depth -= 1
            if depth < 0:
                fail(f"'{t.text}' at column {t.pos + 1} closes nothing")
    if depth > 0:
        fail("a bracket is never closed")
