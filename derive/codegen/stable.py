"""Numerically stable forms for generated code, and the code lines that evaluate them.

Two general rewrites, applied only to the expressions that are printed as code:
- log(1 + exp(u)) becomes softplus(u), printed as numpy.logaddexp(0, u);
- an expression that is a rational function of exp(u) (sigmoid, its derivatives, silu′, ...)
  is evaluated in two algebraically equal forms, in E = exp(u) where u ≤ 0 and in
  F = exp(−u) where u > 0, so no exponential overflows and no inf/inf appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import sympy as sp


class Softplus(sp.Function):
    """log(1 + exp(u)), evaluated without overflow."""

    nargs = 1

    def fdiff(self, argindex=1):
        return 1 / (1 + sp.exp(-self.args[0]))


@dataclass(frozen=True)
class ExpBranches:
    """expr == where(u <= 0, small_side(E = exp(u)), large_side(F = exp(-u)))."""

    u: sp.Basic
    e_symbol: sp.Symbol
    f_symbol: sp.Symbol
    small_side: sp.Basic
    large_side: sp.Basic


def softplus_form(expr: sp.Basic) -> sp.Basic:
    """Replace log(1 + exp(u)) by Softplus(u)."""
    def is_softplus(e):
        if not isinstance(e, sp.log):
            return False
        inner = e.args[0]
        return (isinstance(inner, sp.Add) and len(inner.args) == 2 and sp.Integer(1) in inner.args
                and any(isinstance(a, sp.exp) for a in inner.args))

    def to_softplus(e):
        exp_term = next(a for a in e.args[0].args if isinstance(a, sp.exp))
        return Softplus(exp_term.args[0])

    return expr.replace(is_softplus, to_softplus)


def stable_body(body: sp.Basic) -> sp.Basic:
    """`body` with products of exponentials merged (exp(x)·exp(1 − x) = e, never inf·0),
    hyperbolic functions written as exponentials where several meet (sinh/cosh: inf/inf), and
    each log of exponentials split into a sum of logs of positive factors
    (log(sigmoid(u)) = −log(1 + exp(−u))), so that log(1 + exp(v)) parts become softplus."""
    body = hyperbolic_as_exp(merge_exponentials(body))
    return softplus_form(body.replace(lambda e: isinstance(e, sp.log) and e.args[0].has(sp.exp),
                                      _split_log))


def merge_exponentials(expr: sp.Basic) -> sp.Basic:
    """exp(a)·exp(b)·r as exp(a + b)·r in every product (each factor alone may overflow)."""
    def several(e):
        return isinstance(e, sp.Mul) and sum(isinstance(a, sp.exp) for a in e.args) > 1

    def merged(e):
        exps = [a for a in e.args if isinstance(a, sp.exp)]
        rest = [a for a in e.args if not isinstance(a, sp.exp)]
        return sp.Mul(sp.exp(sp.Add(*[a.args[0] for a in exps])), *rest)

    return expr.replace(several, merged)


HYPERBOLIC = (sp.sinh, sp.cosh, sp.tanh)


def hyperbolic_as_exp(expr: sp.Basic) -> sp.Basic:
    """sinh, cosh (and tanh with them) as exponentials when the expression has sinh or cosh
    and another exponential: sinh(x)/cosh(x) at x = 800 is inf/inf in NumPy, while the
    exponential form is split by exp_branches into branches that never overflow."""
    atoms = expr.atoms(sp.exp, *HYPERBOLIC)
    if len(atoms) < 2 or not any(isinstance(a, (sp.sinh, sp.cosh)) for a in atoms):
        return expr
    return expr.replace(lambda e: isinstance(e, HYPERBOLIC), lambda e: e.rewrite(sp.exp))


def _split_log(term: sp.log) -> sp.Basic:
    # expand_log splits only where SymPy proves each factor positive: the sum is equal
    for candidate in (sp.expand_log(term), sp.expand_log(sp.log(sp.factor(term.args[0])))):
        if not any(part.args[0].has(sp.exp) and not _is_softplus(part)
                   for part in candidate.atoms(sp.log)):
            return candidate
    return term


def _is_softplus(term: sp.log) -> bool:
    return softplus_form(term) != term


def exp_branches(expr: sp.Basic, tag: str) -> ExpBranches | None:
    """Split `expr` into overflow-free branches when it is rational in one exp(u); else None."""
    exps = sorted(expr.atoms(sp.exp), key=sp.default_sort_key)
    if not exps:
        return None
    base = exps[0].args[0]
    ratios = [sp.nsimplify(e.args[0] / base) for e in exps]
    if not all(r.is_Rational for r in ratios):
        return None
    denominator = reduce(sp.ilcm, [r.q for r in ratios], 1)
    u = sp.expand(base / denominator)
    if all(e.args[0].is_nonpositive for e in exps):  # none of them can overflow
        return None
    e_symbol = sp.Symbol(f"_E{tag}", positive=True)
    f_symbol = sp.Symbol(f"_F{tag}", positive=True)
    replaced = expr.xreplace({e: e_symbol ** int(r * denominator) for e, r in zip(exps, ratios)})
    if replaced.has(sp.exp) or not _rational_in(replaced, e_symbol):
        return None
    mixed = any(r > 0 for r in ratios) and any(r < 0 for r in ratios)  # exp(u)·exp(−u): inf·0
    if not mixed and not sp.denom(sp.together(replaced)).has(e_symbol):
        return None
    small = sp.factor(sp.cancel(sp.together(replaced)))
    large = sp.factor(sp.cancel(sp.together(replaced.xreplace({e_symbol: 1 / f_symbol}))))
    return ExpBranches(u, e_symbol, f_symbol, small, large)


def _rational_in(expr: sp.Basic, symbol: sp.Symbol) -> bool:
    for func in expr.atoms(sp.Function):
        if func.has(symbol):
            return False
    for power in expr.atoms(sp.Pow):
        if power.base.has(symbol) and not power.exp.is_Integer:
            return False
        if power.exp.has(symbol):
            return False
    return True


def stable_lines(exprs: list[sp.Basic], printer) -> tuple[list[str], list[str]]:
    """Assignment lines and result expressions (as code) for `exprs`, stable and CSE'd."""
    lines: list[str] = []
    stable = []
    for index, expr in enumerate(exprs):
        expr = stable_body(expr)
        branches = exp_branches(expr, str(index)) if isinstance(expr, sp.Expr) else None
        if branches is None:
            stable.append(expr)
            continue
        u_name = f"_u{index}"
        lines.append(f"{u_name} = {printer.doprint(branches.u)}")
        lines.append(f"{branches.e_symbol} = numpy.exp(numpy.minimum({u_name}, 0))")
        lines.append(f"{branches.f_symbol} = numpy.exp(-numpy.maximum({u_name}, 0))")
        stable.append((u_name, branches))
    plain = [s for s in stable if not isinstance(s, tuple)]
    pairs = [x for s in stable if isinstance(s, tuple) for x in (s[1].small_side, s[1].large_side)]
    replacements, reduced = sp.cse(plain + pairs, symbols=sp.numbered_symbols("_t"),
                                   optimizations="basic")
    for symbol, value in replacements:
        lines.append(f"{symbol} = {printer.doprint(value)}")
    reduced = list(reduced)
    results = []
    plain_iter = iter(reduced[: len(plain)])
    pair_iter = iter(reduced[len(plain):])
    for item in stable:
        if isinstance(item, tuple):
            u_name = item[0]
            small, large = next(pair_iter), next(pair_iter)
            results.append(f"numpy.where({u_name} <= 0, {printer.doprint(small)}, "
                           f"{printer.doprint(large)})")
        else:
            results.append(printer.doprint(next(plain_iter)))
    return lines, results
