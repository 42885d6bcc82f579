"""Text → LaTeX and Markdown: escaping user text, printing expressions, naming graph nodes.

Every piece of user text (operator names, formulas as typed, descriptions, notes, messages)
goes through `escape_tex` or `escape_md`; mathematics is printed by SymPy from parsed
expressions, with every symbol name checked so that no user text reaches TeX unescaped.
"""

from __future__ import annotations

import re
import unicodedata

import sympy as sp
from sympy.printing.latex import LatexPrinter

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*\Z")
SINGLE = re.compile(r"[A-Za-z](_[0-9]+)?\Z")
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
         "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
TEX_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
                "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}", '"': r"\textquotedbl{}"}
TEX_UNICODE = {"×": r"\ensuremath{\times}", "−": "-", "→": r"\ensuremath{\to}",
               "←": r"\ensuremath{\leftarrow}", "·": r"\ensuremath{\cdot}",
               "½": r"\ensuremath{\tfrac12}", "²": r"\ensuremath{^2}", "³": r"\ensuremath{^3}",
               "′": "'", "≤": r"\ensuremath{\le}",
               "≥": r"\ensuremath{\ge}", "≠": r"\ensuremath{\ne}", "≈": r"\ensuremath{\approx}",
               "∂": r"\ensuremath{\partial}", "∑": r"\ensuremath{\Sigma}",
               "√": r"\ensuremath{\surd}",
               "∞": r"\ensuremath{\infty}", "⊙": r"\ensuremath{\odot}", "…": r"\dots{}",
               "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "é": r"\'e",
               "Ḡ": r"\ensuremath{\bar{G}}", "Ā": r"\ensuremath{\bar{A}}", "ᵀ": r"\ensuremath{^{T}}",
               "è": r"\`e", "ü": r'\"u', "ö": r'\"o', "ä": r'\"a', "ß": r"\ss{}", "✓": "ok"}
MD_SPECIALS = set("\\`*_{}[]<>()#|$!~")


def escape_tex(text) -> str:
    """User text as LaTeX that prints it literally (no command can run)."""
    out = []
    for char in " ".join(str(text).split()):
        if char in TEX_SPECIALS:
            out.append(TEX_SPECIALS[char])
        elif char in TEX_UNICODE:
            out.append(TEX_UNICODE[char])
        elif ord(char) < 128:
            out.append(char)
        else:
            out.append(_greek(char) or _printable(char))
    return "".join(out)


