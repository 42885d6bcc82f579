"""SymPy expressions as text (as `sympy.srepr` writes them) and back, without `eval` or
`sympify`.

`read_srepr` walks the text with Python's `ast` and builds only whitelisted SymPy classes
(SymPy's own and derive's Basic subclasses, found by name). Raw strings and numbers may only
be the arguments of the leaf classes (Symbol, Integer, Float, ...); every other class gets
already-built SymPy objects, so no constructor ever sees text it could parse as code.
"""

from __future__ import annotations

import ast
from functools import lru_cache

import sympy as sp
from sympy.core.function import UndefinedFunction

# classes whose arguments are raw constants: (positional constant types, keyword constant types)
LEAVES = {
    "Symbol": ((str,), (bool,)),
    "Dummy": ((str,), (bool, int)),
    "Str": ((str,), ()),
    "Integer": ((int,), ()),
    "Rational": ((int,), ()),
    "Float": ((str,), (int,)),
}
SINGLETONS = {"pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo, "zoo": sp.zoo, "nan": sp.nan,
              "true": sp.true, "false": sp.false, "EulerGamma": sp.EulerGamma,
              "Catalan": sp.Catalan, "GoldenRatio": sp.GoldenRatio, "EmptySet": sp.EmptySet}
MAX_TEXT = 5_000_000


class UnsafeExpression(ValueError):
    """The text is not an expression this reader builds."""


def write_srepr(expr: sp.Basic) -> str:
    """The text `read_srepr` reads back to `expr`: `sympy.srepr` for atoms, and for the rest
    `Class(arg, ...)` with the arguments in the object's own order (srepr sorts the terms of
    a sum, which would turn W @ X + b into b + W @ X)."""
    if not expr.args:
        return sp.srepr(expr)
    return f"{type(expr).__name__}({', '.join(write_srepr(a) for a in expr.args)})"


def read_srepr(text: str) -> sp.Basic:
    """Build the SymPy object `text` (from `write_srepr`) describes; UnsafeExpression if it
    names anything outside the whitelist or passes constants where objects belong."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise UnsafeExpression("not an expression text of a sensible size")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise UnsafeExpression(f"unreadable ({type(exc).__name__})") from None
    result = _build(tree.body)
    if not isinstance(result, sp.Basic):
        raise UnsafeExpression("not a SymPy object")
    return result


def _build(node):
    if isinstance(node, ast.Call):
        return _call(node)
    if isinstance(node, ast.Name):
        if node.id in SINGLETONS:
            return SINGLETONS[node.id]
        raise UnsafeExpression(f"name {node.id!r} is not allowed")
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_build(e) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    raise UnsafeExpression(f"{type(node).__name__} is not allowed")


def _call(node: ast.Call):
    if not isinstance(node.func, ast.Name):
        raise UnsafeExpression("only named classes may be called")
    name = node.func.id
    cls = allowed_classes().get(name)
    if cls is None:  # a class of a derive module imported since the last look
        allowed_classes.cache_clear()
        cls = allowed_classes().get(name)
    if cls is None:
        raise UnsafeExpression(f"class {name!r} is not allowed")
    leaf = _leaf_signature(name, cls)
    if leaf is not None:
        positional, keyword = leaf
        args = [_constant(a, positional) for a in node.args]
        kwargs = {k.arg: _constant(k.value, keyword) for k in node.keywords}
        return _make_leaf(cls, args, kwargs)
    if node.keywords:
        raise UnsafeExpression(f"{name}: keyword arguments are not allowed")
    args = [_build(a) for a in node.args]
    if any(not isinstance(a, (sp.Basic, tuple, list)) for a in args):
        raise UnsafeExpression(f"{name}: arguments must be SymPy objects")
    return cls(*args)


def _leaf_signature(name: str, cls):
    if name in LEAVES:
        return LEAVES[name]
    if issubclass(cls, sp.Symbol):  # derive's own symbols (MatrixDimension)
        return LEAVES["Symbol"]
    return None


def _constant(node, kinds: tuple):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand, kinds)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UnsafeExpression("only integers may be negated")
        return -value
    if not isinstance(node, ast.Constant) or node.kind is not None:
        raise UnsafeExpression("a constant was expected")
    value = node.value
    if type(value) not in kinds:
        raise UnsafeExpression(f"constant of type {type(value).__name__} not allowed here")
    return value


def _make_leaf(cls, args, kwargs):
    if cls is sp.Float and (len(args) != 1 or not _is_number_text(args[0])):
        raise UnsafeExpression("Float takes one number")
    try:
        return cls(*args, **kwargs)
    except TypeError:
        if not issubclass(cls, sp.Symbol):
            raise UnsafeExpression(f"{cls.__name__}: unexpected arguments") from None
    made = cls(*args)  # a Symbol subclass that fixes its own assumptions
    if any(made.assumptions0.get(k) != v for k, v in kwargs.items()):
        raise UnsafeExpression(f"{cls.__name__}: assumptions differ from the class's own")
    return made


def _is_number_text(text: str) -> bool:
    return len(text) < 400 and all(c in "0123456789.eE+-" for c in text) and any(
        c.isdigit() for c in text)


@lru_cache(maxsize=1)
def allowed_classes() -> dict:
    """Name -> class for every SymPy and derive Basic subclass with an unambiguous name."""
    found: dict[str, set] = {}
    stack = [sp.Basic]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        module = getattr(cls, "__module__", "") or ""
        if isinstance(cls, UndefinedFunction) or not module.startswith(("sympy.", "derive.")):
            continue
        found.setdefault(cls.__name__, set()).add(cls)
    classes = {}
    for name, candidates in found.items():
        top = getattr(sp, name, None)
        if top in candidates:
            classes[name] = top
        elif len(candidates) == 1:
            classes[name] = next(iter(candidates))
    return classes
