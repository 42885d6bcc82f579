"""latex2sympy2's parse tree -> the SymPy expression derive's formula parser would build.

A whitelist walk: each grammar rule derive reads has a method; anything else is refused.
Scalars are combined exactly as derive.read.formula does (+ - * / **, derive.vocab.functions' builders);
matrices go through the same hooks (read.matrix_ops.binary / call), so a LaTeX formula and the
same formula in SymPy syntax give the same expression.
"""

from __future__ import annotations

import re

import sympy as sp

from derive.read.formula import NAME_PATTERN, symbol_for
from derive.read.latex.combine import binary, call, is_matrix, power
from derive.read.latex.grammar import children, rule, token
from derive.read.latex.normalize import FunctionSlot, IndexSlot, NameSlot
from derive.read.latex.tokens import fail
from derive.read.latex.vocabulary import GRAMMAR_FUNCTIONS
from derive.vocab.functions import CONSTANTS, RESERVED_NAMES

MAX_DEPTH = 300
_PRODUCTS = {"MUL": "*", "CMD_TIMES": "product", "CMD_CDOT": "product", "CMD_MOD": "odot",
             "DIV": "/", "CMD_DIV": "/"}
_SLOT = re.compile(r"\\variable\{(v\d+)\}\Z")


def _raised(exp) -> bool:
    """Whether an exp node already carries a superscript (x^2, or e^{x} as the grammar has it)."""
    kids = children(exp)
    if len(kids) > 1:
        return True
    func = children(kids[0])[0]
    return rule(func) == "func" and token(children(func)[0]) == "EXP_E" and \
        len(children(func)) > 1


