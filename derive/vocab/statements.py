"""The kinds of statement an index formula is made of (derive.index.program), as node types of
the one registry (entries in derive.primitives.statements): `T[idx] = body` entry by entry
(map), reductions over loop indices (sum, mean, max, min) and zero padding (pad); and
FirstArgmax, the indicator through which a max/min statement routes its gradient."""

from __future__ import annotations

import sympy as sp


class IndexStatement:
    """A statement kind; `kind` is the name a Statement carries."""

    kind = ""


KINDS = ("map", "sum", "mean", "max", "min", "pad")
STATEMENT_TYPES = {kind: type(f"Index{kind.capitalize()}", (IndexStatement,), {"kind": kind})
                   for kind in KINDS}
IndexMap, IndexSum, IndexMean, IndexMax, IndexMin, IndexPad = STATEMENT_TYPES.values()


class FirstArgmax(sp.Function):
    """FirstArgmax(body, which, count, r'..., r...): 1 where the indices r are the first
    arg-max (or arg-min) over the bound indices r' of body(r'), else 0."""

    def _index_text(self, printer):
        body, which, count, *indices = self.args
        bound, free = indices[:int(count)], indices[int(count):]
        return (f"[({', '.join(printer._print(a) for a in free)}) = first {which.name}_"
                f"({', '.join(printer._print(a) for a in bound)}) {printer._print(body)}]")

    def _latex(self, printer):
        body, which, count, *indices = self.args
        bound, free = indices[:int(count)], indices[int(count):]
        return (r"\left[(%s) = \operatorname{first\,%s}_{%s} %s\right]"  # noqa: UP031
                % (", ".join(printer._print(a) for a in free), which.name,
                   ", ".join(printer._print(a) for a in bound), printer._print(body)))


def first_argmax(statement) -> sp.Expr:
    """The indicator that a max/min statement's reduction indices are the first arg-max
    (arg-min) of its body, in row-major order of the reduction indices (numpy's argmax)."""
    bound = [sp.Symbol(f"{r.name}'", integer=True, nonnegative=True) for r in statement.reduce]
    body = statement.body.subs(dict(zip(statement.reduce, bound)), simultaneous=True)
    return FirstArgmax(body, sp.Symbol("arg" + statement.kind), len(bound), *bound,
                       *statement.reduce)
