"""Matrix primitives (SymPy's matrix operations), each with the VJP read off its differential.

With L the loss and G = ∂L/∂Z the upstream gradient of a node Z = f(A, ...), the chain rule
reads dL = tr(Gᵀ dZ). Writing dZ in terms of dA and moving everything but dA out of the trace
(cyclic trace, tr(Mᵀ) = tr(M)) gives dL = tr(Āᵀ dA): Ā is the VJP. Each `differential`
returns the pair (dZ, Ā): dZ is the step's `local`, Ā its `downstream`.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from derive.primitives.registry import Primitive, register
from derive.printers.text import formula_text, implicit_broadcasts
from derive.vocab.nodes import AxisSum, Broadcast, SumAll
from derive.vocab.shapes import is_matrix, is_variable


def transpose(expr):
    return sp.Transpose(expr).doit(deep=False)


def product(*factors):
    factors = [f for f in factors if f != 1]
    if len(factors) == 1:
        return factors[0]
    return sp.MatMul(*factors) if any(is_matrix(f) for f in factors) else sp.Mul(*factors)


# --- matrix product: c·A @ B @ ... ---

def _matmul(expr, p, d, G):
    args = expr.args
    others = [a for i, a in enumerate(args) if i != p]
    if not is_matrix(args[p]):  # a scalar factor c of c·M: dL = tr(Gᵀ M) dc
        rest = product(*others)
        return product(*args[:p], d, *args[p + 1:]), SumAll(sp.HadamardProduct(G, rest))
    scale = sp.Mul(*[a for a in args if not is_matrix(a)])
    left = [a for a in args[:p] if is_matrix(a)]
    right = [a for a in args[p + 1:] if is_matrix(a)]
    parts = ([transpose(product(*left))] if left else []) + [G] + (
        [transpose(product(*right))] if right else [])
    return product(*args[:p], d, *args[p + 1:]), product(scale, *parts)


def _matmul_label(expr, children):
    scalars = [a for a in expr.args if not is_matrix(a) and not is_variable(a)]
    if len([a for a in expr.args if is_variable(a)]) == 1 and scalars:
        factor = formula_text(sp.Mul(*scalars))
        return "×" + (f"({factor.replace('-', '−')})" if factor.startswith("-") else factor)
    return "@"


def _matmul_code(printer, expr):
    negated = [a for a in expr.args if not is_matrix(a)] == [-1]
    scalars = [printer._operand(a) for a in expr.args if not is_matrix(a) and not negated]
    matrices = [printer._operand(a) for a in expr.args if is_matrix(a)]
    code = " @ ".join(matrices)
    if negated:  # -A @ B, not (-1)*(A @ B)
        return f"-({code})" if len(matrices) > 1 else f"-{code}"
    return "*".join(scalars + [f"({code})" if len(matrices) > 1 and scalars else code])


def _as_mean(expr):
    """("" or "-", the AxisSum) for ±1/n * sum(a, axis) where n is a's size along the axis
    (printed mean(a, axis=k), which reads back as the same 1/n * sum), else None."""
    matrices = [a for a in expr.args if is_matrix(a)]
    if len(matrices) != 1 or not isinstance(matrices[0], AxisSum):
        return None
    summed = matrices[0]
    coefficient = sp.Mul(*[a for a in expr.args if not is_matrix(a)])
    length = summed.arg.shape[summed.axis]
    sign = {1 / length: "", -1 / length: "-"}.get(coefficient)
    return None if sign is None else (sign, summed)


def _matmul_text(printer, expr):
    scalars = [a for a in expr.args if not is_matrix(a)]
    matrices = [a for a in expr.args if is_matrix(a)]
    product_text = " @ ".join(printer.parenthesize(m, PRECEDENCE["Mul"]) for m in matrices)
    if not scalars:
        return product_text
    mean = _as_mean(expr)
    if mean is not None:
        sign, summed = mean
        return f"{sign}mean({printer._print(summed.arg)}, axis={summed.axis})"
    coefficient = sp.Mul(*scalars)
    if coefficient == -1:
        if len(matrices) == 1:
            return "-" + printer.parenthesize(matrices[0], PRECEDENCE["Mul"], strict=True)
        return "-" + product_text
    return f"{printer.parenthesize(coefficient, PRECEDENCE['Mul'], strict=True)}*{product_text}"


register(Primitive((sp.MatMul,), "matrix product", _matmul_label, _matmul,
                   code=_matmul_code, text=_matmul_text))


# --- sums and elementwise products ---

def _matadd_text(printer, expr):
    parts = sorted((printer._print(t) for t in implicit_broadcasts(expr.args)),
                   key=lambda part: part.startswith("-"))
    text = parts[0]
    for part in parts[1:]:
        text += f" - {part[1:]}" if part.startswith("-") else f" + {part}"
    return text


def _negation(term):
    """What `term` subtracts: A for −A, broadcast(A) for broadcast(−A) (x − μ with μ a row
    broadcast down the rows, X − c with c a number); None for a term added with its own
    sign."""
    if isinstance(term, sp.MatMul) and term.args[0] == -1:
        rest = term.args[1:]
        return rest[0] if len(rest) == 1 else sp.MatMul(*rest)
    if isinstance(term, sp.Mul) and term.as_coeff_Mul()[0] == -1:  # a number broadcast: −c
        return -term
    if isinstance(term, Broadcast):
        inner = _negation(term.arg)
        return None if inner is None else Broadcast(inner, *term.shape)
    return None


def _subtracted(expr) -> dict:
    """The terms a matrix sum subtracts, as typed (X − T: {position: T}), beside at least one
    term added with its own sign; a lone −A stays a ×(−1) node."""
    variable = {p: a for p, a in enumerate(expr.args) if is_variable(a)}
    negated = {p: _negation(a) for p, a in variable.items() if _negation(a) is not None}
    return negated if len(negated) < len(variable) else {}


def _matadd_children(expr):
    """The added terms, then what the subtracted ones subtract (X − broadcast(μ): X, then
    broadcast(μ))."""
    subtracted = _subtracted(expr)
    return [a for p, a in enumerate(expr.args) if is_variable(a) and p not in subtracted] + list(
        subtracted.values())


def _matadd_function(expr, replacements):
    subtracted = _subtracted(expr)
    return sp.MatAdd(*(sp.MatMul(-1, replacements[subtracted[p]]) if p in subtracted
                       else replacements.get(a, a) for p, a in enumerate(expr.args)))


def _matadd_places(expr, child):
    subtracted = _subtracted(expr)
    return [p for p, a in enumerate(expr.args)
            if (subtracted.get(p) == child if p in subtracted else a == child)]


def _matadd(expr, p, d, G):
    """dZ = ±dA: +I for an added term, −I for a subtracted one."""
    return (-d, -G) if p in _subtracted(expr) else (d, G)


register(Primitive(
    (sp.MatAdd,), lambda e, c: "difference" if _subtracted(e) else "sum",
    lambda e, c: "−" if _subtracted(e) else "+", _matadd,
    children=_matadd_children, function=_matadd_function, places=_matadd_places,
    code=lambda p, e: " + ".join(p._print(a) for a in implicit_broadcasts(e.args)),
    text=_matadd_text))


def _hadamard(expr, p, d, G):
    others = [a for i, a in enumerate(expr.args) if i != p]
    return sp.HadamardProduct(*others, d), sp.HadamardProduct(G, *others)


def _hadamard_print(printer, expr):
    return "*".join(printer.parenthesize(a, PRECEDENCE["Mul"])
                    for a in implicit_broadcasts(expr.args))


def _hadamard_text(printer, expr):
    """As the code, with a mean(a, axis=k) factor left unparenthesised (a call)."""
    return "*".join(printer._print(a) if isinstance(a, sp.MatMul) and _as_mean(a) is not None
                    and _as_mean(a)[0] == "" else printer.parenthesize(a, PRECEDENCE["Mul"])
                    for a in implicit_broadcasts(expr.args))


register(Primitive((sp.HadamardProduct,), "hadamard", "⊙", _hadamard,
                   code=_hadamard_print, text=_hadamard_text))


def _hadamard_power(expr, p, d, G):
    # d(A ∘ⁿ) = n A ∘ⁿ⁻¹ ⊙ dA, for a constant exponent n
    slope = sp.MatMul(expr.exp, sp.HadamardPower(expr.base, expr.exp - 1))
    return sp.HadamardProduct(slope, d), sp.HadamardProduct(G, slope)


def _hadamard_power_print(printer, expr):
    return (f"{printer.parenthesize(expr.base, PRECEDENCE['Pow'], strict=True)}**"
            f"{printer.parenthesize(expr.exp, PRECEDENCE['Pow'], strict=True)}")


register(Primitive((sp.HadamardPower,), "power", lambda e, c: f"**{e.exp}", _hadamard_power,
                   code=_hadamard_power_print,
                   text=_hadamard_power_print))


# --- transpose, trace, determinant, inverse ---

register(Primitive(
    (sp.Transpose,), "transpose", ".T", lambda expr, p, d, G: (d.T, transpose(G)),
    code=lambda p, e: f"numpy.transpose({p._print(e.arg)})",
    text=lambda p, e: p.parenthesize(e.arg, PRECEDENCE["Atom"], strict=True) + ".T"))

register(Primitive(
    (sp.Trace,), "trace", "trace",
    lambda expr, p, d, G: (sp.Trace(d), product(G, sp.Identity(expr.arg.shape[0]))),
    code=lambda p, e: f"numpy.trace({p._print(e.arg)})",
    text=lambda p, e: f"trace({p._print(e.arg)})"))


def _determinant(expr, p, d, G):
    A = expr.arg
    return (product(expr, sp.Trace(sp.MatMul(sp.Inverse(A), d))),
            product(G, expr, transpose(sp.Inverse(A))))


register(Primitive((sp.Determinant,), "determinant", "det", _determinant,
                   code=lambda p, e: f"numpy.linalg.det({p._print(e.arg)})",
                   text=lambda p, e: f"det({p._print(e.arg)})"))


def _inverse(expr, p, d, G):
    inv_t = transpose(sp.Inverse(expr.arg))
    return sp.MatMul(-1, expr, d, expr), sp.MatMul(-1, inv_t, G, inv_t)


register(Primitive((sp.Inverse,), "inverse", "inv", _inverse,
                   code=lambda p, e: f"numpy.linalg.inv({p._print(e.arg)})",
                   text=lambda p, e: f"inv({p._print(e.arg)})"))