class Converter:
    def __init__(self, slots: dict, shapes: dict, log_base, locate=lambda column: column):
        self.locate = locate  # column in the normalized text -> offset in the user's text
        self.slots = slots
        self.shapes = shapes
        self.log_base = log_base
        self.names: list[str] = []
        self.scope: list[str] = []  # indices of the enclosing sums
        self.summed: set[str] = set()  # names summed over an index (x in \sum_k x_k)
        self.entries: dict[str, str] = {}  # name read with a subscript -> its base
        self.depth = 0

    def convert(self, math):
        value = self.visit(math)
        for full, base in self.entries.items():
            if base in self.summed:
                fail(f"'{full}' is an entry of {base}, which is summed over an index elsewhere: "
                     "derive reads formulas elementwise; write it without the entry (such as "
                     r"\operatorname{softmax}(x) with --shape x=n,1)")
        return value

    def at(self, node) -> str:
        """Where a parse-tree node starts, in the user's text."""
        start = node.symbol if hasattr(node, "symbol") else node.start
        return f"at column {self.locate(start.column) + 1}"

    def visit(self, node, apply=None):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            fail("formula nested too deeply")
        try:
            method = getattr(self, "rule_" + (rule(node) or ""), None)
            if method is None:
                fail(f"the construct {self.at(node)} is not read in a formula")
            return method(node, apply) if apply is not None else method(node)
        finally:
            self.depth -= 1

    # rules that only pass their one child on ---------------------------------------------
    def only_child(self, node, apply=None):
        kids = children(node)
        if len(kids) != 1:
            fail(f"the construct {self.at(node)} is not read in a formula")
        return self.visit(kids[0], apply) if apply is not None else self.visit(kids[0])

    rule_math = rule_relation = rule_expr = rule_func_single_arg = only_child
    rule_func_single_arg_noparens = only_child

    def left_chain(self, node):
        """a op b op c as the grammar nests it, ((a op b) op c), without recursing per term."""
        operations = []
        while len(children(node)) == 3:
            left, op, right = children(node)
            operations.append((op, right))
            node = left
        return self.visit(children(node)[0]), reversed(operations)

    def rule_additive(self, node):
        value, operations = self.left_chain(node)
        for op, right in operations:
            value = binary("+" if token(op) == "ADD" else "-", value, self.visit(right))
        return value

    def rule_mp(self, node):
        value, operations = self.left_chain(node)
        for op, right in operations:
            value = self.product(value, op, self.visit(right))
        return value

    rule_mp_nofunc = rule_mp

    def product(self, left, op, right):
        kind = _PRODUCTS.get(token(op))
        if kind is None:
            fail(f"the operator {self.at(op)} is not read")
        if kind == "*" and is_matrix(left) and is_matrix(right):
            fail("'*' between matrices is ambiguous: write \\odot for the elementwise product, "
                 "or juxtaposition (W X) or \\cdot for the matrix product")
        if kind == "product":
            return self.juxtapose(left, right)
        return binary("*" if kind in ("*", "odot") else "/", left, right)

    def rule_unary(self, node):
        kids = children(node)
        if token(kids[0]) in ("ADD", "SUB"):
            operand = self.visit(kids[1])
            if token(kids[0]) == "ADD":
                return operand
            return -operand
        value, i = None, 0
        while i < len(kids):
            function = self.function_slot(kids[i])
            if function is not None:
                if i + 1 == len(kids):
                    fail(f"'{function.source}' needs its argument in parentheses, such as "
                         f"{function.source}(x)")
                item = self.visit(kids[i + 1], function)
                i += 2
            else:
                item = self.visit(kids[i])
                i += 1
            value = item if value is None else self.juxtapose(value, item)
        return value

    rule_unary_nofunc = rule_unary

    def function_slot(self, postfix):
        """The FunctionSlot a juxtaposed item is (a function word alone), else None."""
        match = _SLOT.match(postfix.getText())
        slot = self.slots.get(match.group(1)) if match else None
        return slot if isinstance(slot, FunctionSlot) else None

    def rule_postfix(self, node, apply=None):
        kids = children(node)
        value = self.visit(kids[0], apply) if apply is not None else self.visit(kids[0])
        for op in kids[1:]:
            inner = children(op)[0]
            if rule(inner) != "transpose":
                fail(f"the mark {self.at(op)} after a value is not read (factorials and "
                     "evaluation bars are not supported)")
            if not is_matrix(value):
                fail(f"'^T' (transpose) of {value} needs a matrix: declare its shape with "
                     "--shape NAME=D1,D2 (a scalar has no transpose)")
            value = value.T
        return value

    rule_postfix_nofunc = rule_postfix

    def rule_exp(self, node, apply=None):
        kids = children(node)
        if len(kids) == 1:
            return self.visit(kids[0], apply) if apply is not None else self.visit(kids[0])
        if rule(kids[-1]) == "subexpr":
            fail(f"a subscript after a power ({self.at(node)}) is not read: write x_k^2")
        if _raised(kids[0]):
            fail("a double superscript (x^2^3, e^{x}^2) is ambiguous: write x^{2^{3}} or "
                 "(x^2)^3")
        base = self.visit(kids[0], apply) if apply is not None else self.visit(kids[0])
        exponent = self.visit(kids[3]) if token(kids[2]) == "L_BRACE" else self.visit(kids[2])
        return power(base, exponent)

    rule_exp_nofunc = rule_exp

    def rule_comp(self, node, apply=None):
        kid = children(node)[0]
        if apply is None:
            return self.visit(kid)
        if rule(kid) != "group" or token(children(kid)[0]) not in ("L_PAREN", "L_LEFT",
                                                                    "L_BRACKET"):
            fail(f"'{apply.source}' needs its argument in parentheses, such as "
                 f"{apply.source}(x)")
        return call(apply.name, [self.rule_group(kid)])

    rule_comp_nofunc = rule_comp

    def rule_group(self, node):
        inner = [k for k in children(node) if rule(k) == "expr"]
        return self.visit(inner[0])

    def rule_abs_group(self, node):
        return call("abs", [self.rule_group(node)])

    def rule_frac(self, node):
        parts = [k for k in children(node) if rule(k) == "expr"]
        if len(parts) != 2:
            fail(f"the fraction {self.at(node)} is not read: write \\frac{{a}}{{b}}")
        return binary("/", self.visit(parts[0]), self.visit(parts[1]))

    def rule_atom(self, node):
        kid = children(node)[0]
        kind = token(kid)
        text = kid.getText()
        if kind == "NUMBER":
            return sp.Integer(int(text)) if text.isdigit() else sp.Float(float(text))
        if kind == "SYMBOL" and text == r"\pi":
            return sp.pi
        if kind == "VARIABLE":
            return self.slot(_SLOT.match(text).group(1))
        fail(f"'{text}' is not read in a formula")

    def rule_supexpr(self, node):
        kids = children(node)
        return self.visit(kids[2]) if token(kids[1]) == "L_BRACE" else self.visit(kids[1])

    rule_subexpr = rule_supexpr

    def slot(self, key: str):
        slot = self.slots[key]
        if isinstance(slot, FunctionSlot):
            fail(f"'{slot.source}' needs its argument in parentheses, such as {slot.source}(x)")
        if not isinstance(slot, NameSlot):
            fail(f"'{slot.source}' is not a value")
        letters = set(slot.sub) if slot.sub and slot.sub.isalpha() else set()
        if letters and letters <= set(self.scope):
            name = slot.base
            self.summed.add(name)
        elif letters & set(self.scope):
            fail(f"'{slot.source}': a partial sum over some of its indices is not supported")
        elif slot.sub is None and slot.base in self.scope:
            fail(f"the summation index '{slot.base}' is used as a value")
        else:
            name = slot.base if slot.sub is None else f"{slot.base}_{slot.sub}"
            if slot.sub is not None:
                self.entries[name] = slot.base
        self.check_name(name, slot.source)
        if name not in self.names:
            self.names.append(name)
        return symbol_for(name, self.shapes)

    @staticmethod
    def check_name(name: str, source: str) -> None:
        if not NAME_PATTERN.match(name):
            fail(f"'{source}' gives the variable name '{name}', which is not allowed (letters, "
                 "digits and _, at most 32 characters)")
        if name in RESERVED_NAMES or name in CONSTANTS:
            fail(f"'{source}': the name '{name}' is reserved (e is Euler's number, write e^{{x}};"
                 r" \pi is pi); choose another variable name")

    # functions ---------------------------------------------------------------------------
    def rule_func(self, node):
        kids = children(node)
        head, kind = kids[0], token(kids[0])
        if rule(head) == "func_normal_single_arg":
            return self.single_argument_function(head.getText(), kids[1:])
        if rule(head) == "func_normal_multi_arg":
            args, rest = [], [k for k in kids if rule(k) == "func_multi_arg"]
            while rest:
                parts = children(rest[0])
                args.append(self.visit(parts[0]))
                rest = [k for k in parts[1:] if rule(k) == "func_multi_arg"]
            return call(GRAMMAR_FUNCTIONS[head.getText()], args)
        if kind == "EXP_E":
            if len(kids) == 1:
                return sp.E
            return call("exp", [self.visit(kids[1])])
        if kind == "FUNC_SQRT":
            parts = [k for k in kids if rule(k) == "expr"]
            radicand = self.visit(parts[-1])
            if len(parts) == 1:
                return call("sqrt", [radicand])
            return power(radicand, binary("/", sp.Integer(1), self.visit(parts[0])))
        if kind == "FUNC_SUM":
            return self.summation(kids)
        fail(f"the construct {self.at(node)} is not read in a formula")

    def single_argument_function(self, command: str, rest: list):
        base = None
        if rest and rule(rest[0]) == "subexpr":
            base = self.visit(rest[0])
            rest = rest[1:]
        argument = [k for k in rest if rule(k) in ("func_single_arg", "func_single_arg_noparens")]
        if len(argument) != 1 or len(rest) not in (1, 3):
            fail(f"'{command}' is not read here: write {command}(x)")
        value = call(GRAMMAR_FUNCTIONS[command], [self.visit(argument[0])])
        if command == r"\log" and base is None and self.log_base is not None:
            base = sp.Integer(self.log_base)
        if base is not None:
            value = binary("/", value, sp.log(base))
        return value

    def summation(self, kids):
        equality = next(k for k in children(kids[1]) if rule(k) == "equality")
        index = self.slots[_SLOT.match(children(equality)[0].getText()).group(1)]
        if not isinstance(index, IndexSlot):
            fail(r"\sum is not read here: write \sum_k x_k")
        if index.index is not None:
            self.scope.append(index.index)
        try:
            body = self.visit(kids[3])
        finally:
            if index.index is not None:
                self.scope.pop()
        return call("sum", [body])

    # combining values --------------------------------------------------------------------
    def juxtapose(self, left, right):
        """Matrices side by side: the matrix product, except inside \\sum_k, whose summand
        is written entry by entry (t_k y_k), so its products are elementwise."""
        if is_matrix(left) and is_matrix(right) and not self.scope:
            return binary("@", left, right)
        return binary("*", left, right)
