"""Numerically stable forms for generated code, and the code lines that evaluate them.

Two general rewrites, applied only to the expressions that are printed as code:
- log(1 + exp(u)) becomes softplus(u), printed as numpy.logaddexp(0, u);
- an expression that is a rational function of exp(u) (sigmoid, its derivatives, silu′, ...)
  is written in s = sigmoid(u) = E/(1 + E), computed once by scipy.special.expit, when its
  denominator in s has no zero on [0, 1] (s(1 − s), s + u·s(1 − s)): one pass, nothing
  overflows; otherwise it is evaluated in two algebraically equal forms, in E = exp(u)
  where u ≤ 0 and in F = exp(−u) where u > 0, so no exponential overflows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from derive.printers.code import fold_signs


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


def near_one_form(expr: sp.Basic) -> sp.Basic:
    """exp(u) − 1 as expm1(u) and log(1 + u) as log1p(u): no digit is lost where exp(u) or
    1 + u rounds to 1 (softplus′ in its output, 1 − exp(−out), at x = −50). Only for an
    expression with no overflow-free branches of its own (exp_branches)."""
    def pair(e):
        return isinstance(e, sp.Add) and any(_one_minus_exp(e, a) for a in e.args)

    def merged(e):
        term = next(a for a in e.args if _one_minus_exp(e, a))
        one = sp.Integer(1) if sp.Integer(1) in e.args else sp.Integer(-1)
        rest = [a for a in e.args if a not in (term, one)]
        sign = -1 if one == 1 else 1  # 1 − exp(u) = −expm1(u), exp(u) − 1 = expm1(u)
        return sp.Add(sign * expm1(term.args[0] if sign == 1 else (-term).args[0]), *rest)

    expr = expr.replace(pair, merged)
    return expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Add)
        and sp.Integer(1) in e.args[0].args and not e.args[0].has(sp.exp),
        lambda e: log1p(e.args[0] - 1))


def _one_minus_exp(total: sp.Add, term) -> bool:
    """Whether `term` is exp(u) beside −1 or −exp(u) beside 1 in the sum `total`."""
    if isinstance(term, sp.exp):
        return sp.Integer(-1) in total.args
    return (isinstance(-term, sp.exp) and term.could_extract_minus_sign()
            and sp.Integer(1) in total.args)


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


def sigmoid_argument(branches: ExpBranches) -> sp.Basic:
    """The v whose sigmoid the expression is written in: u, or −u where u reads negated
    (x*sigmoid(y) gives exp(−y): it is written in sigmoid(y), not in sigmoid(−y))."""
    return -branches.u if branches.u.could_extract_minus_sign() else branches.u


def expit_form(branches: ExpBranches, s: sp.Symbol) -> sp.Basic | None:
    """The expression in s = sigmoid(v), v = sigmoid_argument (E = exp(u) = s/(1 − s), or
    (1 − s)/s where v = −u), or None where a denominator in s could vanish for s in [0, 1]
    (the form would divide by a rounded 0)."""
    e_in_s = s / (1 - s) if sigmoid_argument(branches) == branches.u else (1 - s) / s
    in_s = fold_signs(sp.factor(sp.cancel(sp.together(
        branches.small_side.xreplace({branches.e_symbol: e_in_s})))))
    denominator = sp.denom(in_s)
    if not denominator.has(s):
        return in_s
    if denominator.free_symbols != {s}:
        return None
    if sp.Poly(denominator, s).count_roots(0, 1) == 0:
        return in_s
    return None


def as_computed(expr: sp.Basic) -> tuple[sp.Basic, dict]:
    """(`expr` as the code computes it, {s: v} for s = sigmoid(v) it is written in): the
    formula a comment over the code gives (dout*s*(1 - s) for sigmoid′)."""
    branches = exp_branches(stable_body(expr), "c") if isinstance(expr, sp.Expr) else None
    if branches is None:
        return expr, {}
    s = fresh_symbol("s", {str(n) for n in expr.free_symbols}, positive=True)
    in_s = expit_form(branches, s)
    return (expr, {}) if in_s is None else (in_s, {s: sigmoid_argument(branches)})


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


def fresh_symbol(name: str, taken: set, **assumptions) -> sp.Symbol:
    """A symbol called `name` (then name1, name2, ...) that no formula name uses."""
    candidates = (name if i == 0 else f"{name}{i}" for i in range(len(taken) + 1))
    return sp.Symbol(next(c for c in candidates if c not in taken), **assumptions)


def readable_name(value: sp.Basic) -> str:
    """A name saying what a temporary holds: tanh_softplus_x for tanh(softplus(x)), s_x for
    s*x, x_sq for x**2, x_minus_t for x - t; `_t` where no short name says it."""
    if isinstance(value, sp.Symbol):
        return value.name
    if isinstance(value, sp.Integer) and value >= 0:
        return str(value)
    if isinstance(value, sp.Function):  # tanh_x, hypot_x_y
        parts = [readable_name(a) for a in value.args]
        name = f"{type(value).__name__.lower()}_{'_'.join(parts)}"
        return "_t" if "_t" in parts or len(parts) > 1 and len(name) > 16 else name
    if isinstance(value, sp.Pow) and value.exp == 2:
        inner = readable_name(value.base)
        return "_t" if inner == "_t" else f"{inner}_sq"
    if isinstance(value, sp.Pow) and isinstance(value.base, sp.Symbol) and isinstance(
            value.exp, sp.Symbol):
        return f"{value.base}_pow_{value.exp}"
    if isinstance(value, sp.Mul) and all(isinstance(a, sp.Symbol) for a in value.args):
        name = "_".join(a.name for a in value.args)
        return name if len(name) <= 12 else "_t"
    if isinstance(value, sp.Add) and len(value.args) == 2:  # x - t: x_minus_t
        first, second = sorted(value.args,
                               key=lambda a: (a.could_extract_minus_sign(), a.is_number))
        sign = "minus" if second.could_extract_minus_sign() else "plus"
        parts = [readable_name(first), readable_name(-second if sign == "minus" else second)]
        name = f"{parts[0]}_{sign}_{parts[1]}"
        return "_t" if "_t" in parts or len(name) > 16 or name[0].isdigit() else name
    return "_t"


def stable_lines(exprs: list[sp.Basic], printer) -> tuple[list[str], list[str]]:
    """Assignment lines and result expressions (as code) for `exprs`, stable and CSE'd."""
    lines: list[str] = []
    stable = []
    sigmoids: dict = {}  # u -> the symbol holding expit(u), computed once
    taken = {str(n) for e in exprs for n in getattr(e, "free_symbols", ())}
    for index, expr in enumerate(exprs):
        expr = stable_body(expr)
        branches = exp_branches(expr, str(index)) if isinstance(expr, sp.Expr) else None
        if branches is None:
            stable.append(near_one_form(expr))
            continue
        v = sigmoid_argument(branches)
        s = sigmoids.get(v) or fresh_symbol("s", taken | {str(t) for t in sigmoids.values()},
                                      positive=True)
        in_s = expit_form(branches, s)
        if in_s is not None:
            if v not in sigmoids:
                sigmoids[v] = s
                lines.append(f"{s} = scipy.special.expit({printer.doprint(v)})")
            if in_s.has(1 - s):  # 1 − s loses every digit where s rounds to 1: expit(−v)
                complement = fresh_symbol(f"one_minus_{s}",
                                          taken | {str(t) for t in sigmoids.values()})
                if -v not in sigmoids:
                    sigmoids[-v] = complement
                    lines.append(f"{complement} = scipy.special.expit({printer.doprint(-v)})")
                in_s = in_s.xreplace({1 - s: sigmoids[-v]})
            stable.append(in_s)
            continue
        u_name = f"_u{index}"
        lines.append(f"{u_name} = {printer.doprint(branches.u)}")
        lines.append(f"{branches.e_symbol} = numpy.exp(numpy.minimum({u_name}, 0))")
        lines.append(f"{branches.f_symbol} = numpy.exp(-numpy.maximum({u_name}, 0))")
        stable.append((u_name, branches))
    plain = [s for s in stable if not isinstance(s, tuple)]
    pairs = [x for s in stable if isinstance(s, tuple) for x in (s[1].small_side, s[1].large_side)]
    replacements, reduced = sp.cse(plain + pairs, symbols=sp.numbered_symbols("_t"),
                                   optimizations=None)
    names = {}
    for symbol, value in replacements:
        value = value.xreplace(names)
        names[symbol] = fresh_symbol(readable_name(value), taken | {str(n) for n in names.values()}
                               | {str(t) for t in sigmoids.values()})
        lines.append(f"{names[symbol]} = {printer.doprint(value)}")
    reduced = [r.xreplace(names) for r in reduced]
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
