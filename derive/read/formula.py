"""Safe formula parser: formula text -> SymPy expression.

The text is parsed by Python's `ast` and walked with an explicit whitelist of node types,
names and functions; SymPy objects are built directly. User text never reaches `eval`,
`sympify` or `parse_expr`. Limits on length, nesting and exponent size refuse hostile input
(`9**9**9**9`, thousands of nested parentheses) quickly.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass, field

import sympy as sp

from derive.budget import Meter
from derive.errors import DeriveError
from derive.primitives import FUNCTIONS
from derive.read.matrix_ops import binary, call
from derive.vocab.functions import CONSTANTS, MATRIX_ONLY_FUNCTIONS, RESERVED_NAMES, negated
from derive.vocab.shapes import dimension_symbols, is_matrix, matrix_symbol

MAX_LENGTH = 10000
MAX_DEPTH = 60
MAX_EXPONENT = 64
MAX_INT_DIGITS = 30
# a letter (any script: x, W, 大米), then letters, digits and _: what Python reads as a name
NAME_PATTERN = re.compile(r"[^\W\d_]\w{0,31}\Z")


@dataclass
class Formula:
    """A parsed formula: its SymPy expression and the names it uses, in order of appearance."""

    text: str
    expr: sp.Expr
    names: list[str]
    shapes: dict[str, tuple] = field(default_factory=dict)
    # named intermediates `mu = mean(x, axis=0); ...`: name -> its expression in the inputs
    definitions: dict[str, sp.Basic] = field(default_factory=dict)
    # the same as typed, in the earlier names (mu, var as symbols), and the output so too
    named: dict[str, sp.Basic] = field(default_factory=dict)
    named_output: sp.Basic | None = None

    def symbol(self, name: str):
        return symbol_for(name, self.shapes)


def symbol_for(name: str, shapes: dict | None = None):
    """The SymPy object a variable name stands for: a real Symbol, or a MatrixSymbol if shaped."""
    if shapes and name in shapes:
        return matrix_symbol(name, shapes[name])
    return sp.Symbol(name, real=True)


def parse_formula(text: str, shapes: dict | None = None, where: str = "formula") -> Formula:
    """Parse formula text (SymPy/NumPy syntax) into a Formula; DeriveError on any bad input."""
    if not isinstance(text, str) or not text.strip():
        raise DeriveError(f"{where}: empty formula")
    if len(text) > MAX_LENGTH:
        raise DeriveError(f"{where}: formula too large ({len(text)} characters, limit {MAX_LENGTH})")
    depth = _bracket_depth(text)
    if depth > MAX_DEPTH:
        raise DeriveError(f"{where}: formula nested too deeply ({depth} levels, limit {MAX_DEPTH})")
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        col = (exc.offset or 1)
        raise DeriveError(f"{where}: syntax error at column {col}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise DeriveError(f"{where}: formula too complex to parse") from None
    builder = _Builder(text, shapes or {}, where)
    try:
        expr = _build_statements(builder, tree.body)
        builder.meter.check(expr, where)
    except RecursionError:
        raise DeriveError(f"{where}: formula nested too deeply") from None
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise DeriveError(f"{where}: formula is undefined (division by zero or an infinite constant)")
    if expr.has(sp.I):
        raise DeriveError(f"{where}: formula is not real (it evaluates to {expr}); use "
                          "constants inside each function's domain, such as acosh(2)")
    return Formula(text=text.strip(), expr=expr, names=builder.names, shapes=dict(shapes or {}),
                   definitions=dict(builder.definitions), named=dict(builder.named),
                   named_output=builder.named_output if builder.definitions else None)


def _build_statements(builder, statements) -> sp.Basic:
    """One expression, or named intermediates `name = expr` separated by `;` or new lines whose
    last one is the output (`...; out = gamma*xhat + beta`, or a bare last expression)."""
    for index, statement in enumerate(statements):
        last = index == len(statements) - 1
        if isinstance(statement, ast.Expr) and last:
            return builder.build_both(statement.value)
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            builder.fail(statement, "a formula is one expression, or definitions 'name = "
                         "expression' separated by ';' whose last one is the output")
        target = statement.targets[0].id
        value = builder.build_both(statement.value)
        if last:
            return value
        builder.define(statement.targets[0], target, value)
    builder.fail(None, "empty formula")


def _bracket_depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_COMPARE = {ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Lt: sp.Lt, ast.LtE: sp.Le}


class _Builder:
    def __init__(self, text: str, shapes: dict, where: str):
        self.text = text
        self.shapes = shapes
        self.where = where
        self.names: list[str] = []
        self.meter = Meter()
        # a declared dimension's name (N in x=N,C) is that size, as derive prints it (sum/N)
        self.dimensions = {d.name: d for d in dimension_symbols(shapes)}
        self.definitions: dict[str, sp.Basic] = {}
        self.named: dict[str, sp.Basic] = {}
        self.named_output = None
        self.as_symbols = False

    def define(self, node, name: str, value):
        """Bind a named intermediate; later statements read `name` as `value`."""
        self._check_name(node, name)
        if name in self.definitions or name in self.names:
            what = "defined" if name in self.definitions else "an input"
            self.fail(node, f"'{name}' is already {what}; each name is defined once, before it "
                      "is used")
        self.definitions[name] = value
        self.named[name] = self.named_output

    def build_both(self, node):
        """The expression with the named intermediates written out, and (in named_output)
        with them as symbols of their shapes."""
        self.as_symbols = True
        self.named_output = self.build(node, 0)
        self.as_symbols = False
        return self.build(node, 0)

    def _check_name(self, node, name):
        if name in FUNCTIONS or name in MATRIX_ONLY_FUNCTIONS:
            self.fail(node, f"'{name}' is a function; choose another name")
        if name.startswith("_") or not NAME_PATTERN.match(name) or keyword.iskeyword(name):
            self.fail(node, f"name '{name}' is not allowed (use letters, digits and _; no leading _)")
        if name in RESERVED_NAMES:
            self.fail(node, f"name '{name}' is reserved (a constant, or a name the generated "
                      "code uses); choose another variable name")

    def fail(self, node, message):
        col = getattr(node, "col_offset", None)
        at = f" at column {col + 1}" if col is not None else ""
        raise DeriveError(f"{self.where}: {message}{at}")

    def build(self, node, depth):
        if depth > 4 * MAX_DEPTH:
            self.fail(node, "formula nested too deeply")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(node, f"'{ast.unparse(node)}' is not allowed in a formula")
        return method(node, depth + 1)

    def _Constant(self, node, depth):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, f"constant {value!r} is not a number")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_INT_DIGITS:
                self.fail(node, f"number too large ({len(str(value))} digits)")
            return sp.Integer(value)
        if value != value or value in (float("inf"), float("-inf")):
            self.fail(node, "number out of range")
        return sp.Float(value)

    def _Name(self, node, depth):
        name = node.id
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.definitions:
            value = self.definitions[name]
            if not self.as_symbols:
                return value
            return sp.MatrixSymbol(name, *value.shape) if is_matrix(value) else sp.Symbol(
                name, real=True)
        if name in FUNCTIONS or name in MATRIX_ONLY_FUNCTIONS:
            self.fail(node, f"function '{name}' used without arguments")
        self._check_name(node, name)
        if name in self.dimensions and name not in self.shapes:
            return self.dimensions[name]
        if name not in self.names:
            self.names.append(name)
        return symbol_for(name, self.shapes)

    def _UnaryOp(self, node, depth):
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return negated(operand)  # -(a + b) stays one ×(−1) node, as typed
        if isinstance(node.op, ast.UAdd):
            return operand
        self.fail(node, f"operator '{ast.unparse(node)}' is not allowed")

    def _BinOp(self, node, depth):
        """A chain of binary operations (`a + b - c*d + ...`, left-associated in the tree) is
        built in a loop, so a long flat sum is not deep nesting; terms are added at once."""
        chain = []
        while isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            chain.append(node)
            node = node.left
        if isinstance(node, ast.BinOp):
            value = self._binary(node, self.build(node.left, depth), self.build(node.right, depth))
        else:
            value = self.build(node, depth)
        terms = []
        for link in reversed(chain):
            right = self.build(link.right, depth)
            if isinstance(link.op, (ast.Add, ast.Sub)) and not (is_matrix(value)
                                                                or is_matrix(right)):
                terms.append(-right if isinstance(link.op, ast.Sub) else right)
                continue
            if terms:
                value, terms = sp.Add(value, *terms), []
            value = self._binary(link, value, right)
        if terms:
            value = sp.Add(value, *terms)
        self.meter.check(value, self.where)
        return value

    def _binary(self, node, left, right):
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.fail(node, f"operator in '{ast.unparse(node)}' is not allowed (use + - * / ** @)")
        if op == "**":
            self._check_power(node, left, right)
        if is_matrix(left) or is_matrix(right):
            return binary(op, left, right, lambda msg: self.fail(node, msg))
        if op == "@":
            self.fail(node, "'@' needs matrices: declare their shapes with --shape NAME=D1,D2")
        value = _SCALAR_BINARY[op](left, right)
        self.meter.check(value, self.where)
        return value

    def _check_power(self, node, base, exponent):
        if exponent.is_number:
            if not exponent.is_real or abs(float(exponent)) > MAX_EXPONENT:
                self.fail(node, f"exponent {exponent} too large (limit {MAX_EXPONENT})")
        if base.is_number and not exponent.is_number:
            return
        if base.is_number and exponent.is_number and abs(complex(base)) > 10**6:  # acos(2): complex
            self.fail(node, "power of a large number is too large")

    def _Compare(self, node, depth):
        self.fail(node, "a comparison (> >= < <=) is only allowed as the first argument of "
                  "where(...), such as where(x > 0, x, 0)")

    def _comparison(self, node, depth):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            self.fail(node, "only one comparison (> >= < <=) is allowed, inside where(...)")
        left = self.build(node.left, depth)
        right = self.build(node.comparators[0], depth)
        if is_matrix(left) or is_matrix(right):
            self.fail(node, "comparisons of matrices are not supported")
        return _COMPARE[type(node.ops[0])](left, right)

    def _Attribute(self, node, depth):
        if node.attr != "T":
            self.fail(node, f"attribute '.{node.attr}' is not allowed (only .T, the transpose)")
        value = self.build(node.value, depth)
        if not is_matrix(value):
            self.fail(node, "'.T' needs a matrix: declare its shape with --shape NAME=D1,D2")
        return value.T

    def _Call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            self.fail(node, f"'{ast.unparse(node.func)}' is not a function a formula may call")
        name = node.func.id
        if name not in FUNCTIONS and name not in MATRIX_ONLY_FUNCTIONS:
            self.fail(node, f"unknown function '{name}'")
        if any(isinstance(a, ast.Starred) for a in node.args):
            self.fail(node, "starred arguments are not allowed")
        args = [self._comparison(a, depth + 1) if name == "where" and i == 0
                and isinstance(a, ast.Compare) else self.build(a, depth)
                for i, a in enumerate(node.args)]
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None or not isinstance(kw.value, ast.Constant):
                self.fail(node, f"keyword arguments of '{name}' must be constants such as axis=0")
            kwargs[kw.arg] = kw.value.value
        if name in MATRIX_ONLY_FUNCTIONS or kwargs or any(is_matrix(a) for a in args):
            return call(name, args, kwargs, lambda msg: self.fail(node, msg))
        arity, builder = FUNCTIONS[name]
        if len(args) != arity:
            self.fail(node, f"'{name}' takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}")
        if name != "where" and any(isinstance(a, sp.core.relational.Relational) for a in args):
            self.fail(node, f"a comparison can only be the first argument of where(), not of '{name}'")
        if name == "where" and not isinstance(args[0], (sp.core.relational.Relational,
                                                         sp.logic.boolalg.BooleanAtom)):
            self.fail(node, "the first argument of where() must be a comparison such as x > 0")
        value = builder(*args)
        if isinstance(value, sp.Expr) and value.is_number and value.is_extended_real is False:
            self.fail(node, f"{name}(...) of these numbers is not a real number")
        self.meter.check(value, self.where)
        return value


_SCALAR_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
