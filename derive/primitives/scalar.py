"""Scalar primitives: one registry entry per node type, one row per elementary function.

Their local derivatives come from sympy.diff of each node's own function (registry); what
is declared here is the rule name, the label the tutorial draws, the formula names that
build the node, and printing where SymPy's differs from derive's. Non-differentiable points
follow the common convention (vocab.kinks.at_kinks_zero).
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, hypot, log1p, log2, log10
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.str import StrPrinter

from derive.primitives.registry import Primitive, register
from derive.vocab.functions import ArraySum, CubeRoot, sinc
from derive.vocab.shapes import is_variable


def _number(value) -> str:
    text = str(value)
    return f"({text.replace('-', '−')})" if text.startswith("-") else text


def _constants(expr):
    return [a for a in expr.args if not is_variable(a)]


def _subtracted(expr) -> list:
    """The terms a sum subtracts, as typed (x − t: [t]): terms of coefficient −1 beside at
    least one term added with its own sign; a lone −x stays a ×(−1) node."""
    variable = [a for a in expr.args if is_variable(a)]
    negated = [a for a in variable if a.as_coeff_Mul()[0] == -1]
    return [-a for a in negated] if len(negated) < len(variable) else []


def _add_children(expr):
    """The added terms, then the subtracted ones (x·y − z: x·y, z)."""
    subtracted = _subtracted(expr)
    return [a for a in expr.args if is_variable(a) and -a not in subtracted] + subtracted


def _add_function(expr, replacements):
    """a + b, or a − b for a subtracted term (its placeholder stands for what is subtracted)."""
    return sp.Add(*(replacements[a] if a in replacements else
                    -replacements[-a] if -a in replacements else a for a in expr.args))


def _add_label(expr, children):
    constant = sp.Add(*_constants(expr))
    if _subtracted(expr):  # a constant beside a difference keeps its own sign: − +1
        sign = "−" if constant.could_extract_minus_sign() else "+"
        return "−" + (f" {sign}{_number(-constant if sign == '−' else constant)}"
                      if constant != 0 else "")
    return "+" + (_number(constant) if constant != 0 else "")


def _mul_label(expr, children):
    constants = _constants(expr)
    factor = sp.Mul(*constants)
    if len(children) == 1 and constants:
        return "×" + _number(factor)
    return "×" if factor == 1 else f"×{_number(factor)}"


def _pow_rule(expr, children):
    base, exponent = expr.args
    if exponent == -1:
        return "reciprocal"
    return "exponential" if not is_variable(base) else "power"


def _pow_label(expr, children):
    base, exponent = expr.args
    if exponent == -1:
        return "/"
    if exponent == sp.Rational(1, 2):
        return "sqrt"
    if not is_variable(exponent):
        return f"**{_number(exponent)}"
    return f"{_number(base)}**" if not is_variable(base) else "**"


register(Primitive((sp.Add,), lambda e, c: "difference" if _subtracted(e) else "sum",
                   _add_label, children=_add_children, function=_add_function))
register(Primitive((sp.Mul,), lambda e, c: "constant multiple" if len(c) == 1 else "product",
                   _mul_label))
register(Primitive((sp.Pow,), _pow_rule, _pow_label, functions={"sqrt": (1, sp.sqrt)}))

# Elementary functions of one argument: (SymPy function, formula name, rule, NumPy code or
# None where SymPy's NumPy printer is right). Adding one is adding a row.
ELEMENTARY = [
    (sp.exp, "exp", "exp", None),
    (sp.log, "log", "log", None),
    (sp.sin, "sin", "trig", None),
    (sp.cos, "cos", "trig", None),
    (sp.tan, "tan", "trig", None),
    (sp.asin, "asin", "trig", None),
    (sp.acos, "acos", "trig", None),
    (sp.atan, "atan", "trig", None),
    (sp.sinh, "sinh", "hyperbolic", None),
    (sp.cosh, "cosh", "hyperbolic", None),
    (sp.tanh, "tanh", "hyperbolic", None),
    (sp.asinh, "asinh", "inverse hyperbolic", None),
    (sp.atanh, "atanh", "inverse hyperbolic", None),
    (sp.acosh, "acosh", "inverse hyperbolic", None),
    (sp.erf, "erf", "erf", "scipy.special.erf({})"),
    (log1p, "log1p", "log", None),
    (expm1, "expm1", "exp", None),
    (log2, "log2", "log", None),
    (log10, "log10", "log", None),
    (CubeRoot, "cbrt", "power", "numpy.cbrt({})"),
]

for function, name, rule, code in ELEMENTARY:
    register(Primitive(
        (function,), rule, name, functions={name: (1, function)},
        code=None if code is None else (
            lambda p, e, code=code: code.format(p._print(e.args[0]))),
        text=lambda p, e, name=name: f"{name}({p._print(e.args[0])})"))


def _call(name):
    """Printing as a formula call `name(a, b, ...)`, the name derive's reader knows."""
    return lambda p, e: f"{name}({', '.join(p._print(a) for a in e.args)})"


# functions of two arguments, in NumPy's argument order; sinc is NumPy's, sin(πx)/(πx)
register(Primitive((hypot,), "power", "hypot", functions={"hypot": (2, hypot)},
                   text=_call("hypot")))
