"""Text and LaTeX of index programs and derived contributions.

The text printer writes derive's own index syntax (`sum(w[f,c,p,q]*xp[n,c,s*i + p,...], c)`,
`where(...)`, `max(a, b)`), so a printed program reads back to the same statements.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from derive.index.calculus import Contribution
from derive.index.program import Program, Statement


class IndexTextPrinter(StrPrinter):
    """SymPy's str printer, with reads as name[i,j] and derive's function names."""

    printmethod = "_index_text"

    def _print_Indexed(self, expr):
        return f"{expr.base.label}[{','.join(self._print(i) for i in expr.indices)}]"

    def _print_Piecewise(self, expr):
        (value, condition), (other, _) = expr.args[0], expr.args[-1]
        return f"where({self._print(condition)}, {self._print(value)}, {self._print(other)})"

    def _print_Max(self, expr):
        return self._fold("max", expr.args)

    def _print_Min(self, expr):
        return self._fold("min", expr.args)

    def _fold(self, name, args):
        code = self._print(args[0])
        for arg in args[1:]:
            code = f"{name}({code}, {self._print(arg)})"
        return code

    def _print_floor(self, expr):
        numerator, denominator = sp.fraction(sp.together(expr.args[0]))
        if denominator != 1:
            return f"({self._print(numerator)})//{self.parenthesize(denominator, 60)}"
        return f"floor({self._print(expr.args[0])})"


_TEXT = IndexTextPrinter()


def text(expr) -> str:
    return _TEXT.doprint(expr)


def read_text(name, indices) -> str:
    return f"{name}[{','.join(text(i) for i in indices)}]" if indices else name


def statement_text(statement: Statement) -> str:
    if statement.kind == "pad":
        axes = "" if statement.pad_axes == tuple(range(2, len(statement.indices))) else \
            ", " + ", ".join(map(str, statement.pad_axes))
        return f"{statement.target} = pad({statement.body.base.label}, {text(statement.pad)}{axes})"
    axes = list(statement.merged or statement.indices)
    if statement.initial is not None:
        axes.insert(statement.initial, sp.Integer(-1))
    left = read_text(statement.target, axes)
    if statement.kind == "map":
        return f"{left} = {text(statement.body)}"
    over = ", ".join(f"{r} < {text(statement.bounds[r])}" if r in statement.bounds else str(r)
                     for r in statement.reduce)
    return f"{left} = {statement.kind}({text(statement.body)}, {over})"


def program_text(program: Program) -> str:
    return "; ".join(statement_text(s) for s in program.statements)


def condition_text(condition) -> str:
    kind, *parts = condition
    if kind == "divides":
        return f"{text(parts[0])} divides {text(parts[1])}"
    if kind == "range":
        return f"{text(parts[0])} <= {text(parts[1])} <= {text(parts[2])}"
    return f"{text(parts[0])} == {text(parts[1])}"


def contribution_text(c: Contribution) -> str:
    """`dA[a] = sum(summand, rest)  if conditions` (the delta already eliminated)."""
    inner, outer = _split_conditions(c)
    value = text(c.summand)
    if inner:  # a condition on a summed index (h == ids[n]) selects terms inside the sum
        value = f"where({' and '.join(condition_text(k) for k in inner)}, {value}, 0)"
    if c.sum_over:
        value = f"sum({value}, {', '.join(map(str, c.sum_over))})"
    if outer:
        value += "  if " + " and ".join(condition_text(k) for k in outer)
    return f"{read_text(c.gradient, c.target)} += {value}"


def _split_conditions(c: Contribution) -> tuple[list, list]:
    """(conditions on a summed index, the others)."""
    summed = set(c.sum_over)
    inner = [k for k in c.conditions
             if set().union(*(getattr(p, "free_symbols", set()) for p in k[1:])) & summed
             and k[0] == "equal"]
    return inner, [k for k in c.conditions if k not in inner]


def delta_text(c: Contribution) -> str:
    """The step before elimination: the whole sum with its Kronecker delta."""
    over = ", ".join(map(str, c.statement.loop))
    deltas = "*".join(f"delta({text(a)}, {text(e)})" for a, e in c.equations if a != e)
    factor = text(c.upstream * c.local)
    return f"sum({factor}{'*' + deltas if deltas else ''}, {over})" if over else factor


# ---------------------------------------------------------------------------- LaTeX

def latex_read(name, indices) -> str:
    return f"{latex_name(name)}_{{{','.join(sp.latex(i) for i in indices)}}}" if indices else \
        latex_name(name)


def latex_name(name: str) -> str:
    head, _, tail = name.partition("_")
    return f"\\mathrm{{{head}}}" + (f"^{{\\mathrm{{{tail}}}}}" if tail else "")


class _IndexLatexPrinter(LatexPrinter):
    def _print_Indexed(self, expr):
        return latex_read(str(expr.base.label), expr.indices)

    def _helper_print_standard_power(self, expr, template):
        """A power of a read that has its own superscript (out_sum²) puts the read in braces:
        one superscript each."""
        if isinstance(expr.base, sp.Indexed) and "_" in str(expr.base.base.label):
            return template % (f"{{{self._print(expr.base)}}}", self._print(expr.exp))
        return super()._helper_print_standard_power(expr, template)


def latex(expr) -> str:
    return _IndexLatexPrinter().doprint(expr)


def statement_latex(statement: Statement) -> str:
    axes = list(statement.indices)
    if statement.initial is not None:
        axes.insert(statement.initial, sp.Integer(-1))
    left = latex_read(statement.target, axes)
    if statement.kind == "pad":
        return f"{latex_name(statement.target)} = \\operatorname{{pad}}({latex_name(str(statement.body.base.label))}, " \
            f"{latex(statement.pad)})"
    value = latex(statement.body)
    if statement.kind != "map":
        over = ",".join(map(str, statement.reduce))
        symbol = {"sum": "\\sum", "mean": "\\operatorname{mean}", "max": "\\max",
                  "min": "\\min"}[statement.kind]
        value = f"{symbol}_{{{over}}} {value}"
    return f"{left} = {value}"


def contribution_latex(c: Contribution) -> str:
    inner, outer = _split_conditions(c)
    value = latex(c.summand)
    if inner:
        value = "".join(f"[{latex(a)} = {latex(b)}]\\," for _, a, b in inner) + value
    if c.sum_over:
        value = f"\\sum_{{{','.join(map(str, c.sum_over))}}} {value}"
    conditions = []
    for kind, *parts in outer:
        if kind == "divides":
            conditions.append(f"{latex(parts[0])} \\mid {latex(parts[1])}")
        elif kind == "range":
            conditions.append(f"{latex(parts[0])} \\le {latex(parts[1])} \\le {latex(parts[2])}")
        else:
            conditions.append(f"{latex(parts[0])} = {latex(parts[1])}")
    brackets = "".join(f"\\,[{k}]" for k in conditions)
    return f"{latex_read(c.gradient, c.target)} \\mathrel{{+}}= {value}{brackets}"


def delta_latex(c: Contribution) -> str:
    """The step before elimination in LaTeX: the whole sum with its Kronecker deltas."""
    deltas = " ".join(f"\\delta_{{{latex(a)},\\,{latex(e)}}}" for a, e in c.equations if a != e)
    over = ",".join(map(str, c.statement.loop))
    value = f"{latex(c.upstream * c.local)} {deltas}".strip()
    return (f"{latex_read(c.gradient, c.target)} \\mathrel{{+}}= "
            + (f"\\sum_{{{over}}} {value}" if over else value))
