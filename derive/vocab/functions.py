"""The formula vocabulary: every function name a formula may call, as SymPy builders.

Composite activations (sigmoid, softplus, relu, ...) expand into primitives here, so the
computational graph shows the nodes the tutorial draws (sigmoid: ×(−1) → exp → +1 → /).
Reductions over arrays (sum, mean) are SymPy functions whose derivative is the broadcast of
the upstream gradient, which is exactly the vector–Jacobian product of a sum.
"""

from __future__ import annotations

import sympy as sp


class ArraySum(sp.Function):
    """sum(e): the sum of every entry of an array expression; a scalar."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number:  # a number is one entry: its sum is itself
            return arg
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(1)


class ArraySize(sp.Function):
    """The number of entries of an array expression (1 for a scalar)."""

    nargs = 1
    is_positive = True
    is_integer = True

    @classmethod
    def eval(cls, arg):
        if arg.is_number:
            return sp.Integer(1)
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def _sympystr(self, printer):
        return f"size({printer._print(self.args[0])})"

    def _latex(self, printer):
        return r"N_{%s}" % printer._print(self.args[0])


class CubeRoot(sp.Function):
    """cbrt(x): the real cube root (numpy.cbrt), negative for negative x; its derivative
    1/(3 cbrt(x)²) is infinite at 0, a kink the checks sample away from."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_number and arg.is_real:
            return sp.real_root(arg, 3)
        return None

    def fdiff(self, argindex=1):
        return 1 / (3 * CubeRoot(self.args[0]) ** 2)

    def _eval_evalf(self, prec):
        return sp.real_root(self.args[0], 3)._eval_evalf(prec)


def sinc(u):
    """NumPy's normalised sinc: sin(πu)/(πu), 1 at 0."""
    return sp.sinc(sp.pi * u)


def clip(u, low, high):
    return sp.Min(sp.Max(u, low), high)


def relu(u):
    return where(u > 0, u, 0)


def where(cond, a, b):
    if isinstance(cond, sp.Basic) and any(s.has(sp.Piecewise) for s in cond.atoms(ArraySum)):
        # SymPy folds the piecewise function inside the sum into the condition's branches,
        # which is true for one entry, not for the sum over all of them: refuse, never misread
        from derive.errors import DeriveError

        raise DeriveError(f"formula: the condition {cond} compares a sum over entries of a "
                          "piecewise function (relu, where, ...); this is not supported yet")
    return sp.Piecewise((a, cond), (b, True))


def mean(u):
    return ArraySum(u) / ArraySize(u)


def negated(u):
    """−u as typed: a sum stays whole under ×(−1) (SymPy would push the −1 into every term,
    and the graph would no longer be the formula the learner wrote)."""
    return sp.Mul(sp.S.NegativeOne, u, evaluate=False) if isinstance(u, sp.Add) else -u


# Composite functions: name -> (number of arguments, builder of primitives). The names of
# primitive functions (exp, tanh, sum, ...) are declared with their registry entries.
COMPOSITE_FUNCTIONS = {
    "sigmoid": (1, lambda u: 1 / (1 + sp.exp(negated(u)))),
    "softplus": (1, lambda u: sp.log(1 + sp.exp(u))),
    "relu": (1, relu),
    "where": (3, where),
    "mean": (1, mean),
    "clip": (3, clip),
    "size": (1, ArraySize),  # the number of entries, as `mean` divides by (printed so)
}

# Functions that only make sense on declared matrices (read.matrix_ops).
MATRIX_ONLY_FUNCTIONS = ("softmax", "trace", "det", "inv", "logsumexp")

CONSTANTS = {"pi": sp.pi}

DOUT = sp.Symbol("dout", real=True)  # the upstream gradient of a scalar output
OUT = sp.Symbol("out", real=True)  # the forward output, in saved forms

# Names a formula may not use for its own variables: they mean something in generated code
# (the modules it calls: a parameter named scipy would hide scipy.special.erf).
RESERVED_NAMES = frozenset({"dout", "out", "np", "numpy", "scipy", "math", "size", "e", "E",
                            "I"})
