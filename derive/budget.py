"""Budgets for one derivation: the size of the expressions, wall-clock time and memory.

A short formula can stand for a huge expression: `(x**64)**64` is x**4096, `(a+b+c+d)**64`
expands (as SymPy's cancel/factor do) to 47905 terms, a product of 16 matrices has 3**15
terms per entry on explicit 3×3 matrices. The size is measured as the expressions are built
(the parser, the reverse sweep, the explicit matrices) and a derivation over a limit is
refused at once, in one line naming the limit and how to raise it:

- nodes: an expression's tree size counting shared parts each time they are used, its
  estimated size once expanded into a polynomial or fraction, the gradients of the sweep
  together, the entries of explicit matrices (--max-nodes N, or DERIVE_MAX_NODES);
- degree: the polynomial degree (DERIVE_MAX_DEGREE);
- entries: the numbers in the matrices of numeric `--shape`s, which the numeric checks fill
  (DERIVE_MAX_ENTRIES);
- seconds and memory of one derivation (DERIVE_MAX_SECONDS, DERIVE_MAX_MEMORY_MB), held by
  derive.runtime_limits.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from math import comb

import sympy as sp

from derive.errors import DeriveError

DEFAULTS = {"nodes": 20000, "degree": 256, "entries": 1_000_000, "seconds": 300,
            "memory_mb": 4096}
ENVIRONMENT = {kind: f"DERIVE_MAX_{kind.upper()}" for kind in DEFAULTS}
HOW_TO_RAISE = {**{kind: f"{name}=N" for kind, name in ENVIRONMENT.items()},
                "nodes": "--max-nodes N or DERIVE_MAX_NODES=N"}


class BudgetExceeded(DeriveError):
    """A derivation went over one of its limits."""



@dataclass(frozen=True)
class Stats:
    """Of one expression: tree size, terms once expanded (numerator, denominator), degree, and
    the atoms it is a polynomial or fraction in (None: more than MAX_ATOMS)."""

    size: int
    numerator: int
    denominator: int
    degree: int
    atoms: frozenset | None = frozenset()


MAX_ATOMS = 32


def limit(kind: str) -> int:
    """The limit of `kind` (nodes, degree, seconds, memory_mb): its environment variable, else
    the default."""
    text = os.environ.get(ENVIRONMENT[kind], "").strip()
    if not text:
        return DEFAULTS[kind]
    if not text.isdigit() or int(text) < 1:
        raise DeriveError(f"{ENVIRONMENT[kind]}={text}: expected a positive whole number")
    return int(text)


@contextmanager
def max_nodes(value: int | None):
    """--max-nodes N: the node limit of this process and the workers it starts, for a while."""
    if value is None:
        yield
        return
    if value < 1:
        raise DeriveError(f"--max-nodes {value}: expected a positive whole number")
    name = ENVIRONMENT["nodes"]
    saved = os.environ.get(name)
    os.environ[name] = str(value)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


AMOUNT = {"nodes": "{:,} expression nodes", "degree": "polynomial degree {:,}",
          "entries": "{:,} matrix entries", "seconds": "more than {:,} seconds",
          "memory_mb": "more than {:,} MB of memory"}


def refuse(kind: str, what: str, amount: int) -> None:
    raise BudgetExceeded(
        f"{what}: too large to derive — {AMOUNT[kind].format(amount)}, over the limit of "
        f"{limit(kind):,}; raise it with {HOW_TO_RAISE[kind]}")


class Meter:
    """Measures expressions as they are built; remembers what it measured (shared parts of a
    tree are measured once, so measuring is linear in the number of distinct parts)."""

    def __init__(self):
        self.nodes = limit("nodes")
        self.degree = limit("degree")
        self.known: dict = {}
        self.charged = 0
        self.worst_degree = self.worst_expanded = 0

    def check(self, expr, what: str) -> Stats:
        """Refuse `expr` if it, or the expanded form of any part of it, is over the limits."""
        stats = self.stats(expr)
        if self.worst_degree > self.degree:
            refuse("degree", what, self.worst_degree)
        if max(stats.size, self.worst_expanded) > self.nodes:
            refuse("nodes", what, max(stats.size, self.worst_expanded))
        return stats

    def charge(self, expr, what: str) -> None:
        """Add `expr`'s size to a running total (the gradients of one sweep)."""
        self.charged += self.stats(expr).size
        if self.charged > self.nodes:
            refuse("nodes", what, self.charged)

    def check_entries(self, value, what: str):
        """`value` (an explicit matrix or an entry), refused if its entries together are over
        the node limit."""
        entries = list(value) if getattr(value, "is_Matrix", False) else [value]
        total = sum(self.stats(v).size for v in entries if isinstance(v, sp.Basic))
        if total > self.nodes:
            refuse("nodes", what, total)
        return value

    def expect(self, amount: int, what: str) -> None:
        """Refuse before building something of about `amount` nodes over the limit."""
        if amount > self.nodes:
            refuse("nodes", what, amount)

    def stats(self, expr) -> Stats:
        cap = 4 * self.nodes + 1
        stack = [expr]
        while stack:
            current = stack[-1]
            if current in self.known:
                stack.pop()
                continue
            args = getattr(current, "args", ())
            pending = [a for a in args if a not in self.known]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            made = self.known[current] = _combine(current, [self.known[a] for a in args], cap)
            self.worst_degree = max(self.worst_degree, made.degree)
            self.worst_expanded = max(self.worst_expanded, (made.numerator + made.denominator)
                                      * (min(made.degree, self.nodes) + 1))
        return self.known[expr]


