"""Teaching rewrites for matrix formulas (see `derive.teaching.steps` for the data and the checks).

Two kinds of lesson, each found from the derivation, never typed per operator:
- a matrix product or a broadcast feeding an input directly: dL = tr(Gᵀ·A·dV·B), the cyclic
  trace tr(B·Gᵀ·A·dV), and the gradient read off, Aᵀ·G·Bᵀ (affine: Wᵀ·dout, dout·Xᵀ, and for
  the broadcast bias b·1ᵀ, dout·1 = Σⱼ dout);
- a scalar loss: one entry differentiated on explicit small matrices, an intermediate node's
  value substituted by its saved name (y = softmax(x)), collected, and the declared
  assumptions used (Σₖ tₖ = 1), arriving at dout·(y − t).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.primitives.registry import differential_symbol
from derive.selfcheck.entries import explicit, loss_summands, partial
from derive.selfcheck.explicit import explicit_setup, small_sizes
from derive.teaching.steps import Checker, Lesson, Rewrite, TeachingError, output_name
from derive.vocab.nodes import Broadcast
from derive.vocab.shapes import is_matrix

MAX_LOSS_OPS = 600
EXAMPLE_SIZE = 3
MAX_UPSTREAM_OPS = 6


def matrix_lessons(d) -> dict[str, Lesson]:
    """A lesson for every input where one of the two kinds applies."""
    lessons = {}
    for name in d.inputs:
        lesson = trace_lesson(d, name)
        if lesson is None and not is_matrix(d.expr):
            lesson = entry_lesson(d, name)
        if lesson is not None:
            lessons[name] = lesson
    return lessons


# ---------------------------------------------------------------- the cyclic trace

def trace_lesson(d, name: str) -> Lesson | None:
    leaf = next((n.expr for n in d.graph.nodes if n.is_leaf and str(n.expr) == name), None)
    steps = [s for s in d.steps if leaf is not None and s.input == leaf]
    if len(steps) != 1 or not is_matrix(leaf):
        return None
    step = steps[0]
    upstream, local = step.upstream, step.local
    if not is_matrix(upstream) or sp.count_ops(upstream) > MAX_UPSTREAM_OPS:
        return None
    dv = differential_symbol(leaf)
    rewrites = [("inner product as a trace", sp.Trace(_product(upstream.T, local)), None)]
    if isinstance(local, Broadcast):
        local = _broadcast_product(local, dv)
        if local is None:
            return None
        rewrites.append(("broadcast as a product", sp.Trace(_product(upstream.T, local)),
                         sp.Eq(step.local, local, evaluate=False)))
    if not isinstance(local, sp.MatMul) or list(local.args).count(dv) != 1:
        return None
    args = list(local.args)
    where = args.index(dv)
    before, after = args[:where], args[where + 1:]
    cyclic = sp.MatMul(*after, upstream.T, *before) if (after or before) else upstream.T
    if after:  # tr(Gᵀ·A·dV) already ends in dV: nothing to cycle
        rewrites.append(("cyclic trace", sp.Trace(_product(cyclic, dv)), None))
    gradient = _transpose(cyclic)
    rewrites.append(("read off the gradient", gradient, None))
    engine = d.gradients[name]
    if engine != gradient:
        ones_right = isinstance(gradient, sp.MatMul) and isinstance(gradient.args[-1],
                                                                     sp.OneMatrix)
        rewrites.append(("sum of the columns" if ones_right else "sum of the rows", engine, None))
    checked = _check_traces(d, dv, rewrites)
    return Lesson(name, "differential", tuple(checked))


def _product(*factors):
    """The matrix product of `factors`, nested products flattened (tr(Gᵀ·W·dX), not
    tr(Gᵀ·(W·dX)))."""
    flat = []
    for factor in factors:
        flat.extend(factor.args if isinstance(factor, sp.MatMul) else (factor,))
    return sp.MatMul(*flat)


def _broadcast_product(local: Broadcast, dv):
    """b repeated over columns as b·1ᵀ, over rows as 1·b (None for other broadcasts)."""
    rows, cols = local.shape
    arg = local.arg
    if arg != dv or not is_matrix(arg):
        return None
    if arg.shape[1] == 1 and arg.shape[0] == rows:
        return sp.MatMul(arg, sp.OneMatrix(1, cols))
    if arg.shape[0] == 1 and arg.shape[1] == cols:
        return sp.MatMul(sp.OneMatrix(rows, 1), arg)
    return None


def _transpose(product):
    """(A·B·C)ᵀ = Cᵀ·Bᵀ·Aᵀ, each transpose taken on its factor (Gᵀᵀ = G)."""
    factors = product.args if isinstance(product, sp.MatMul) else (product,)
    return sp.MatMul(*[f.T for f in reversed(factors)]) if len(factors) > 1 else factors[0].T


def _check_traces(d, dv, rewrites) -> list[Rewrite]:
    """Every step as a number on random explicit matrices: a trace is the number itself, a
    gradient G stands for ⟨G, dV⟩."""
    sizes = small_sizes(d.shapes)
    rng = np.random.default_rng(7)
    env = {}
    kept = []
    values = []
    for rule, expr, identity in rewrites:
        scalar = expr if isinstance(expr, sp.Trace) else sp.Trace(sp.MatMul(expr.T, dv))
        for symbol in scalar.atoms(sp.MatrixSymbol):
            if symbol.name not in env:
                rows, cols = (int(sizes.get(s, s)) for s in symbol.shape)
                env[symbol.name] = sp.Matrix(rng.standard_normal((rows, cols)).round(3))
        values.append(float(explicit(scalar, env, sizes)))
        if abs(values[-1] - values[0]) > 1e-9 * max(1.0, abs(values[0])):
            raise TeachingError(f"teaching step '{rule}' changed the value: {expr}")
        kept.append(Rewrite(rule, expr, identity=identity))
    return kept


# ---------------------------------------------------------------- one entry of a loss

def entry_lesson(d, name: str) -> Lesson | None:
    sizes = {dim: EXAMPLE_SIZE for dim in small_sizes(d.shapes)}
    dout = sp.Symbol("dout", real=True)
    env, loss = explicit_setup(d.expr, dout, d.shapes, d.params, sizes)
    if not is_matrix(env.get(name)) or sp.count_ops(loss) > MAX_LOSS_OPS:
        return None
    entry = env[name][0, 0]
    raw = partial(loss_summands(loss), entry)
    y = output_name(d.params)
    for node in d.graph.nodes:
        if node.is_leaf or node is d.graph.output or not is_matrix(node.expr):
            continue
        values = explicit(node.expr, env, sizes)
        named = sp.Matrix(*values.shape, lambda i, j: sp.Symbol(f"{y}_{i + 1}{j + 1}", real=True))
        substituted = _substitute(raw, values, named, env)
        if substituted is None:
            continue
        return _entry_steps(d, name, entry, raw, substituted, values, named, env, sizes, node, y)
    return None


def _substitute(raw, values, named, env):
    """`raw` with each exp(a)/S entry of `values` written as its name: S → s, exp(a) → y·s.
    None unless the result is free of the input entries."""
    scales, exps = {}, {}
    for value, symbol in zip(values, named):
        numerator, denominator = sp.fraction(sp.together(value))
        if not isinstance(numerator, sp.exp) or not numerator.args[0].is_Symbol:
            return None
        scale = scales.setdefault(denominator, sp.Dummy(positive=True))
        exps[numerator.args[0]] = symbol * scale
    expr = raw.xreplace({den: s for den, s in scales.items()})

    def power(arg):
        coefficient, symbol = arg.as_coeff_Mul()
        if symbol in exps:
            return exps[symbol] ** coefficient
        return sp.exp(arg)

    result = sp.expand(sp.cancel(expr.replace(sp.exp, power)))
    entries = {s for m in env.values() if is_matrix(m) for s in m} - set(named)
    inputs = {s for s in entries if not str(s).startswith(("t_", "dout"))}
    if result.has(*scales.values()) or result.free_symbols & inputs & raw.free_symbols:
        return None
    return result


def _entry_steps(d, name, entry, raw, substituted, values, named, env, sizes, node, y):
    dout = next(s for s in raw.free_symbols if s.name == "dout")
    definitions = dict(zip(named, values))
    identities = _explicit_identities(d, env, sizes)
    check = Checker(d.domains, constrain=_constraint(identities))
    steps = [Rewrite("differentiate entry by entry", raw)]
    steps.append(check.step(steps[-1], Rewrite(
        "substitute the saved value", substituted,
        identity=sp.Eq(sp.Symbol(str(y), real=True), node.expr, evaluate=False)), definitions))
    scale, per_unit = sp.factor_terms(sp.expand(substituted / dout)).as_coeff_Mul()
    front = (dout,) if scale == 1 else (dout, scale)
    own = named[0, 0]
    collected = sp.collect(sp.expand(per_unit), own)
    if collected != per_unit:
        steps.append(check.step(steps[-1], Rewrite("collect", sp.Mul(*front, collected),
                                                   (*front, collected))))
    used = {total: value for total, value in identities if collected.has(total)}
    if used:
        total, value = next(iter(used.items()))
        final = collected.xreplace(used)
        steps.append(check.step(steps[-1], Rewrite(
            "use the assumption", sp.Mul(*front, final), (*front, final),
            sp.Eq(total, value, evaluate=False))))
    general = d.gradients[name].xreplace({node.expr: sp.MatrixSymbol(str(y), *node.expr.shape)})
    return Lesson(name, "entry", tuple(steps), ((sp.Symbol(str(y)), node.expr),), entry,
                  result=general)


def _explicit_identities(d, env, sizes) -> list[tuple]:
    """The declared identities entry by entry: (t_11 + t_21 + t_31, 1), ..."""
    found = []
    for left, right in getattr(d, "identities", {}).items():
        lhs, rhs = explicit(left, env, sizes), explicit(right, env, sizes)
        lhs = lhs if is_matrix(lhs) else sp.Matrix([[lhs]])
        rhs = rhs if is_matrix(rhs) else sp.ones(*lhs.shape) * rhs
        found += [(a, b) for a, b in zip(lhs, rhs) if isinstance(a, sp.Add)]
    return found


def _constraint(identities):
    """A point made to satisfy every identity sum = value (its last term solved for)."""
    def constrain(point):
        for total, value in identities:
            terms = list(total.args)
            last = terms[-1]
            if last.is_Symbol:
                rest = sp.Add(*terms[:-1]).xreplace(point)
                point[last] = sp.Float(value, 30) - rest
        return point
    return constrain
