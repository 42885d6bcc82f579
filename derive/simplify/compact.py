"""Compact forms of gradients of normalising formulas (batch norm, layer norm, RMS norm, ...).

A matrix formula whose reductions all run along one axis (`mean(x, axis=0)`) is, entry by
entry, a scalar formula in the entries and in means along that axis: each column (or row) is
computed on its own. In that entry algebra a mean is linear and passes over whatever is
constant along its axis, so SymPy can cancel and collect what the matrix form hides. The named
intermediates of the formula then take the place of their definitions: a statistic (mu, var)
is substituted where its definition appears, a per-entry one (xhat) by solving its definition
for the input it is made of (x = mu + xhat*sqrt(var + eps)), and a mean of per-entry
intermediates is evaluated through their definitions where that leaves no mean
(mean(xhat) = 0). Each stage is kept as a step, so a report can show how the long form becomes
the compact one; the pipeline checks the result like any other gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.simplify.entry_form import AxisMean, EntryForm, NotEntrywise
from derive.simplify.matrix import scaled, split
from derive.vocab.nodes import AxisSum, SumAll, broadcast_to


@dataclass
class Rewrite:
    """One stage of the rewriting: what was done, and the gradients after it (entry form)."""

    title: str
    gradients: dict


@dataclass
class Compact:
    """Gradients in terms of the inputs and the named intermediates, with what it took."""

    gradients: dict                      # input -> matrix expression using intermediates
    definitions: dict                    # intermediate -> matrix expression using earlier ones
    axis: int
    steps: list[Rewrite] = field(default_factory=list)

    def inlined(self, e):
        """`e` with every intermediate replaced by its value in the inputs."""
        return inline_names(e, self.definitions)

    @property
    def used(self) -> list[str]:
        """The intermediates the gradients use, with those they are computed from."""
        needed = set()
        for g in self.gradients.values():
            needed |= {s.name for s in g.free_symbols}
        for name in reversed(list(self.definitions)):
            if name in needed:
                needed |= {s.name for s in self.definitions[name].free_symbols}
        return [n for n in self.definitions if n in needed]


def inline_names(expr, definitions: dict):
    """`expr` with each named intermediate (a matrix symbol of that name) replaced by its
    definition, the later ones first, so that the result is in the inputs alone."""
    for name in reversed(list(definitions)):
        symbol = next((m for m in expr.atoms(sp.MatrixSymbol) if m.name == name), None)
        if symbol is not None:
            expr = expr.xreplace({symbol: definitions[name]})
    return expr


def reduced_axis(exprs) -> int | None:
    """The one axis every reduction in `exprs` runs along, or None (none, several, or a sum
    over all entries)."""
    axes = set()
    for e in exprs:
        if not isinstance(e, sp.Basic):
            continue
        if e.has(SumAll):
            return None
        axes |= {node.axis for node in sp.preorder_traversal(e) if isinstance(node, AxisSum)}
    return axes.pop() if len(axes) == 1 else None


def _outer_sum(gradient):
    """(axis, inner, coefficient) of a gradient that is a sum along an axis, else None."""
    coefficient, part = split(gradient)
    if isinstance(part, AxisSum):
        return part.axis, part.arg, coefficient
    return None


def compact_forms(gradients: dict, definitions: dict, shapes: dict) -> Compact | None:
    """The gradients rewritten in the entry algebra and in the named intermediates, or None
    where the formula is not a reduction along one axis."""
    outer = {}
    axis = reduced_axis([*gradients.values(), *definitions.values()])
    if axis is None:  # γ of a layer norm: the sum over the batch outside a per-row formula
        outer = {n: _outer_sum(g) for n, g in gradients.items()}
        inner = {n: g if outer[n] is None else outer[n][1] for n, g in gradients.items()}
        axis = reduced_axis([*inner.values(), *definitions.values()])
        if axis is None or any(o is not None and o[0] == axis for o in outer.values()):
            return None
        gradients = inner
    shapes = dict(shapes)
    for g in gradients.values():
        shapes.update({m.name: m.shape for m in g.atoms(sp.MatrixSymbol)})
    algebra = _Rewriter(axis, shapes, definitions)
    try:
        entries = {n: algebra.entries(g) for n, g in gradients.items()}
        named = algebra.named_definitions()
    except NotEntrywise:
        return None
    steps = [Rewrite("entry by entry, with means along the axis", entries)]
    stages = [("name the statistics", algebra.rename),
              ("write the input through the per-entry intermediates", algebra.solve_for_inputs),
              ("a mean is linear; what is constant along its axis comes out", algebra.expand),
              ("means of intermediates through their definitions", algebra.known_means),
              ("collect", algebra.collect)]
    for title, stage in stages:
        entries = {n: stage(e) for n, e in entries.items()}
        steps.append(Rewrite(title, entries))
    try:
        matrices = {n: algebra.matrix(e) for n, e in entries.items()}
    except NotEntrywise:
        return None
    for name, summed in outer.items():
        if summed is not None:
            full = broadcast_to(matrices[name], algebra.full_shape)
            matrices[name] = scaled(summed[2], AxisSum(full, summed[0]))
    definitions = {n: algebra.matrix(algebra.collect(e)) for n, e in named.items()}
    return Compact(matrices, definitions, axis, steps)


class _Rewriter(EntryForm):
    """The stages of the rewriting, on top of the entry form."""

    def __init__(self, axis: int, shapes: dict, definitions: dict):
        super().__init__(axis, shapes, definitions)
        self.statistics: dict = {}   # name -> entry definition in earlier names (constant)
        self.per_entry: dict = {}    # name -> entry definition in earlier names (varying)

    def named_definitions(self) -> dict:
        """Each intermediate's definition in terms of the earlier ones (entry form)."""
        named = {}
        for name, value in self.definitions.items():
            entry = self.rename(self.entries(value))
            named[name] = entry
            table = self.per_entry if self.varies(entry) else self.statistics
            table[name] = entry
        return named

    # -- the stages
    def rename(self, e):
        """Each statistic's definition replaced by its name, in order of definition; then a
        mean of the forward that is left is written through the last statistic made of it
        (mean(x**2) = norm**2/D where norm = sqrt(D*mean(x**2)))."""
        for name, definition in self.statistics.items():
            e = e.subs(definition, self.symbols[name])
        for mean in sorted(e.atoms(AxisMean), key=sp.count_ops):
            if self.upstream in mean.free_symbols:
                continue
            for name, definition in reversed(self.statistics.items()):
                if mean in definition.atoms(AxisMean) and len(definition.atoms(AxisMean)) == 1:
                    solutions = sp.solve(sp.Eq(self.symbols[name], definition), mean)
                    if len(solutions) == 1:
                        e = e.xreplace({mean: solutions[0]})
                        break
        return e

    def solve_for_inputs(self, e):
        """x written as mu + xhat*sqrt(var + eps) for each per-entry intermediate xhat
        whose definition is linear in one input x."""
        for name, definition in self.per_entry.items():
            solved = self._solved(name, definition)
            if solved is not None:
                e = self.rename(e.xreplace({solved[0]: solved[1]}))
        return e

    def _solved(self, name, definition):
        for symbol in sorted(definition.free_symbols, key=str):
            if symbol.name in self.definitions or not self.varies(symbol):
                continue
            opaque = {m: sp.Dummy() for m in definition.atoms(AxisMean)}
            target = sp.Dummy("target")
            solutions = sp.solve(sp.Eq(target, definition.xreplace(opaque)),
                                 symbol, dict=True)
            if len(solutions) == 1:
                back = {d: m for m, d in opaque.items()}
                value = solutions[0][symbol].xreplace(back).xreplace({target: self.symbols[name]})
                return symbol, value
        return None

    def expand(self, e, statistics=False):
        """Means of the upstream gradient split over sums, factors constant along the axis
        taken out; the forward's statistics too when `statistics` (else var stays the mean of
        squares it is, never mean(x**2) - mean(x)**2, which loses digits)."""
        if not e.has(AxisMean):
            return e
        if isinstance(e, AxisMean) and (statistics or self.upstream in e.free_symbols):
            return self._mean(self.expand(e.args[0], statistics))
        return e.func(*[self.expand(a, statistics) for a in e.args])

    def _mean(self, argument):
        total = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(argument, power_base=False, power_exp=False,
                                               log=False)):
            constant = [f for f in sp.Mul.make_args(term) if not self.varies(f)]
            varying = [f for f in sp.Mul.make_args(term) if self.varies(f)]
            total += sp.Mul(*constant) * (AxisMean(sp.Mul(*varying)) if varying else 1)
        return total

    def known_means(self, e):
        """mean(f(xhat)) through xhat's definition, where that leaves no mean."""
        inline = {self.symbols[n]: d for n, d in self.per_entry.items()}
        replaced = {}
        for mean in e.atoms(AxisMean):
            if not (mean.free_symbols & set(inline)):
                continue
            value = self.rename(self.expand(AxisMean(mean.args[0].xreplace(inline)), True))
            value = self.rename(sp.simplify(value))
            if not value.has(AxisMean):
                replaced[mean] = value
        return self.rename(e.xreplace(replaced)) if replaced else e

    def collect(self, e):
        """The shortest of the expression and its factored form, a leading minus sign taken
        into the sum it multiplies: γ/σ·(dout − mean(dout) − ...)."""
        candidates = [sp.factor(e), sp.factor(sp.expand(e, power_base=False)), e]
        return _minus_inside(min(candidates, key=sp.count_ops))



def _minus_inside(e):
    """-a*(b + c) as a*(-b - c)."""
    if not isinstance(e, sp.Mul) or not e.could_extract_minus_sign():
        return e
    factors = list(sp.Mul.make_args(-e))
    sums = [f for f in factors if isinstance(f, sp.Add)]
    if len(sums) != 1:
        return e
    factors.remove(sums[0])
    return sp.Mul(*factors, sp.expand(-sums[0], deep=False), evaluate=False)