def _combine(expr, parts: list[Stats], cap: int) -> Stats:
    size = min(cap, 1 + sum(p.size for p in parts))
    if isinstance(expr, sp.MatMul):  # on explicit matrices: Π inner sizes terms per entry
        factors = [(a, p) for a, p in zip(expr.args, parts) if getattr(a, "is_Matrix", False)]
        terms = _product([_explicit_size(a.shape[1]) for a, _ in factors[:-1]]
                         + [p.numerator for _, p in factors], cap)
        return Stats(size, terms, 1, min(cap, sum(p.degree for _, p in factors)), None)
    if not parts or not isinstance(expr, (sp.Add, sp.Mul, sp.Pow)) or (
            isinstance(expr, sp.Pow) and not expr.exp.is_Integer):
        variable = bool(parts) or isinstance(expr, sp.Symbol)
        return Stats(size, 1, 1, int(variable), frozenset([expr]) if variable else frozenset())
    atoms = None if any(p.atoms is None for p in parts) else frozenset().union(
        *(p.atoms for p in parts))
    if atoms is not None and len(atoms) > MAX_ATOMS:
        atoms = None
    if isinstance(expr, sp.Pow):
        base, power = parts[0], abs(int(expr.exp))
        terms = (_power_terms(base.numerator, power, cap), _power_terms(base.denominator, power,
                                                                         cap))
        numerator, denominator = terms if expr.exp > 0 else terms[::-1]
        degree = min(cap, base.degree * power)
    elif isinstance(expr, sp.Mul):
        numerator = _product([p.numerator for p in parts], cap)
        denominator = _product([p.denominator for p in parts], cap)
        degree = min(cap, sum(p.degree for p in parts))
    else:
        denominator = _product([p.denominator for p in parts], cap)
        numerator = min(cap, sum(_product([p.numerator, denominator // max(p.denominator, 1)],
                                          cap) for p in parts))
        degree = max(p.degree for p in parts)
    if atoms is not None and degree < cap:  # no more terms than monomials of that degree
        numerator = min(numerator, _monomials(len(atoms), degree, cap))
    return Stats(size, numerator, denominator, degree, atoms)


EXPLICIT_SIZES = 4  # the self-check's explicit matrices keep numeric sizes up to 4, use 2-4 else


def _explicit_size(dimension) -> int:
    """The size a dimension gets on the self-check's explicit matrices (about)."""
    return int(dimension) if dimension.is_Integer and dimension <= EXPLICIT_SIZES else 3


def _monomials(atoms: int, degree: int, cap: int) -> int:
    """How many monomials of degree ≤ `degree` in `atoms` variables there are (capped)."""
    if atoms * max(degree, 1).bit_length() > 4 * cap.bit_length() + 64:
        return cap
    return min(cap, comb(atoms + degree, degree))


def _power_terms(terms: int, power: int, cap: int) -> int:
    if terms <= 1 or power == 0:
        return 1
    if power * max(terms.bit_length(), 1) > cap.bit_length() + 64:
        return cap
    return min(cap, terms**power, comb(terms + power - 1, power))


def _product(values: list[int], cap: int) -> int:
    result = 1
    for value in values:
        result = min(cap, result * value)
    return result


def check_expression(expr, what: str = "formula") -> Stats:
    """Refuse `expr` at once if it is over the node or degree limit."""
    return Meter().check(expr, what)


WORK_PER_NODE = 10  # each name is differentiated through the whole formula (sweep, checks)


def check_work(names: int, expr, what: str) -> None:
    """Refuse a formula whose names × nodes is over WORK_PER_NODE × the node limit: the
    derivation differentiates the whole formula once per name (a flat sum of 241 names is
    fine, one of 1000 squares takes minutes)."""
    size = Meter().stats(expr).size
    if names * size > WORK_PER_NODE * limit("nodes"):
        raise BudgetExceeded(
            f"{what}: too large to derive — {names:,} names × {size:,} expression nodes, over "
            f"{WORK_PER_NODE} × the node limit of {limit('nodes'):,}; raise it with "
            f"{HOW_TO_RAISE['nodes']}")


def check_entries(shapes: dict, what: str, kind: str = "nodes") -> None:
    """Refuse matrices (name -> (rows, cols); numbers, or symbols that are not counted) with too
    many entries together: symbolic entries (kind nodes) or numbers (kind entries)."""
    sizes = {n: dims for n, dims in shapes.items() if all(isinstance(d, int) for d in dims)}
    entries = sum(dims[0] * (dims[1] if len(dims) > 1 else 1) for dims in sizes.values())
    if entries > limit(kind):
        listed = ", ".join(f"{n}={'×'.join(map(str, dims))}" for n, dims in sizes.items())
        refuse(kind, f"{what} {listed} (symbolic sizes such as W=n,m are checked on small "
               "matrices)", entries)
