"""Reverse mode over index statements: each read's VJP, derived and with its delta eliminated.

For a statement T[idx] = R_r body and a read A[g(idx, r)] in it, the chain rule gives

    dA[a] += Σ_{idx, r} dT[idx] · ∂body/∂A[g(idx, r)] · δ(a = g(idx, r))

where ∂body/∂A[...] is `sympy.diff` of the scalar body at the read. The Kronecker delta is
removed as TVM's zero elimination does: the affine equations a_k = g_k(idx, r) are solved for
loop indices (output indices first, so the sum that remains runs over the reduction, the small
kernel offsets of a convolution); a solved index that is not an integer for every a carries a
divisibility condition (stride), and one that may leave its range a bounds condition (edges,
padding). For `mean` the upstream is divided by the count; for `max`/`min` it is routed to the
first arg-max (row-major order of the reduction indices, the convention numpy's argmax keeps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.index.program import Program, Statement, affine_parts, tensor_name
from derive.primitives import statement_primitive

TARGET_NAMES = ("h", "w", "y", "z", "u", "v", "t", "e", "g", "k", "m", "l")


@dataclass
class Contribution:
    """One read's share of its tensor's gradient, before and after the delta is eliminated."""

    statement: Statement
    read: sp.Indexed                 # A[g(idx, r)]
    gradient: str                    # the name of A's gradient (dx, dxp, ...)
    upstream: sp.Expr                # dT[idx] (÷ count for mean, routed for max)
    local: sp.Expr                   # ∂body/∂A[g(idx, r)]
    target: tuple                    # the indices a of dA[a]
    equations: list                  # (a_k, g_k) pairs: the Kronecker delta δ(a = g)
    solved: dict = field(default_factory=dict)     # loop index → expression in a and the rest
    conditions: list = field(default_factory=list)  # ("divides", d, e) | ("range", lo, e, hi)
    summand: sp.Expr = sp.S.Zero
    sum_over: tuple = ()
    rule: str = ""
    upstream_name: str = "dout"      # the name of dT


def gradient_name(program: Program, name: str) -> str:
    names = program.output_names
    return "dout" if len(names) == 1 and name == names[0] else "d" + name


def needs_gradient(program: Program) -> set:
    """The tensors on a path from a differentiated input to the output."""
    needed = set(program.inputs)
    for statement in program.statements:
        if any(tensor_name(r) in needed for r in statement.reads()):
            needed.add(statement.target)
    return needed


def contributions(program: Program) -> list[Contribution]:
    """Every read's contribution, from the last statement back to the first."""
    needed = needs_gradient(program)
    found = []
    for statement in reversed(program.statements):
        if statement.target not in needed:
            continue
        upstream_name = gradient_name(program, statement.target)
        axes = statement.merged or statement.indices
        upstream = sp.Indexed(sp.IndexedBase(upstream_name), *axes) \
            if axes else sp.Symbol(upstream_name)
        for read in statement.reads():
            if tensor_name(read) not in needed:
                continue
            found.append(_contribution(program, statement, read, upstream))
            found[-1].upstream_name = upstream_name
            if statement.kind == "pad":
                inner = [c for c in found if c.gradient == upstream_name]
                found[-1] = _renamed_pad(found[-1], inner[0].target if inner else None)
    return found


def _contribution(program, statement, read, upstream) -> Contribution:
    name = tensor_name(read)
    entry = statement_primitive(statement.kind)
    if statement.kind == "pad":
        target = tuple(statement.indices)
        shifted = [i + statement.pad if k in statement.pad_axes else i
                   for k, i in enumerate(target)]
        dT = sp.Indexed(upstream.base, *shifted)
        return Contribution(statement, read, gradient_name(program, name), upstream, sp.S.One,
                            target, [], summand=dT, rule=entry.rule)
    placeholder = sp.Dummy("read")
    local = sp.diff(statement.body.subs(read, placeholder), placeholder).subs(placeholder, read)
    if statement.kind == "map" and statement.indices:  # in saved values: 1 - out², out for exp
        local = local.subs(statement.body, sp.Indexed(sp.IndexedBase(statement.target),
                                                      *statement.indices))
    weight = entry.weight(statement, upstream)
    target = _target_indices(statement, read)
    contribution = Contribution(statement, read, gradient_name(program, name), weight, local,
                                target, list(zip(target, read.indices)), rule=entry.rule)
    _eliminate(contribution)
    return contribution


def _target_indices(statement, read) -> tuple:
    """Names for dA's indices: the loop index itself where an axis is read by one bare index."""
    taken = {s.name for s in statement.loop} | {str(r.base.label) for r in statement.reads()}
    names, pool = [], [n for n in TARGET_NAMES if n not in taken]
    for expr in read.indices:
        if expr in statement.loop and expr not in names:
            names.append(expr)
        else:
            names.append(sp.Symbol(pool.pop(0), integer=True, nonnegative=True))
    return tuple(names)


def _eliminate(c: Contribution) -> None:
    """Solve the delta's equations for loop indices and sum over the ones left."""
    statement = c.statement
    free = list(statement.loop)
    solved, divisibility, unsolved = {}, [], []
    for target, expr in c.equations:
        expr = sp.expand(expr.subs(solved))
        coefficients = affine_parts(expr, free)[0]
        if not coefficients:
            unsolved.append((target, expr))
            continue
        index = min(coefficients, key=lambda i: (i not in statement.indices,
                                                 abs(coefficients[i]) != 1, free.index(i)))
        step = coefficients[index]
        rest = expr - step * index
        value = sp.together((target - rest) / step)
        solved = {k: v.subs(index, value) for k, v in solved.items()}
        solved[index] = value
        free.remove(index)
        if step not in (1, -1):
            divisibility.append(("divides", step, sp.expand(target - rest)))
    c.solved = solved
    c.conditions = [*divisibility,
                    *(("range", sp.S.Zero, v, statement.ranges[k] - 1)
                      for k, v in solved.items() if k != v),
                    *(("equal", t, e) for t, e in unsolved)]
    c.summand = (c.upstream * c.local).subs(solved, simultaneous=True)
    c.sum_over = tuple(i for i in statement.loop if i in free)


def _renamed_pad(c: Contribution, names) -> Contribution:
    """The crop step written with the index names the padded tensor's gradient uses."""
    if names is None:
        return c
    mapping = dict(zip(c.target, names))
    c.target = tuple(names)
    c.summand = c.summand.xreplace(mapping)
    return c


def composed(pad: Contribution, inner: Contribution) -> Contribution:
    """The padded tensor's contribution seen from the unpadded one: a ↦ a + pad on the padded
    axes (the crop substituted into it)."""
    statement = pad.statement
    shift = {t: t + statement.pad for k, t in enumerate(inner.target) if k in statement.pad_axes}
    return Contribution(
        inner.statement, inner.read, pad.gradient, inner.upstream, inner.local, inner.target,
        inner.equations, {k: v.xreplace(shift) for k, v in inner.solved.items()},
        [(kind, *(sp.together(p.xreplace(shift)) for p in parts))
         for kind, *parts in inner.conditions],
        inner.summand.xreplace(shift), inner.sum_over, inner.rule + ", then crop the padding",
        inner.upstream_name)
