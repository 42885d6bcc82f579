"""What LaTeX derive reads: the commands it accepts and the formula functions they stand for.

Everything not listed here is refused by name. The formula functions themselves come from
derive.vocab.functions (the same vocabulary the SymPy-syntax parser uses).
"""

from __future__ import annotations

from derive.primitives import FUNCTIONS
from derive.vocab.functions import MATRIX_ONLY_FUNCTIONS

# Function commands latex2sympy2's grammar parses itself -> formula function name.
GRAMMAR_FUNCTIONS = {
    r"\exp": "exp", r"\log": "log", r"\ln": "log",
    r"\sin": "sin", r"\cos": "cos", r"\tan": "tan",
    r"\sinh": "sinh", r"\cosh": "cosh", r"\tanh": "tanh",
    r"\arcsin": "asin", r"\arccos": "acos", r"\arctan": "atan",
    r"\max": "max", r"\min": "min",
}

# Upright words (\operatorname{..}, \mathrm{..}, \text{..}) that name a function, matched
# without regard to case: the formula vocabulary, plus the spellings LaTeX texts use.
_WORD_ALIASES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
                 "tr": "trace", "lse": "logsumexp"}
FUNCTION_WORDS = {
    **{name: name for name in FUNCTIONS if name != "where"},
    **{name: name for name in MATRIX_ONLY_FUNCTIONS},
    **_WORD_ALIASES,
}
# Words that have a grammar command of their own are passed on as that command.
WORD_COMMANDS = {"exp": r"\exp", "log": r"\log", "ln": r"\ln", "sin": r"\sin", "cos": r"\cos",
                 "tan": r"\tan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh",
                 "arcsin": r"\arcsin", "arccos": r"\arccos", "arctan": r"\arctan",
                 "max": r"\max", "min": r"\min"}

# Greek letters that are a function when a parenthesis follows: \sigma(z) is the sigmoid.
GREEK_FUNCTIONS = {r"\sigma": "sigmoid"}

GREEK_LETTERS = frozenset(
    ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "varrho", "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell"])

# Commands that only change how a name looks: \mathbf{W} is the variable W.
STYLE_COMMANDS = frozenset({r"\mathbf", r"\boldsymbol", r"\bm", r"\vec", r"\mathbfit",
                            r"\pmb", r"\mathcal", r"\mathscr"})
# Commands whose argument is an upright word: a function name or a multi-letter variable.
WORD_WRAPPERS = frozenset({r"\operatorname", r"\operatorname*", r"\mathrm", r"\text",
                           r"\textrm", r"\mathit", r"\textit", r"\mathsf", r"\textsf"})
# Accents that make a new variable: \hat{y} is the variable y_hat.
ACCENT_SUFFIXES = {r"\hat": "hat", r"\widehat": "hat", r"\bar": "bar", r"\overline": "bar",
                   r"\tilde": "tilde", r"\widetilde": "tilde", r"\check": "check"}

# Transpose marks after ^ (alone or in braces).
TRANSPOSE_MARKS = frozenset({"T", r"\top", r"\intercal", r"\mathsf{T}", r"\mathrm{T}",
                             r"\mathbf{T}", r"\text{T}", r"\rm{T}"})

# Commands dropped without meaning: spacing and delimiter sizes.
IGNORED_COMMANDS = frozenset(
    [r"\,", r"\;", r"\:", r"\!", r"\quad", r"\qquad", r"\displaystyle", r"\textstyle", r"\limits", r"\left", r"\right", r"\mleft", r"\mright", r"\big", r"\Big", r"\bigg", r"\Bigg", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\biggl", r"\biggr", r"\Biggl", r"\Biggr"]
    + ["\\ "])

# Commands passed to the grammar unchanged (besides GRAMMAR_FUNCTIONS).
OPERATOR_COMMANDS = {r"\frac": r"\frac", r"\dfrac": r"\frac", r"\tfrac": r"\frac",
                     r"\sqrt": r"\sqrt", r"\cdot": r"\cdot", r"\times": r"\times",
                     r"\div": r"\div", r"\pi": r"\pi", r"\lvert": "|", r"\rvert": "|",
                     r"\vert": "|", r"\odot": r"\mod", r"\circ": r"\mod"}

# Refused with a specific reason: construct -> what to write instead.
DERIVATIVE_HINT = ("derivative notation is not read inside a formula: give only the forward "
                   "formula (derive differentiates it)")
REFUSED_COMMANDS = {
    r"\partial": DERIVATIVE_HINT, r"\nabla": DERIVATIVE_HINT, r"\prime": DERIVATIVE_HINT,
    r"\dot": DERIVATIVE_HINT, r"\ddot": DERIVATIVE_HINT,
    r"\int": "integrals are not supported", r"\iint": "integrals are not supported",
    r"\lim": "limits are not supported", r"\prod": r"products \prod are not supported",
    r"\infty": "infinity is not a value a formula may use",
    r"\begin": r"environments (matrices, cases) are not read: declare matrices with "
               r"--shape NAME=D1,D2, and write a piecewise function with \max or --formula where(...)",
    r"\|": r"norms are not supported: write \sum_k (...)^2",
    r"\lVert": r"norms are not supported: write \sum_k (...)^2",
    r"\Vert": r"norms are not supported: write \sum_k (...)^2",
    r"\{": r"braces \{ \} are not read as parentheses: write ( )",
    r"\mod": r"modulo is not supported", r"\bmod": r"modulo is not supported",
    r"\pmod": r"modulo is not supported",
    r"\lfloor": "floor is not differentiable", r"\lceil": "ceiling is not differentiable",
    r"\binom": "binomial coefficients are not supported",
    r"\choose": "binomial coefficients are not supported",
    r"\variable": r"\variable is not LaTeX: write the name itself",
    r"\det": r"write \operatorname{det}(A) for a declared matrix A",
    r"\lg": r"write \log_{10}(x) (or \log with --log10)",
}

REFUSED_CHARACTERS = {
    "'": DERIVATIVE_HINT,
    "!": "factorials are not supported",
    "<": r"comparisons are not read: write \max(0, x), or use --formula where(...)",
    ">": r"comparisons are not read: write \max(0, x), or use --formula where(...)",
    ":": r"':' is not read (as a ratio or a definition): write \frac{a}{b} or y = ...",
    ";": "';' is not read: give one formula",
    "&": "'&' belongs in environments, which are not read",
    ".": "a '.' outside a number is not read (a trailing period?)",
}
