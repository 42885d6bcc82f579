"""Matrix formulas on small explicit matrices, entry by entry (the tutorial's way).

`explicit(expr, env, sizes)` evaluates a matrix expression with every declared matrix replaced
by a sympy.Matrix (of symbols or of numbers) and every dimension by a number. The check
differentiates the explicit loss Σ dout ⊙ F entry by entry with sympy.diff and compares with
the derived gradient evaluated the same way; `worked_case` lays the 2×2 case out as data.
"""

from __future__ import annotations

import sympy as sp

from derive.budget import Meter, check_entries
from derive.vocab.nodes import AxisSum, Broadcast, Elementwise, LogSumExp, Softmax, SumAll, U
from derive.vocab.shapes import is_matrix


def explicit(expr, env: dict, sizes: dict):
    """`expr` with matrices from `env` (name -> sympy.Matrix or scalar) and sizes for dims;
    refused (derive.budget) as soon as a part grows over the node limit."""
    meter = Meter()

    def size(d):
        return int(sizes.get(d, d))

    def ev(e):
        if isinstance(e, sp.MatrixSymbol):
            return env[e.name]
        if isinstance(e, sp.Symbol):
            return sp.Integer(sizes[e]) if e in sizes else env.get(e.name, e)
        if isinstance(e, sp.Identity):
            return sp.eye(size(e.rows))
        if isinstance(e, sp.OneMatrix):
            return sp.ones(size(e.rows), size(e.cols))
        if isinstance(e, sp.ZeroMatrix):
            return sp.zeros(size(e.rows), size(e.cols))
        if not e.args or e.is_Number:
            return e
        if isinstance(e, Elementwise):
            body = e.body
            return ev(e.arg).applyfunc(lambda v: body.xreplace({U: v}))
        args = [ev(a) for a in e.args]
        return meter.check_entries(_combine(e, args, size, meter), "the explicit matrices check")

    return ev(expr)


def _combine(e, args, size, meter):
    if isinstance(e, sp.MatMul):
        result = args[0]
        for a in args[1:]:
            result = meter.check_entries(result * a, "the explicit matrices check")
        return result
    if isinstance(e, sp.MatAdd):
        return sum(args[1:], args[0])
    if isinstance(e, sp.HadamardProduct):
        result = args[0]
        for a in args[1:]:
            result = result.multiply_elementwise(a)
        return result
    if isinstance(e, sp.Transpose):
        return args[0].T
    if isinstance(e, sp.Trace):
        return args[0].trace()
    if isinstance(e, sp.Determinant):
        return args[0].det(method="berkowitz")
    if isinstance(e, sp.Inverse):
        return args[0].inv(method="ADJ")
    if isinstance(e, Broadcast):
        rows, cols = size(e.shape[0]), size(e.shape[1])
        value = args[0]
        if not is_matrix(value):
            return sp.ones(rows, cols) * value
        return sp.Matrix(rows, cols, lambda i, j: value[i % value.rows, j % value.cols])
    if isinstance(e, AxisSum):
        m = args[0]
        if e.axis == 0:
            return sp.Matrix(1, m.cols, lambda i, j: sum(m[:, j]))
        return sp.Matrix(m.rows, 1, lambda i, j: sum(m[i, :]))
    if isinstance(e, SumAll):
        return sum(args[0])
    if isinstance(e, Softmax):
        m = args[0].applyfunc(sp.exp)
        if e.axis == 0:
            return sp.Matrix(m.rows, m.cols, lambda i, j: m[i, j] / sum(m[:, j]))
        return sp.Matrix(m.rows, m.cols, lambda i, j: m[i, j] / sum(m[i, :]))
    if isinstance(e, LogSumExp):
        m = args[0].applyfunc(sp.exp)
        if e.axis == 0:
            return sp.Matrix(1, m.cols, lambda i, j: sp.log(sum(m[:, j])))
        return sp.Matrix(m.rows, 1, lambda i, j: sp.log(sum(m[i, :])))
    if isinstance(e, sp.HadamardPower):
        return args[0].applyfunc(lambda v: v ** args[1])
    if isinstance(e, sp.MatPow):
        return args[0] ** int(args[1])
    return e.func(*args)


def symbolic_env(shapes: dict, sizes: dict) -> dict:
    """A sympy.Matrix of entry symbols X_i_j (1-based, as the tutorial writes them) per name."""
    check_entries({name: (int(sizes.get(r, r)), int(sizes.get(c, c)))
                   for name, (r, c) in shapes.items()}, "the explicit matrices check")
    env = {}
    for name, (rows, cols) in shapes.items():
        r, c = int(sizes.get(rows, rows)), int(sizes.get(cols, cols))
        env[name] = sp.Matrix(r, c, [sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True)
                                     for i in range(r) for j in range(c)])
    return env


def explicit_loss(expr, dout, env, sizes):
    """Σ dout ⊙ F, the scalar whose gradient is the VJP, on explicit matrices."""
    value = explicit(expr, env, sizes)
    upstream = explicit(dout, env, sizes)
    if is_matrix(value):
        return sum(value.multiply_elementwise(upstream))
    return upstream * value


def entry_gradients(loss, matrix):
    """∂loss/∂X[i, j] for every entry of an explicit matrix, by sympy.diff."""
    summands = loss_summands(loss)
    return matrix.applyfunc(lambda entry: partial(summands, entry))


def loss_summands(loss) -> list[tuple]:
    """(summand, its free symbols) for each summand of the loss, a factor in front of one sum
    (dout · Σ …) multiplied into it: each entry then occurs in only a few summands."""
    summands = []
    for term in sp.Add.make_args(loss):
        factors = sp.Mul.make_args(term)
        sums = [f for f in factors if f.is_Add]
        if len(sums) == 1:
            rest = sp.Mul(*[f for f in factors if f is not sums[0]])
            summands += [rest * part for part in sums[0].args]
        else:
            summands.append(term)
    return [(s, s.free_symbols) for s in summands]


def partial(summands: list[tuple], entry):
    """sympy.diff of the loss by one entry, over only the summands that contain it."""
    return sp.Add(*[sp.diff(s, entry) for s, symbols in summands if entry in symbols])
