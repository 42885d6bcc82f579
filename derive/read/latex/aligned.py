"""A block of definitions in LaTeX, read as named intermediates.

    \\begin{aligned} h &= W x + b \\\\ s &= \\sigma(h) \\\\ y &= s \\odot h \\end{aligned}

is `h = W @ x + b; s = sigmoid(h); y = s*h` in SymPy syntax (derive.read.formula): each line
defines the name on the left of its `=` (`&` marks are dropped), later lines use the earlier
names, and the last line is the output. The environments `aligned`, `align`, `align*`,
`gathered` and `split` are read so; any other is refused by the normalizer as before.
"""

from __future__ import annotations

import sympy as sp

from derive.budget import Meter
from derive.read.latex.tokens import Token, fail, top_level_equals

ENVIRONMENTS = ("aligned", "align", "align*", "gathered", "split")


def aligned_lines(tokens: list[Token]) -> list[list[Token]] | None:
    """The lines of a definitions block (without `&`), or None when `tokens` are not one."""
    if not tokens or tokens[0].text != "\\begin":
        return None
    name, index = _environment(tokens, 1)
    if name not in ENVIRONMENTS:
        return None
    end = next((i for i in range(len(tokens) - 1, index - 1, -1)
                if tokens[i].text == "\\end"), None)
    if end is None:
        fail(f"\\begin{{{name}}} is never ended: close it with \\end{{{name}}}")
    closing, after = _environment(tokens, end + 1)
    if closing != name or after != len(tokens):
        fail(f"\\begin{{{name}}} must enclose the whole formula and end with \\end{{{name}}}")
    lines, current = [], []
    for t in tokens[index:end]:
        if t.text == "\\\\":
            lines.append(current)
            current = []
        elif t.text != "&":
            current.append(t)
    lines.append(current)
    return [line for line in lines if line]


def _environment(tokens: list[Token], start: int) -> tuple[str, int]:
    """The name in `{...}` at `start`, and the index after the closing brace."""
    if start >= len(tokens) or tokens[start].text != "{":
        fail("\\begin and \\end need an environment name in braces, such as {aligned}")
    close = next((i for i in range(start, len(tokens)) if tokens[i].text == "}"), None)
    if close is None:
        fail("an environment name is never closed")
    return "".join(t.text for t in tokens[start + 1:close]), close + 1


def read_definitions(lines: list[list[Token]], shapes: dict, read) -> tuple:
    """(output expression, input names, definitions, definitions in earlier names, output in
    names) of a block; `read(tokens, shapes)` reads one side as parse_latex does."""
    definitions, named, names, meter = {}, {}, [], Meter()
    output = named_output = None
    for number, line in enumerate(lines, start=1):
        equals = top_level_equals(line)
        if len(equals) != 1:
            fail(f"line {number} of the block: each line is one definition 'name = ...'")
        target, _ = read(line[:equals[0]], shapes)
        if not isinstance(target, (sp.Symbol, sp.MatrixSymbol)):
            fail(f"line {number} of the block: the left side of '=' must be one name")
        name = target.name
        if name in definitions or name in names:
            fail(f"line {number} of the block: '{name}' is already "
                 f"{'defined' if name in definitions else 'an input'}; define each name once, "
                 "before it is used")
        value, value_names = read(line[equals[0] + 1:], shapes)
        named_output = value
        value = _inlined(value, definitions)
        meter.check(value, "--latex")  # b = a a + a doubles the written-out formula
        names += [n for n in value_names if n not in definitions and n not in names]
        output = value
        if number < len(lines):
            definitions[name] = value
            named[name] = named_output
            if isinstance(value, sp.MatrixExpr):
                shapes[name] = tuple(value.shape)
    return output, names, definitions, named, named_output


def _inlined(expr, definitions: dict):
    """`expr` with the earlier names written out (later names first)."""
    for name in reversed(list(definitions)):
        symbol = next((s for s in expr.free_symbols if getattr(s, "name", None) == name), None)
        if symbol is not None:
            expr = expr.xreplace({symbol: definitions[name]})
    return expr
