"""The registry: every node type the computational graph may hold, declared once.

A Primitive says, for its node types, in one place: the rule name (from a small fixed
vocabulary), the label the tutorial draws, which subexpressions are its children, how the
gradient flows back, the formula functions that build it, and how it prints as NumPy code,
as text and as LaTeX (installed as `_print_X` methods of derive's printers). Two kinds of
backward rule:

- no `differential`: the local derivative is sympy.diff of the node's own function of
  placeholder children, and the gradient is upstream × local (broadcasting undone by
  `unbroadcast`);
- `differential(expr, position, d, G) -> (dZ, Ā)`: the node's differential dZ for a change
  d of its argument at `position`, and the VJP Ā read off tr(Gᵀ dZ) = tr(Āᵀ dA) (matrix nodes).

The statements of index formulas are entries too (derive.primitives.statements): their
`weight(statement, dT)` is the upstream as a read's Kronecker-delta sum takes it.

A node whose type has no entry raises UnknownPrimitive, naming it: nothing falls back silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from derive.errors import DeriveError
from derive.printers.code import DerivePrinter
from derive.printers.text import TextPrinter, formula_text
from derive.vocab.functions import ArraySize, ArraySum
from derive.vocab.kinks import local_at_kinks
from derive.vocab.nodes import AxisSum, SumAll
from derive.vocab.shapes import is_matrix, is_variable


class UnknownPrimitive(DeriveError):
    """A node type with no registry entry."""


@dataclass(frozen=True, eq=False)
class Primitive:
    """One kind of node. `rule` and `label` are text or functions of (expr, children);
    `children(expr)` overrides the default (the variable arguments, each once); `functions`
    maps formula function names to (arity, builder); `code`, `text`, `latex` are
    `(printer, expr) -> str`, left None where SymPy's own printing is right; `function(expr,
    replacements)` overrides the node's own function (expr with each child replaced by its
    placeholder), for children that are not subexpressions of `expr` as SymPy stores it, and
    `places(expr, child)` then lists the argument positions a child enters (for `differential`);
    `weight` is an index statement's `(statement, upstream) -> weighted upstream`."""

    types: tuple[type, ...]
    rule: str | Callable
    label: str | Callable
    differential: Callable | None = None
    children: Callable | None = None
    functions: dict = field(default_factory=dict)
    code: Callable | None = None
    text: Callable | None = None
    latex: Callable | None = None
    function: Callable | None = None
    places: Callable | None = None
    weight: Callable | None = None

    def rule_name(self, expr, children) -> str:
        return self.rule(expr, children) if callable(self.rule) else self.rule

    def label_of(self, expr, children) -> str:
        return self.label(expr, children) if callable(self.label) else self.label


REGISTRY: dict[type, Primitive] = {}


def register(primitive: Primitive) -> Primitive:
    """Add `primitive` for each of its types and install its printers."""
    for kind in primitive.types:
        REGISTRY[kind] = primitive
        name = f"_print_{kind.__name__}"
        if primitive.code:
            setattr(DerivePrinter, name, _method(primitive.code))
        if primitive.text:
            setattr(TextPrinter, name, _method(primitive.text))
            if not kind.__module__.startswith("sympy"):  # str() of derive's own nodes
                kind._sympystr = _own(primitive.text)
        if primitive.latex:
            kind._latex = _own(primitive.latex)
    return primitive


def _method(print_function):
    return lambda printer, expr: print_function(printer, expr)


def _own(print_function):
    return lambda expr, printer: print_function(printer, expr)


def primitive_of(expr) -> Primitive:
    """The entry for `expr`'s node type; UnknownPrimitive naming it if there is none."""
    for kind in type(expr).__mro__:
        if kind in REGISTRY:
            return REGISTRY[kind]
    name = getattr(expr.func, "__name__", type(expr).__name__)
    raise UnknownPrimitive(f"formula: no primitive is registered for '{name}' (in "
                           f"'{formula_text(expr)}'); derive cannot differentiate it")


def formula_functions() -> dict:
    """Every function name a primitive declares: name -> (arity, builder)."""
    return {name: spec for p in dict.fromkeys(REGISTRY.values())
            for name, spec in p.functions.items()}


def children_of(expr) -> list:
    """The subexpressions a node of `expr` takes as inputs (empty for a leaf)."""
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return []
    primitive = primitive_of(expr)
    found = primitive.children(expr) if primitive.children else [
        a for a in expr.args if isinstance(a, sp.Basic) and not isinstance(a, sp.Lambda)
        and is_variable(a)]
    return list(dict.fromkeys(found))


def own_function(expr, children, holders):
    """The node's own function: `expr` with each child replaced by its placeholder."""
    replacements = dict(zip(children, holders))
    primitive = primitive_of(expr)
    if primitive.function is not None:
        return primitive.function(expr, replacements)
    return expr.xreplace(replacements)


def label_of(expr, children) -> str:
    return primitive_of(expr).label_of(expr, children)


def rule_name(node) -> str:
    """The rule that differentiates `node`, from the fixed vocabulary."""
    return primitive_of(node.expr).rule_name(node.expr, node.child_exprs)


def differential_symbol(child):
    """d<child>: the change of a child in a node's differential."""
    text = formula_text(child)
    name = f"d{text}" if text.isidentifier() else f"d({text})"
    return sp.MatrixSymbol(name, *child.shape) if is_matrix(child) else sp.Symbol(name)


def local_derivatives(node) -> list:
    """For each child: ∂(node)/∂(child), or the child's part of the differential dZ."""
    primitive = primitive_of(node.expr)
    if primitive.differential is None:
        back = dict(zip(node.placeholders, node.child_exprs))
        return [local_at_kinks(node.func, holder, node.placeholders).xreplace(back)
                for holder in node.placeholders]
    upstream = (sp.MatrixSymbol("G", *node.expr.shape) if is_matrix(node.expr)
                else sp.Symbol("G"))
    return [_total([dz for dz, _ in _differential_terms(primitive, node, i, upstream)])
            for i in range(len(node.args))]


def vjp(node, index: int, upstream, local, scalars: frozenset = frozenset()):
    """The gradient that flows from `node` to its child `index`."""
    primitive = primitive_of(node.expr)
    if primitive.differential is not None:
        return _total([grad for _, grad in _differential_terms(primitive, node, index,
                                                               upstream)])
    gradient = upstream * local
    if array_valued(node.expr) and not array_valued(node.child_exprs[index]):
        return unbroadcast(gradient, (), node.expr, scalars)
    return gradient


def _differential_terms(primitive, node, index, upstream) -> list:
    child = node.child_exprs[index]
    d = differential_symbol(child)
    places = (primitive.places(node.expr, child) if primitive.places else
              [p for p, arg in enumerate(node.expr.args) if arg == child])
    return [primitive.differential(node.expr, p, d, upstream) for p in places]


def _total(parts):
    if len(parts) == 1:
        return parts[0]
    return sp.MatAdd(*parts) if is_matrix(parts[0]) else sp.Add(*parts)


def unbroadcast(gradient, shape: tuple, value=None, scalars: frozenset = frozenset()):
    """Undo broadcasting, in one place: the gradient for an input of `shape` that was
    broadcast to the node's value. A matrix gradient is summed over the axes where `shape`
    has size 1 (over every entry for a single number, shape ()); in a formula without
    declared shapes a single number broadcast over the entries of `value` gets the sum of
    their gradients, or, where that gradient is one number, it times their count."""
    if is_matrix(gradient):
        if not shape:
            return SumAll(gradient)
        for axis in (0, 1):
            if shape[axis] == 1 and gradient.shape[axis] != 1:
                gradient = AxisSum(gradient, axis)
        return gradient
    if array_valued(gradient, scalars):
        return ArraySum(gradient)
    return gradient * ArraySize(value)


def array_valued(expr, scalars: frozenset = frozenset()) -> bool:
    """True if `expr` varies entry by entry: a formula name occurs outside every sum()."""
    stack = [expr]
    while stack:
        current = stack.pop()
        if isinstance(current, (ArraySum, ArraySize)) or not isinstance(current, sp.Basic):
            continue
        if isinstance(current, sp.Symbol) and current not in scalars:
            return True
        stack.extend(current.args)
    return False
