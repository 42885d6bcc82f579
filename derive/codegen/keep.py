"""Values the forward pass keeps for the backward pass: a cost-based choice.

A hand-written layer keeps more than its output: ReLU keeps the mask x > 0, a squared error
keeps x − t, because forward computes them anyway and backward then reads them instead of
computing them again. Here the same choice is made for any elementwise formula: each part of
a gradient (as backward computes it: in the output where it has a saved form) that is also a
part of the forward formula and is made of the formula's names alone is a candidate. A set of
candidates is kept when it lowers the passes over memory of a training step (forward, with
the kept values computed once and shared, plus backward, reading them), counted in the
printed code; between equal counts, the one whose backward reads fewer bytes per entry (a
boolean mask is one byte, a float eight), then the cheaper forward. The choice is greedy: the
best candidate is added while one still lowers the cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanFunction

import derive.primitives  # noqa: F401  (installs each primitive's code printer)
from derive.codegen.passes import array_passes
from derive.codegen.stable import fresh_symbol, readable_name, stable_lines
from derive.printers.code import DerivePrinter
from derive.vocab.functions import RESERVED_NAMES, ArraySize, ArraySum

MAX_CANDIDATES = 8
# names the generated code and layer classes use for themselves
TAKEN = {"out", "dout", "self", "grads", "s", "forward", "backward", "op", "formula",
         "constants", "shapes"}


@dataclass(frozen=True)
class Kept:
    """values: name -> value in the formula's names, in the order forward computes them;
    forms: input -> its gradient written with the kept names (and `out`), None where the
    gradient uses no kept value."""

    values: dict
    forms: dict


def is_boolean(value) -> bool:
    return isinstance(value, (Relational, BooleanFunction))


def kept_symbol(name: str, value) -> sp.Symbol:
    """The symbol standing for a kept value in gradients (a mask is a condition, not real)."""
    return sp.Symbol(name) if is_boolean(value) else sp.Symbol(name, real=True)


def choose_kept(forward: sp.Basic, forms: dict, params: list[str]) -> Kept:
    """The values forward keeps for backward, for an elementwise formula `forward` whose
    gradients backward computes as `forms` (input -> expression)."""
    nothing = Kept({}, {n: None for n in forms})
    if not isinstance(forward, sp.Expr):
        return nothing
    candidates = _candidates(forward, list(forms.values()), params)
    if not candidates:
        return nothing
    chosen: list = []
    best = _cost(forward, forms, chosen, params)
    while True:
        trials = [(_cost(forward, forms, [*chosen, c], params), c)
                  for c in candidates if c not in chosen]
        trials = [t for t in trials if t[0] < best]
        if not trials:
            break
        best, pick = min(trials, key=lambda t: t[0])
        chosen.append(pick)
    if not chosen:
        return nothing
    names = _names(chosen, params)
    symbols = {value: kept_symbol(name, value) for value, name in zip(chosen, names)}
    written = {n: f.xreplace(symbols) for n, f in forms.items()}
    return Kept(dict(zip(names, chosen)),
                {n: (w if w != forms[n] else None) for n, w in written.items()})


def _candidates(forward, forms: list, params: list[str]) -> list:
    """Parts of the gradients that forward computes too, made of the formula's names alone,
    largest first."""
    names = set(params)
    in_forward = set(sp.preorder_traversal(forward))
    found: list = []
    for form in forms:
        for part in sp.preorder_traversal(form):
            if part in found or part not in in_forward or part.is_Atom:
                continue
            if not isinstance(part, (sp.Expr, Relational, BooleanFunction)):
                continue
            symbols = {str(s) for s in part.free_symbols}
            if not symbols or not symbols <= names or part.has(ArraySum, ArraySize):
                continue
            found.append(part)
    return found[:MAX_CANDIDATES]


def _cost(forward, forms: dict, chosen: list, params: list[str]) -> tuple:
    """(passes of forward and backward together, bytes per entry backward reads, passes of
    forward) with the values `chosen` kept."""
    printer = DerivePrinter()
    symbols = {value: kept_symbol(f"_k{i}", value) for i, value in enumerate(chosen)}
    written = [f.xreplace(symbols) for f in forms.values()]
    backward_lines, results = stable_lines(written, printer)
    forward_lines, forward_results = stable_lines([forward, *chosen], printer)
    backward = array_passes("\n".join([*backward_lines, *results]))
    forward_passes = array_passes("\n".join([*forward_lines, *forward_results]))
    kept = set(symbols.values())
    read = {s for f in written for s in f.free_symbols if str(s) != "dout"}
    memory = sum(1 if s in kept and not s.is_real else 8 for s in read)
    return forward_passes + backward, memory, forward_passes


def _names(values: list, params: list[str]) -> list[str]:
    """A name for each kept value saying what it holds: `mask` for a condition, else as the
    code's temporaries are named (x_minus_t, exp_x, erf_term)."""
    taken = set(params) | TAKEN
    names = []
    for value in values:
        base = "mask" if is_boolean(value) else readable_name(value)
        if base == "_t":
            base = (f"{type(value).__name__.lower()}_term" if isinstance(value, sp.Function)
                    else "kept")
        name = str(fresh_symbol(base, taken | RESERVED_NAMES))
        taken.add(name)
        names.append(name)
    return names
