"""Reading index-notation formulas into a Program, through Python's `ast` and a whitelist.

    xp = pad(x, pad); out[n,f,i,j] = sum(w[f,c,p,q]*xp[n,c,s*i+p,s*j+q], c, p, q) + b[f]

Statements are separated by `;` or newlines. A reduction `sum|mean|max|min(expr, i, j < K)`
names its loop indices last (`j < K` declares a range no tensor gives); a reduction inside a
larger expression becomes a named intermediate statement of its own, and `softmax(expr, j)`
becomes the three statements of a stable softmax (max, exp, sum). User text never reaches
`eval` or `sympify`.
"""

from __future__ import annotations

import ast

import sympy as sp

from derive.errors import DeriveError
from derive.index.expressions import MAX_RANK, ExpressionReader
from derive.index.program import Program, Statement, reads_of
from derive.primitives import FUNCTIONS as SCALAR_FUNCTIONS
from derive.read.formula import MAX_DEPTH, MAX_LENGTH, _bracket_depth

ELEMENTWISE = {n: f for n, f in SCALAR_FUNCTIONS.items() if n not in ("sum", "mean", "where")}
MAX_STATEMENTS = 40
_COMPARE = {ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Lt: sp.Lt, ast.LtE: sp.Le}


def read_program(text: str, shapes: dict, constants: dict, where: str = "formula") -> Program:
    """Parse an index formula. `shapes`: tensor name → dims (int or name); `constants`: name →
    integer value or None (not differentiated; given at run time)."""
    if not isinstance(text, str) or not text.strip():
        raise DeriveError(f"{where}: empty formula")
    if len(text) > MAX_LENGTH or _bracket_depth(text) > MAX_DEPTH:
        raise DeriveError(f"{where}: formula too large or nested too deeply")
    try:
        module = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        raise DeriveError(f"{where}: syntax error at line {exc.lineno}, column "
                          f"{exc.offset or 1}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise DeriveError(f"{where}: formula too complex to parse") from None
    if not 1 <= len(module.body) <= MAX_STATEMENTS:
        raise DeriveError(f"{where}: give 1 to {MAX_STATEMENTS} statements")
    return _Reader(text.strip(), shapes, constants, where).read(module.body)


def _initial_axis(target) -> int | None:
    """The axis written -1 on a left-hand side (an initial state), or None."""
    if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Tuple)):
        return None
    axes = [k for k, item in enumerate(target.slice.elts) if isinstance(item, ast.UnaryOp)
            and isinstance(item.op, ast.USub) and isinstance(item.operand, ast.Constant)
            and item.operand.value == 1 and type(item.operand.value) is int]
    return axes[0] if len(axes) == 1 else None