register(Primitive((sp.atan2,), "trig", "arctan2", functions={"arctan2": (2, sp.atan2)},
                   text=_call("arctan2")))
register(Primitive((sp.sinc,), "trig", "sinc", functions={"sinc": (1, sinc)},
                   code=lambda p, e: f"numpy.sinc({p._print(e.args[0] / sp.pi)})",
                   text=lambda p, e: f"sinc({p._print(e.args[0] / sp.pi)})"))


# --- piecewise functions: kinks where a condition or argument is 0 ---

def _piecewise_children(expr):
    parts = []
    for value, cond in expr.args:
        for part in (value, cond):
            if isinstance(part, sp.core.relational.Relational):
                parts.extend(a for a in part.args if is_variable(a))
            elif not isinstance(part, sp.logic.boolalg.BooleanAtom) and is_variable(part):
                parts.append(part)
    return parts


def _piecewise_code(printer, expr):
    *pieces, (last_value, last_cond) = expr.args
    if last_cond != True:  # SymPy's true is compared by value
        return NumPyPrinter._print_Piecewise(printer, expr)
    code = printer._print(last_value)
    for value, cond in reversed(pieces):
        code = f"numpy.where({printer._print(cond)}, {printer._print(value)}, {code})"
    return code


def _piecewise_text(printer, expr):
    *pieces, (last, condition) = expr.args
    if condition != True:
        return StrPrinter._print_Piecewise(printer, expr)
    text = printer._print(last)
    for value, condition in reversed(pieces):
        text = _where_text(printer, condition, printer._print(value), text)
    return text


def _where_text(printer, condition, then: str, other: str) -> str:
    """where(condition, then, other) with one comparison per where, as the reader takes it:
    a condition SymPy built from several (x > relu(x) becomes ITE(x > 0, False, x > 0); And,
    Or, Not, ==) is written as nested wheres of single comparisons."""
    logic = sp.logic.boolalg
    if condition == True:
        return then
    if condition == False:
        return other
    if isinstance(condition, logic.ITE):
        test, when_true, when_false = condition.args
        return _where_text(printer, test, _where_text(printer, when_true, then, other),
                           _where_text(printer, when_false, then, other))
    if isinstance(condition, logic.And):
        first, *rest = condition.args
        return _where_text(printer, first, _where_text(printer, sp.And(*rest), then, other),
                           other)
    if isinstance(condition, logic.Or):
        first, *rest = condition.args
        return _where_text(printer, first, then,
                           _where_text(printer, sp.Or(*rest), then, other))
    if isinstance(condition, logic.Not):
        return _where_text(printer, condition.args[0], other, then)
    if isinstance(condition, sp.Eq):
        return _where_text(printer, sp.And(sp.Ge(*condition.args), sp.Le(*condition.args)),
                           then, other)
    if isinstance(condition, sp.Ne):
        return _where_text(printer, sp.Or(sp.Gt(*condition.args), sp.Lt(*condition.args)),
                           then, other)
    return f"where({printer._print(condition)}, {then}, {other})"


def _fold(function):
    def code(printer, expr):
        text = printer._print(expr.args[0])
        for arg in expr.args[1:]:
            text = f"{function}({text}, {printer._print(arg)})"
        return text
    return code


def _heaviside_code(printer, expr):
    at_zero = printer._print(expr.args[1]) if len(expr.args) > 1 else "0"
    return f"numpy.heaviside({printer._print(expr.args[0])}, {at_zero})"


PIECEWISE = "max/piecewise"
register(Primitive((sp.Piecewise,), PIECEWISE, "where", children=_piecewise_children,
                   code=_piecewise_code, text=_piecewise_text))
register(Primitive((sp.Max,), PIECEWISE, "max",
                   functions={"max": (2, sp.Max), "maximum": (2, sp.Max)},
                   code=_fold("numpy.maximum"), text=_fold("max")))
register(Primitive((sp.Min,), PIECEWISE, "min",
                   functions={"min": (2, sp.Min), "minimum": (2, sp.Min)},
                   code=_fold("numpy.minimum"), text=_fold("min")))
register(Primitive((sp.Abs,), PIECEWISE, "abs", functions={"abs": (1, sp.Abs)},
                   text=_call("abs")))
register(Primitive((sp.sign,), PIECEWISE, "sign", functions={"sign": (1, sp.sign)},
                   code=lambda p, e: f"numpy.sign({p._print(e.args[0])})", text=_call("sign")))
# heaviside(x, h0) as numpy.heaviside: h0 is its value at 0
register(Primitive((sp.Heaviside,), PIECEWISE, "Heaviside", code=_heaviside_code,
                   functions={"heaviside": (2, sp.Heaviside)},
                   text=lambda p, e: f"heaviside({p._print(e.args[0])}, "
                                     f"{p._print(e.args[1] if len(e.args) > 1 else sp.S.Half)})"))

# sum(e) over every entry of an array formula: its local derivative is 1 for every entry
register(Primitive(
    (ArraySum,), "broadcast-sum", "sum", functions={"sum": (1, ArraySum)},
    code=lambda p, e: f"numpy.sum({p._print(e.args[0])})",
    text=lambda p, e: f"sum({p._print(e.args[0])})",
    latex=lambda p, e: rf"\sum {p.parenthesize(e.args[0], 1000)}"))
