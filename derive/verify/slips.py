"""The usual slips of an operator, evaluated, so that a finding can name them in words.

Two sources, both data: the catalog entry's `slips` (a wrong forward written as a formula:
epsilon outside the square root, the unbiased variance, statistics over the wrong axis), and
the terms of a compact gradient (dx = γ/σ·(dout − mean(dout) − x̂·mean(dout ⊙ x̂))): leaving
one term out of the sum is what a backward that drops a path of the graph returns.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import sympy as sp

from derive import catalog
from derive.errors import DeriveError


def forward_slips(variant, values: dict) -> dict:
    """{what the slip is: the forward it gives} for the catalog slips of the variant's operator."""
    entry = catalog.load().get(variant.op)
    if entry is None or not entry.slips or entry.formula != variant.derivation.text:
        return {}
    found = {}
    for index, slip in enumerate(entry.slips):
        compiled = _slip_forward(variant.op, index)
        if compiled is None:
            continue
        function, params = compiled
        sizes = _sizes(variant.derivation, values)
        try:
            with np.errstate(all="ignore"):
                found[f"{slip['says']} (a usual slip)"] = function(
                    **{n: values[n] if n in values else sizes[n] for n in params})
        except (KeyError, ValueError, TypeError, FloatingPointError):
            continue
    return found


@lru_cache(maxsize=64)
def _slip_forward(op: str, index: int):
    from derive.codegen.source import compile_expression
    from derive.index import derive_index, is_index_formula
    from derive.read.formula import parse_formula

    entry = catalog.get(op)
    if is_index_formula(entry.formula):  # read and checked as the operator itself is
        try:
            slip = derive_index(entry.slips[index]["formula"], entry.shapes,
                                dict.fromkeys(entry.constants), f"{op} slip")
        except DeriveError:
            return None
        return slip.functions()[0], slip.params
    try:
        parsed = parse_formula(entry.slips[index]["formula"], entry.shapes,
                               where=f"catalog slip of '{op}'")
    except DeriveError:
        return None
    shapes = {n: tuple(s.shape) for n, s in ((n, parsed.symbol(n)) for n in parsed.shapes)}
    return compile_expression(parsed.expr, parsed.names, "slip", shapes), parsed.names


def _sizes(derivation, values: dict) -> dict:
    """Each dimension's name -> its size in `values` (N -> the number of rows of x)."""
    sizes = {}
    for name, shape in derivation.shapes.items():
        for dim, size in zip(shape, np.shape(values.get(name, ()))):
            sizes.setdefault(str(dim), size)
    return sizes


def missing_term_slips(derivation, name: str, values: dict, dout) -> dict:
    """{it misses the term ...: the gradient without it} for each term of the sum inside a
    compact saved form (the staged paths of batch norm's graph)."""
    form = (getattr(derivation, "saved_form", {}) or {}).get(name)
    intermediates = getattr(derivation, "intermediates", {})
    if form is None or not intermediates:
        return {}
    total = _inner_sum(form)
    if total is None or len(total.args) > 6:
        return {}
    found = {}
    for term in total.args:
        without = form.xreplace({total: sp.MatAdd(*[t for t in total.args if t != term])})
        try:
            found[f"it misses the term {_mean_text(term)} in d{name} = "
                  f"{_mean_text(form)}"] = _evaluate(derivation, without, values, dout)
        except (KeyError, ValueError, TypeError):
            continue
    return found


def _inner_sum(expr):
    """The sum of several matrix terms in a product (γ/σ ⊙ (a + b + c)), or the top sum."""
    if isinstance(expr, sp.MatAdd):
        return expr
    for arg in getattr(expr, "args", ()):
        if isinstance(arg, sp.MatAdd):
            return arg
    return None


def _evaluate(derivation, expr, values: dict, dout):
    from derive.codegen.source import compile_expression

    expr = derivation.inlined(expr)
    shapes = {**derivation.shapes, "dout": tuple(derivation.expr.shape)}
    params = [*derivation.params, "dout"]
    function = compile_expression(expr, params, "slip", shapes)
    with np.errstate(all="ignore"):
        return function(**{n: values[n] for n in derivation.params}, dout=np.asarray(dout))


def _mean_text(expr) -> str:
    """`expr` in formula syntax with (±1/N)*sum(a, axis=k) written ±mean(a, axis=k)."""
    from derive.printers.text import formula_text

    text = _without_broadcasts(formula_text(expr))
    text = re.sub(r"\(-1/\w+\)\*sum\(", "-mean(", text)
    text = re.sub(r"\(1/\w+\*sum\(([^()]*(?:\([^()]*\))*[^()]*)\)\)", r"mean(\1)", text)
    return re.sub(r"\b1/\w+\*sum\(", "mean(", text).replace("+ -", "- ")


def _without_broadcasts(text: str) -> str:
    """broadcast_to(a, (N, D)) written a: NumPy broadcasts it where it is used."""
    marker = "broadcast_to("
    while marker in text:
        start = text.index(marker)
        depth, index, comma = 0, start + len(marker), None
        while index < len(text):
            ch = text[index]
            depth += (ch == "(") - (ch == ")")
            if ch == "," and depth == 0 and comma is None:
                comma = index
            if depth < 0:
                break
            index += 1
        if comma is None or index >= len(text):
            return text
        text = text[:start] + text[start + len(marker):comma] + text[index + 1:]
    return text