class _Reader(ExpressionReader):
    # ------------------------------------------------------------------ statements
    def read(self, body) -> Program:
        for node in body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                self.fail(node, "each statement must be one assignment such as "
                          "out[i,j] = sum(x[i,k]*w[k,j], k)")
            self.statement(node.targets[0], node.value)
        unused = [n for n in self.declared if n not in self.integer_names
                  and n not in self.scalar_names and n not in self.inputs]
        if unused:
            raise DeriveError(f"--const {unused[0]}: '{unused[0]}' does not occur in the formula")
        differentiated = [n for n in self.inputs if n not in self.declared]
        if not differentiated:
            raise DeriveError(f"{self.where}: nothing to differentiate (every tensor is a constant)")
        constants = [n for n in self.declared if n in self.inputs or n in self.scalar_names
                     or n in self.integer_names]
        return Program(
            text=self.text, statements=self.statements,
            shapes={n: self.shapes[n] for n in self.inputs}, inputs=differentiated,
            constants=constants + [n for n in self.integer_names if n not in constants],
            integer_constants=dict(self.integer_names), scalar_constants=self.scalar_names,
            sizes=list(self.dims.values()))

    def statement(self, target, value):
        if _initial_axis(target) is not None:
            return self.initial_statement(target, value)
        name, indices, merged = self.target(target)
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "pad":
            if indices:
                self.fail(target, "write a pad without indices: xp = pad(x, p)")
            return self.pad_statement(name, value)
        self.scope = list(indices)
        self.current = name
        if self.is_reduction(value):
            kind, rvars, bounds, inner = self.reduction_parts(value)
            body = self.nested(inner, rvars)
            self.add(Statement(name, indices, kind, body, rvars, bounds, merged=merged))
        else:
            self.add(Statement(name, indices, "map", self.expr(value), merged=merged))

    def initial_statement(self, target, value):
        """`h[n,-1,k] = h0[n,k]`: the state h of a recurrence over the axis written -1, before
        its first step; the statement defining h at t may then read h[n,t-1,j]."""
        axis = _initial_axis(target)
        name = self.new_tensor_name(target.value)
        items = [i for k, i in enumerate(target.slice.elts) if k != axis]
        if not all(isinstance(i, ast.Name) for i in items):
            self.fail(target, f"an initial state is written with index names and one -1, such "
                      f"as {name}[n,-1,k] = h0[n,k]")
        indices = tuple(self.new_index(i) for i in items)
        if len(set(indices)) != len(indices):
            self.fail(target, f"an index repeats on the left-hand side of {name}[...]")
        self.scope, self.current = list(indices), name
        body = self.expr(value)
        if any(s.initial is not None and s.initial != axis for s in self.statements):
            self.fail(target, "every state of a recurrence has its time axis (the -1) in the "
                      "same place")
        self.add(Statement(name, indices, "map", body, initial=axis))

    def target(self, node):
        """(name, indices, merged axes): an axis `c*H*W + h*W + w` merges c, h, w row-major."""
        if isinstance(node, ast.Name):
            return self.new_tensor_name(node), (), ()
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            self.fail(node, "the left-hand side must be a tensor with indices, such as out[n,i]")
        state = [s for s in self.statements if s.target == node.value.id]
        name = node.value.id if [s.initial is not None for s in state] == [True] else \
            self.new_tensor_name(node.value)  # a state's step, after its initial clause
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(items) > MAX_RANK:
            self.fail(node, f"{name} has more than {MAX_RANK} indices")
        indices = []
        for item in items:
            names = [n for n in ast.walk(item) if isinstance(n, ast.Name)]
            for leaf in sorted(names, key=lambda n: n.col_offset):
                if isinstance(leaf, ast.Name) and leaf.id not in self.dims and \
                        leaf.id not in self.declared:
                    indices.append(self.new_index(leaf))
        if len(set(indices)) != len(indices):
            self.fail(node, f"an index repeats on the left-hand side of {name}[...]")
        if all(isinstance(i, ast.Name) for i in items):
            return name, tuple(indices), ()
        self.scope = list(indices)
        axes = tuple(self.index_expr(i, name) for i in items)
        return name, tuple(indices), axes

    def pad_statement(self, name, call):
        if len(call.args) < 2 or not isinstance(call.args[0], ast.Name) or call.keywords:
            self.fail(call, "pad takes a tensor, a width and optionally axes: pad(x, p)")
        source = call.args[0].id
        rank = len(self.tensor_shape(source, call))
        self.scope = []
        width = self.integer_expr(call.args[1])
        axes = tuple(self.int_literal(a) for a in call.args[2:])
        if not axes:
            if rank < 3:
                self.fail(call, f"pad({source}, ...) pads the axes after batch and channel by "
                          f"default; {source} has {rank}: name the axes, pad({source}, p, 0)")
            axes = tuple(range(2, rank))
        if any(not 0 <= a < rank for a in axes) or len(set(axes)) != len(axes):
            self.fail(call, f"pad({source}, ...): axes must be distinct, from 0 to {rank - 1}")
        indices = tuple(sp.Symbol(f"a{k}", integer=True, nonnegative=True) for k in range(rank))
        read = sp.Indexed(sp.IndexedBase(source), *indices)
        self.add(Statement(name, indices, "pad", read, pad=width, pad_axes=axes))

    def add(self, statement):
        self.statements.append(statement)

    # ------------------------------------------------------------------ reductions
    def is_reduction(self, node) -> bool:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            return False
        name = node.func.id
        if name in ("sum", "mean"):
            return True
        if name in ("max", "min") and len(node.args) >= 2:
            return all(self.is_index_spec(a) for a in node.args[1:])
        return False

    def is_index_spec(self, node) -> bool:
        if isinstance(node, ast.Compare):
            return isinstance(node.left, ast.Name)
        return isinstance(node, ast.Name) and node.id not in self.dims and \
            node.id not in self.declared and node.id not in self.known_tensors()

    def reduction_parts(self, call):
        kind = call.func.id
        if len(call.args) < 2 or call.keywords:
            self.fail(call, f"{kind}(...) names the indices it runs over last, such as "
                      f"{kind}(x[i,k], k)")
        rvars, bounds = [], {}
        for spec in call.args[1:]:
            if not self.is_index_spec(spec):
                self.fail(spec, f"{kind}(...): '{ast.unparse(spec)}' is not an index name")
            if isinstance(spec, ast.Compare):
                if len(spec.ops) != 1 or not isinstance(spec.ops[0], ast.Lt):
                    self.fail(spec, "an index range is written j < K")
                index = self.new_index(spec.left)
                bounds[index] = self.integer_expr(spec.comparators[0])
            else:
                index = self.new_index(spec)
            if index in rvars or index in self.scope:
                self.fail(spec, f"index '{index}' is already in use here")
            rvars.append(index)
        return kind, tuple(rvars), bounds, call.args[0]

    def nested(self, node, rvars):
        saved = self.scope
        self.scope = [*saved, *rvars]
        try:
            return self.expr(node)
        finally:
            self.scope = saved

    def lifted(self, call):
        """A reduction inside an expression: its own statement, read back at its indices."""
        kind, rvars, bounds, inner = self.reduction_parts(call)
        body = self.nested(inner, rvars)
        free = self.free_indices(body, exclude=rvars)
        name = self.fresh_name(f"{self.current}_{kind}")
        self.add(Statement(name, free, kind, body, rvars, bounds))
        return sp.Indexed(sp.IndexedBase(name), *free) if free else self.scalar_read(name)

    def softmax(self, call, log=False):
        """softmax(E, j) as three statements (max, shifted exp, sum); log(softmax(E, j)) as
        the stable E - max - log(sum), which never takes the log of an underflowed exp."""
        if len(call.args) != 2 or not isinstance(call.args[1], ast.Name) or call.keywords:
            self.fail(call, "softmax takes an expression and the index it normalises over: "
                      "softmax(S[n,i,j], j)")
        body = self.expr(call.args[0])
        index = self.symbols_in_scope().get(call.args[1].id)
        free = self.free_indices(body)
        if index is None or index not in free:
            self.fail(call, f"softmax(..., {call.args[1].id}): the index must occur in the "
                      "expression")
        rest = tuple(i for i in free if i != index)
        peak = self.fresh_name(f"{self.current}_max")
        self.add(Statement(peak, rest, "max", body, (index,)))
        shifted = self.fresh_name(f"{self.current}_exp")
        self.add(Statement(shifted, free, "map",
                           sp.exp(body - self.read_at(peak, rest))))
        total = self.fresh_name(f"{self.current}_sum")
        self.add(Statement(total, rest, "sum", self.read_at(shifted, free), (index,)))
        if log:
            return body - self.read_at(peak, rest) - sp.log(self.read_at(total, rest))
        return self.read_at(shifted, free) / self.read_at(total, rest)

    def read_at(self, name, indices):
        return sp.Indexed(sp.IndexedBase(name), *indices) if indices else self.scalar_read(name)

    def scalar_read(self, name):
        self.fail(None, f"the reduction defining {name} has no free index; reduce inside the "
                  "final statement instead")

    def free_indices(self, body, exclude=()) -> tuple:
        used = set().union(*(r.free_symbols for r in reads_of(body))) if reads_of(body) else set()
        return tuple(i for i in self.scope if i in used and i not in exclude)

    def call(self, node):
        name = node.func.id
        if self.is_reduction(node):
            return self.lifted(node)
        if name == "softmax":
            return self.softmax(node)
        if name == "log" and len(node.args) == 1 and isinstance(node.args[0], ast.Call) and \
                getattr(node.args[0].func, "id", None) == "softmax" and not node.keywords:
            return self.softmax(node.args[0], log=True)
        if name == "where":
            if len(node.args) != 3 or not isinstance(node.args[0], ast.Compare) or \
                    len(node.args[0].ops) != 1 or type(node.args[0].ops[0]) not in _COMPARE:
                self.fail(node, "where takes a comparison and two values: where(a > 0, a, 0)")
            test = node.args[0]
            condition = _COMPARE[type(test.ops[0])](self.expr(test.left),
                                                     self.expr(test.comparators[0]))
            return sp.Piecewise((self.expr(node.args[1]), condition),
                                (self.expr(node.args[2]), True))
        if name not in ELEMENTWISE or node.keywords:
            self.fail(node, f"unknown function '{name}' in an index formula")
        arity, builder = ELEMENTWISE[name]
        if len(node.args) != arity:
            self.fail(node, f"'{name}' takes {arity} argument(s), got {len(node.args)}")
        return builder(*(self.expr(a) for a in node.args))