def _greek(char: str) -> str | None:
    name = unicodedata.name(char, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", name)
    if not match:
        return None
    letter = match.group(2).lower() if match.group(1) == "SMALL" else match.group(2).title()
    return rf"\ensuremath{{\{letter}}}" if letter in GREEK else None


def _printable(char: str) -> str:
    """A character with no LaTeX name: itself when it can be printed (the document is then
    compiled by xelatex with CJK fonts), a visible code point for a control or unassigned one."""
    if unicodedata.category(char)[0] in "LNPSZ" and char.isprintable():
        return char
    return rf"\textless{{}}U+{ord(char):04X}\textgreater{{}}"


def escape_md(text) -> str:
    """User text as Markdown that GitHub prints literally."""
    return "".join("\\" + c if c in MD_SPECIALS else c for c in " ".join(str(text).split()))


# engine node types printed the way a textbook writes them (method of ReportPrinter)
TEXTBOOK = {"Elementwise": "_print_Elementwise", "AxisSum": "_print_AxisSum",
            "SumAll": "_print_SumAll", "Softmax": "_print_Softmax",
            "LogSumExp": "_print_LogSumExp", "Broadcast": "_print_Broadcast"}


class ReportPrinter(LatexPrinter):
    """SymPy's LaTeX printer with `·` products and safe, readable symbol names."""

    def __init__(self):
        super().__init__({"mul_symbol": "dot"})

    def _print_Symbol(self, expr, style="plain"):
        return symbol_tex(expr.name)

    def _print_Float(self, expr):
        return short_number(super()._print_Float(expr))

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"

    def _print(self, expr, **kwargs):
        own = TEXTBOOK.get(type(expr).__name__)  # before the class's own _latex
        if own is not None:
            return getattr(self, own)(expr)
        return super()._print(expr, **kwargs)

    def _print_Add(self, expr, order=None):
        """Terms with a plus sign first: y - t, not -t + y."""
        ordered = self._as_ordered_terms(expr, order=order)
        if not ordered[0].could_extract_minus_sign() or all(
                t.could_extract_minus_sign() for t in ordered):
            return super()._print_Add(expr, order=order)
        return self._signed_terms(sorted(ordered, key=lambda a: a.could_extract_minus_sign()))

    def _print_MatAdd(self, expr):
        """A difference of matrices as y - t, never (-1) t + y."""
        terms = sorted(expr.args, key=lambda a: a.could_extract_minus_sign())
        return self._signed_terms(terms)

    def _signed_terms(self, terms) -> str:
        out = ""
        for i, term in enumerate(terms):
            negative = term.could_extract_minus_sign()
            body = self._print(-term if negative else term)
            if isinstance(-term if negative else term, (sp.Add, sp.MatAdd)):
                body = rf"\left({body}\right)"
            out += ("-" if negative else ("" if i == 0 else "+")) + " " + body + " "
        return out.strip()

    def _print_Piecewise(self, expr):
        """max(0, e) where the cases say exactly that (ReLU), else SymPy's cases."""
        argument = _max_with_zero(expr)
        if argument is not None:
            return rf"\max\left(0, {self._print(argument)}\right)"
        return super()._print_Piecewise(expr)

    def _print_AxisSum(self, expr):
        """sum(A, axis=0) as Σᵢ (down each column), axis=1 as Σⱼ (along each row)."""
        index = "i" if int(expr.axis) == 0 else "j"
        return rf"\sum_{{{index}}} {self.parenthesize(expr.args[0], 1000, strict=True)}"

    def _print_SumAll(self, expr):
        return rf"\sum_{{i,j}} {self.parenthesize(expr.args[0], 1000, strict=True)}"

    def _print_Softmax(self, expr):
        return rf"\operatorname{{softmax}}\left({self._print(expr.args[0])}\right)"

    def _print_LogSumExp(self, expr):
        index = "i" if int(expr.args[1]) == 0 else "j"
        return rf"\log \sum_{{{index}}} e^{{{self._print(expr.args[0])}}}"

    def _print_Broadcast(self, expr):
        """A bias repeated over the samples: b·1ᵀ (a column over columns), 1·b (a row)."""
        arg = expr.args[0]
        scale = _times_ones(arg)
        if scale is not None:  # (c·1) repeated is c·1 of the larger shape
            return self._print(sp.MatMul(scale, sp.OneMatrix(*expr.shape)))
        shape = getattr(arg, "shape", None)
        if shape and shape[1] == 1 and expr.shape[1] != 1:
            return rf"{self.parenthesize(arg, 1000, strict=True)} \cdot \mathbf{{1}}^{{T}}"
        if shape and shape[0] == 1 and expr.shape[0] != 1:
            return rf"\mathbf{{1}} \cdot {self.parenthesize(arg, 1000, strict=True)}"
        return self._print(arg)

    def _print_Elementwise(self, expr):
        """A function applied entry by entry: its body with the argument printed in place."""
        function, arg = expr.args[1], expr.args[2]
        token = sp.Symbol("elementwiseargument")
        body = self._print(function.expr.xreplace({function.variables[0]: token}))
        return body.replace(self._print(token), self.parenthesize(arg, 1000, strict=True))

    def _print_HadamardProduct(self, expr):
        """Entrywise products flattened, a scalar times a matrix of ones taken out front:
        (−dout·1) ∘ t ∘ (1/y) as −dout · (t ∘ 1/y)."""
        scale, factors = _ones_scale(expr)
        body = r" \circ ".join(self.parenthesize(f, 1000, strict=True) if f.is_Add or isinstance(
            f, sp.MatAdd) else self._print(f) for f in factors) if factors else r"\mathbf{1}"
        if scale == 1:
            return body
        wrapped = rf"\left({body}\right)" if len(factors) > 1 else body
        if scale.could_extract_minus_sign():
            return rf"- {self._print(-scale)} \cdot {wrapped}" if -scale != 1 else f"- {wrapped}"
        return rf"{self._print(scale)} \cdot {wrapped}"

    def _print_MatMul(self, expr):
        scale, rest = expr.as_coeff_mmul() if hasattr(expr, "as_coeff_mmul") else (1, expr)
        if scale != 1 and scale.could_extract_minus_sign():
            factors = [f for f in sp.MatMul.make_args(rest) if f != 1]
            positive = [] if -scale == 1 else [self._print(-scale)]
            return "- " + r" \cdot ".join(positive + [self.parenthesize(
                f, self._print_MatMul_precedence(expr)) for f in factors])
        return r" \cdot ".join(self.parenthesize(a, self._print_MatMul_precedence(expr))
                             for a in expr.args)

    @staticmethod
    def _print_MatMul_precedence(expr):
        from sympy.printing.precedence import precedence_traditional

        return precedence_traditional(expr)


def _times_ones(factor):
    """c when `factor` is c·1 (a scalar times a matrix of ones, maybe repeated by a
    broadcast), else None."""
    if type(factor).__name__ == "Broadcast":
        return _times_ones(factor.args[0])
    if not isinstance(factor, sp.MatMul):
        return None
    parts, todo = [], list(factor.args)
    while todo:  # the engine may nest products: MatMul(-1, MatMul(dout/N, 1))
        part = todo.pop(0)
        if isinstance(part, sp.MatMul):
            todo[:0] = list(part.args)
        else:
            parts.append(part)
    ones = [p for p in parts if isinstance(p, sp.OneMatrix)]
    scalars = [p for p in parts if not getattr(p, "is_Matrix", False)
               and not isinstance(p, sp.MatrixExpr)]
    return sp.Mul(*scalars) if ones and len(ones) + len(scalars) == len(parts) else None


def _ones_scale(product):
    """(scalar, other factors) of a flattened entrywise product whose factors may be
    scalar · 1 (a matrix of ones)."""
    scale, factors, todo = sp.Integer(1), [], list(product.args)
    while todo:
        factor = todo.pop(0)
        if isinstance(factor, sp.HadamardProduct):
            todo[:0] = list(factor.args)
            continue
        times = _times_ones(factor)
        if times is not None:
            scale *= times
        else:
            factors.append(factor)
    return scale, factors


def break_tex(text) -> str:
    """User text as LaTeX (escaped) that may break after underscores, commas and products in
    narrow columns (a long typed formula has few spaces)."""
    escaped = escape_tex(text).replace(r"\_", r"\_\allowbreak{}")
    return re.sub(r"(,|(?<!\*)\*(?!\*))(?!\s)", r"\1\\allowbreak{}", escaped)


def symbol_tex(name: str) -> str:
    """A name as LaTeX: x, u_{3}, \\alpha stay math; longer names are upright words."""
    if name in ("dout", "out"):
        return rf"\mathrm{{{name}}}"
    if name.startswith("d:"):
        return rf"\mathrm{{d}}\,{symbol_tex(name[2:])}"
    indexed = re.fullmatch(r"([A-Za-z]{2,})_([0-9]+)", name)
    if indexed and indexed.group(1) not in GREEK:
        return rf"\mathrm{{{indexed.group(1)}}}_{{{indexed.group(2)}}}"
    if SINGLE.match(name) or name.split("_")[0] in GREEK and IDENTIFIER.match(name):
        return LatexPrinter()._print_Symbol(sp.Symbol(name))
    if IDENTIFIER.match(name):
        return rf"\mathit{{{escape_tex(name)}}}"
    return rf"\text{{{escape_tex(name)}}}"


def expr_tex(expr) -> str:
    """An expression as LaTeX math (no delimiters)."""
    return ReportPrinter().doprint(expr)


def factor_tex(expr) -> str:
    """An expression as a factor of a product: parenthesised when it is a sum or negative."""
    text = expr_tex(expr)
    if isinstance(expr, sp.Add) or (expr.could_extract_minus_sign() and expr != -1) \
            or isinstance(expr, sp.Piecewise):
        return rf"\left({text}\right)"
    if expr == -1:
        return "(-1)"
    return text


def product_tex(factors) -> str:
    """Factors joined by `·`, each kept as written (no SymPy evaluation)."""
    return r" \cdot ".join(factor_tex(f) for f in factors)


def short_number(text: str) -> str:
    """Floats without trailing zeros: 0.0100000000000000 → 0.01."""
    return re.sub(r"(\d+\.\d*?)0+\b", lambda m: m.group(1).rstrip(".") or "0", text)


def label_tex(label: str) -> str:
    """A node label of the engine (+, ×, /, exp, +1, ×(−1), **2, ...) as LaTeX text mode."""
    label = short_number(label)
    match = re.fullmatch(r"\*\*(.+)", label)
    if match:
        return rf"$(\cdot)^{{{escape_tex(match.group(1))}}}$"
    match = re.fullmatch(r"(.+)\*\*", label)
    if match:
        return rf"${escape_tex(match.group(1))}^{{(\cdot)}}$"
    if label == "**":
        return r"$a^{b}$"
    if label == "@":  # the matrix product node, named as the tutorial draws it
        return "dot"
    return escape_tex(label)


def node_label_tex(node) -> str:
    """A graph node's label as LaTeX, with a constant folded into the node printed as math
    (×(−1), +1, ×√2/2); other labels as `label_tex`."""
    func = node.func
    if func is not None and not node.is_matrix and isinstance(func, (sp.Mul, sp.Add)):
        is_sum = isinstance(func, sp.Add)
        constant, _ = func.as_independent(*node.placeholders, as_Add=is_sum)
        if is_sum and node.label.startswith("−"):  # a difference, with its constant if any
            sign = "" if constant == 0 else "-" if constant.could_extract_minus_sign() else "+"
            return f"$-{sign and ' ' + sign + factor_tex(abs(constant))}$"
        if is_sum and constant.could_extract_minus_sign():
            return f"$-{factor_tex(-constant)}$"  # x - 1: a "−1" node, not "+(−1)"
        if constant != (0 if is_sum else 1):
            return f"${'+' if is_sum else chr(92) + 'times'}{factor_tex(constant)}$"
    if func is not None and _max_with_zero(func) is not None:
        return r"$\max(0, \cdot)$"
    return label_tex(node.label)


def _max_with_zero(expr):
    """The argument e of a Piecewise((e, e > 0), (0, True)), which is max(0, e); else None."""
    if not isinstance(expr, sp.Piecewise) or len(expr.args) != 2:
        return None
    (value, condition), (other, otherwise) = expr.args
    if other != 0 or otherwise != sp.true or not isinstance(condition, sp.StrictGreaterThan):
        return None
    return value if condition.lhs == value and condition.rhs == 0 else None


def visible_width(tex: str) -> int:
    """Roughly how many characters `tex` shows when typeset (a \\vphantom shows none)."""
    text = re.sub(r"\\(left|right|mathrm|mathit|text|operatorname)\b", "", _no_phantoms(tex))
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    return len(re.sub(r"[{}^_ ]", "", text))


def _no_phantoms(tex: str) -> str:
    """`tex` without its \\vphantom{…} groups."""
    while (at := tex.find(r"\vphantom{")) >= 0:
        depth, end = 0, len(tex)
        for end in range(at + len(r"\vphantom"), len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                break
        tex = tex[:at] + tex[end + 1:]
    return tex
