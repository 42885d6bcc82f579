"""det(A)·inv(A) as the adjugate of A, which stays finite where A is singular.

The gradient of det(X) is det(X)·inv(X)ᵀ: right everywhere as a formula, but NumPy's inv
raises at a singular X, where the gradient (the transposed adjugate, the matrix of cofactors)
is perfectly finite. `adjugate_form` finds a product holding a determinant and the inverse of
the same matrix (or of its transpose, whose determinant is the same) and writes adj(A) for
them; the generated code computes it from the singular value decomposition.
"""

from __future__ import annotations

import sympy as sp

ADJUGATE_SOURCE = '''
def _adjugate(a):
    """adj(a) = det(a)·inv(a) from the SVD a = u·diag(s)·vt: finite where a is singular."""
    u, s, vt = numpy.linalg.svd(a)
    others = numpy.where(numpy.eye(s.shape[-1], dtype=bool), 1.0, s[..., None, :])
    sign = numpy.asarray(numpy.linalg.det(u) * numpy.linalg.det(vt))[..., None, None]
    columns = numpy.swapaxes(vt, -1, -2) * numpy.prod(others, axis=-1)[..., None, :]
    return sign * (columns @ numpy.swapaxes(u, -1, -2))
'''.strip()


class Adjugate(sp.MatrixExpr):
    """adj(A) = det(A)·inv(A), the transposed matrix of cofactors of A."""

    def __new__(cls, arg):
        return super().__new__(cls, arg)

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape

    def _numpycode(self, printer):
        return f"_adjugate({printer._print(self.arg)})"


def adjugate_form(expr):
    """`expr` with det(A)·inv(A) (or det(A)·inv(Aᵀ)) in a product written as adj."""
    return expr.replace(lambda e: isinstance(e, sp.MatMul) and _pair(e) is not None, _merged)


def _scalar_factors(e):
    return [f for a in e.args if not getattr(a, "is_Matrix", False)
            for f in sp.Mul.make_args(a)]


def _pair(e):
    determinants = [f for f in _scalar_factors(e) if isinstance(f, sp.Determinant)]
    for inverse in (a for a in e.args if isinstance(a, sp.Inverse)):
        for det in determinants:
            if inverse.arg in (det.arg, det.arg.T):
                return det, inverse
    return None


def _merged(e):
    det, inverse = _pair(e)
    scalars = [f for f in _scalar_factors(e) if f is not det]
    matrices = [Adjugate(inverse.arg) if a is inverse else a for a in e.args
                if getattr(a, "is_Matrix", False)]
    return sp.MatMul(sp.Mul(*scalars), *matrices)
