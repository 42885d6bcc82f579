"""Reading the expressions of an index formula: values, tensor reads and affine indices.

The names a formula may use are sorted here: loop indices (in scope), dimensions of declared
shapes, integer constants (in indices, pad widths and ranges), scalar constants, and tensors
(read with indices). Every node is whitelisted; user text never reaches `eval` or `sympify`.
"""

from __future__ import annotations

import ast
import keyword
import re

import sympy as sp

from derive.errors import DeriveError
from derive.index.program import Statement, affine_parts
from derive.primitives import FUNCTIONS as SCALAR_FUNCTIONS
from derive.read.formula import NAME_PATTERN

MAX_RANK = 8
MULTIPLE = re.compile(r"([1-9][0-9]?)\*([A-Za-z]\w*)\Z|([A-Za-z]\w*)\*([1-9][0-9]?)\Z")
_ARITH = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul,
          ast.Div: lambda a, b: a / b}


class ExpressionReader:
    """Names, values and affine indices; `call` (functions, reductions) is the subclass's."""

    def __init__(self, text, shapes, constants, where):
        self.text, self.where = text, where
        self.dims = {}
        self.shapes = {name: tuple(self._dim(d) for d in dims) for name, dims in shapes.items()}
        self.declared = dict(constants)
        self.integer_names, self.scalar_names = {}, []
        self.statements: list[Statement] = []
        self.inputs: list[str] = []

    # ------------------------------------------------------------------ expressions
    def expr(self, node):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.expr(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return _ARITH[type(node.op)](self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = self.expr(node.right)
            if not exponent.is_number or abs(float(exponent)) > 64:
                self.fail(node, "an exponent must be a number of at most 64")
            return self.expr(node.left) ** exponent
        if isinstance(node, ast.Subscript):
            return self.tensor_read(node)
        if isinstance(node, ast.Name):
            return self.value_name(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        self.fail(node, f"'{ast.unparse(node)}' is not allowed in an index formula")

    def tensor_read(self, node):
        if not isinstance(node.value, ast.Name):
            self.fail(node, f"'{ast.unparse(node.value)}' cannot be indexed")
        name = node.value.id
        shape = self.tensor_shape(name, node)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(items) != len(shape):
            self.fail(node, f"{name} has {len(shape)} axes but is read with {len(items)} indices")
        return sp.Indexed(sp.IndexedBase(name), *(self.index_expr(i, name) for i in items))

    def tensor_shape(self, name, node) -> tuple:
        statement = next((s for s in self.statements if s.target == name), None)
        if statement is not None and statement.initial is not None:  # a state: one more axis
            return (*statement.indices, statement.initial)
        if statement is not None:
            return statement.merged or statement.indices
        if name not in self.shapes:
            self.fail(node, f"tensor '{name}' has no shape: give it with --shape "
                      f"{name}=D1,D2,... or define it in an earlier statement")
        if name == getattr(self, "current", None):
            self.fail(node, f"'{name}' is read in its own definition")
        if name not in self.inputs:
            self.inputs.append(name)
        return self.shapes[name]

    def index_expr(self, node, tensor):
        value = self._index(node, tensor)
        coefficients, _ = affine_parts(value, self.scope)
        if any(c.free_symbols & set(self.scope) for c in coefficients.values()):
            self.fail(node, f"index '{ast.unparse(node)}' of {tensor} is not affine in the loop "
                      "indices")
        return value

    def _index(self, node, tensor):
        if isinstance(node, ast.Name):
            index = self.symbols_in_scope().get(node.id)
            if index is not None:
                return index
            if node.id in self.declared or node.id in self.dims:
                return self.integer_name(node)
            self.fail(node, f"'{node.id}' in {tensor}[...] is neither an index of the left-hand "
                      "side nor of an enclosing sum/max/mean; declare a constant with "
                      f"--const {node.id}=VALUE")
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return sp.Integer(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self._index(node.operand, tensor)
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Add, ast.Sub, ast.Mult):
            return _ARITH[type(node.op)](self._index(node.left, tensor),
                                         self._index(node.right, tensor))
        self.fail(node, f"index '{ast.unparse(node)}' of {tensor} must be affine: names, "
                  "integers, + - and * by a constant")

    def integer_expr(self, node):
        """A constant integer expression (a pad width, a range): numbers and constants."""
        value = self._index(node, "a size")
        if value.free_symbols & set(self.scope):
            self.fail(node, "a width or range cannot depend on a loop index")
        return value

    def int_literal(self, node):
        if not (isinstance(node, ast.Constant) and type(node.value) is int):
            self.fail(node, "axes are written as integers")
        return node.value

    def integer_name(self, node):
        name = node.id
        if name in self.dims:
            return self.dims[name]
        if name in self.scalar_names or name in self.shapes:
            self.fail(node, f"'{name}' is used both as an integer constant and as a value")
        self.integer_names.setdefault(name, self.declared[name])
        return sp.Symbol(name, integer=True, nonnegative=True)

    def value_name(self, node):
        name = node.id
        if name == "pi":
            return sp.pi
        if name in self.dims:
            return self.dims[name]
        if name in self.integer_names:
            return sp.Symbol(name, integer=True, nonnegative=True)
        if name in self.declared and name not in self.shapes:
            if name not in self.scalar_names:
                self.scalar_names.append(name)
            return sp.Symbol(name, real=True)
        if name in self.symbols_in_scope():
            self.fail(node, f"the loop index '{name}' can only be used inside [...]")
        self.fail(node, f"unknown name '{name}' (a tensor is read with indices, a constant is "
                  "declared with --const)")

    # ------------------------------------------------------------------ names
    def symbols_in_scope(self) -> dict:
        return {s.name: s for s in self.scope}

    def known_tensors(self):
        return {*self.shapes, *(s.target for s in self.statements)}

    def new_index(self, node):
        name = node.id
        self.check_name(node, name)
        if name in self.known_tensors() or name in self.declared or name in self.dims:
            self.fail(node, f"'{name}' is a tensor, size or constant; use another index name")
        return sp.Symbol(name, integer=True, nonnegative=True)

    def new_tensor_name(self, node):
        name = node.id
        self.check_name(node, name)
        if name in self.known_tensors() or name in self.declared or name in self.dims:
            self.fail(node, f"'{name}' is already defined; each tensor is assigned once")
        return name

    def fresh_name(self, base):
        name, k = base, 2
        while name in self.known_tensors():
            name, k = f"{base}{k}", k + 1
        return name

    def check_name(self, node, name):
        if name.startswith("_") or not NAME_PATTERN.match(name) or keyword.iskeyword(name) or \
                name in ("dout", "np", "numpy", "pad", "pi") or name in SCALAR_FUNCTIONS:
            self.fail(node, f"name '{name}' is not allowed here")

    def _dim(self, value):
        if isinstance(value, int):
            return sp.Integer(value)
        multiple = MULTIPLE.match(str(value).replace(" ", ""))
        if multiple:  # Wx of shape (D, 4*H): a whole multiple of a size
            count = multiple.group(1) or multiple.group(4)
            return int(count) * self._dim(multiple.group(2) or multiple.group(3))
        if value not in self.dims:
            self.dims[value] = sp.Symbol(value, integer=True, positive=True)
        return self.dims[value]

    def fail(self, node, message):
        line = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        at = f" (line {line}, column {col + 1})" if line is not None and col is not None else ""
        raise DeriveError(f"{self.where}: {message}{at}")
