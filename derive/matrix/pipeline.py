"""The matrix pipeline: formula → graph → matrix VJP steps → tidy closed forms → code → checks.

Runs the same stages as the scalar pipeline (derive.derivation) with matrix rules, and returns
a MatrixDerivation (a Derivation whose `sample` draws matrices of random sizes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from derive.check import check_finite_differences
from derive.derivation import Derivation
from derive.errors import DeriveError
from derive.graph import build_graph
from derive.kinks import kink_expressions
from derive.matrix.checks import check_explicit, small_sizes
from derive.matrix.codegen import matrix_backward_source, matrix_forward_source, matrix_function
from derive.matrix.compact import compact_forms, inline_names
from derive.matrix.nodes import Elementwise, broadcast_to
from derive.matrix.sampling import (
    POSITIVE_DOMAIN,
    invertible_arguments,
    near_identity_names,
    normalised_names,
    sample_matrices,
    well_conditioned,
)
from derive.matrix.saved import saved_forms
from derive.matrix.shapes import dimension_symbols, is_matrix, matrix_symbol
from derive.matrix.simplify import tidy
from derive.matrix.text import matrix_text
from derive.sweep import DOUT, reverse_sweep

SAMPLE_TRIES = 50
KINK_GAP = 1e-3
DOMAIN_PROBES = 8  # random points at which the declared domains must give finite values
DIFFERENTIAL_NOTE = ("matrix steps: `local` is the differential dZ the input contributes; the "
                     "downstream gradient Ā is read off dL = tr(Gᵀ dZ) = tr(Āᵀ dA) (cyclic trace)")
BROADCAST_NOTE = ("a bias broadcast over samples gets the sum of the upstream gradient over the "
                  "broadcast axis (broadcast-sum)")


@dataclass
class MatrixDerivation(Derivation):
    """A Derivation of a matrix formula; `identities` are the declared equalities used,
    `invertible` the matrices it inverts or takes the determinant of (sampling.Invertible)."""

    identities: dict = field(default_factory=dict)
    invertible: list = field(default_factory=list)
    intermediates: dict = field(default_factory=dict)  # name -> value, in earlier names
    rewrites: list = field(default_factory=list)  # compact.Rewrite stages, long → compact

    def inlined(self, expr):
        """`expr` with the named intermediates it uses written in the inputs."""
        return inline_names(expr, self.intermediates)

    @property
    def saved_names(self) -> list[str]:
        if self.intermediates:
            return list(self.intermediates)
        return super().saved_names

    @property
    def worked_case(self) -> list:
        """The tutorial's entry-by-entry case at size 2 (derive.matrix.worked), worked out on
        first use: the reports and --json show it, verifying a layer does not need it."""
        if "_worked_case" not in self.__dict__:
            from derive.matrix.worked import worked_case

            self._worked_case = worked_case(self)
        return self._worked_case

    def sample(self, rng: np.random.Generator, size=None) -> dict:
        """Random float64 arrays for every parameter, away from kinks (entries of each kink
        expression at least 1e-3 from 0), with well-conditioned matrices where the formula
        inverts one; `size` may fix dimensions {dim: n}."""
        sizes = size if isinstance(size, dict) else None
        near_identity = near_identity_names(self.invertible)
        for _ in range(SAMPLE_TRIES):
            values = sample_matrices(self.params, self.shapes, self.domains,
                                     normalised_names(self.identities), rng, sizes,
                                     near_identity)
            if self.acceptable(values):
                break
        return values

    def acceptable(self, values: dict) -> bool:
        """Away from kinks, and every matrix the formula inverts well-conditioned."""
        if "_kink_functions" not in self.__dict__:
            self._kink_functions = [matrix_function(k, self.params, self.shapes, "kink")
                                    for k in self.kinks]
            self._invertible_functions = [
                matrix_function(item.argument, self.params, self.shapes, "invertible")
                for item in self.invertible]
        if any(np.any(np.abs(fn(**values)) < KINK_GAP) for fn in self._kink_functions):
            return False
        return well_conditioned([fn(**values) for fn in self._invertible_functions],
                                [item.positive for item in self.invertible])

    def explicit_sizes(self) -> dict:
        """Sizes for the explicit check at which the inverted matrices can be invertible
        (A @ B with A 3×2 and B 2×3 cannot): the usual small sizes, else all 2, all 3."""
        candidates = [small_sizes(self.shapes), small_sizes(self.shapes, 2),
                      small_sizes(self.shapes, 3)]
        if not self.invertible:
            return candidates[0]
        rng = np.random.default_rng(0)
        return next((sizes for sizes in candidates
                     if self.acceptable(self.sample(rng, sizes))), candidates[0])

    def __getstate__(self):
        compiled = ("_functions", "_kink_functions", "_invertible_functions")
        return {k: v for k, v in self.__dict__.items() if k not in compiled}


def derive_matrix(parsed, name, inputs, constants, domains, entry,
                  assumptions=None) -> MatrixDerivation:
    """Derive a formula with declared matrix shapes (assumptions: the entry's by default)."""
    _check_names(parsed)
    shapes = {n: tuple(matrix_symbol(n, d).shape) for n, d in parsed.shapes.items()}
    expr = parsed.expr
    dout = sp.MatrixSymbol("dout", *expr.shape) if is_matrix(expr) else DOUT
    if assumptions is None:
        assumptions = list(entry.assumptions) if entry else []
    assumptions = list(assumptions)
    identities = declared_identities(assumptions, parsed.shapes)
    graph = build_graph(expr, parsed.definitions)
    sweep = reverse_sweep(graph, inputs, dout)
    gradients = {}
    for n in inputs:
        raw = sweep.gradients[n]
        if raw == 0 and n in shapes:
            raw = sp.ZeroMatrix(*shapes[n])
        gradients[n] = tidy(raw, identities)
    params = [*inputs, *constants]
    compact = compact_forms(gradients, parsed.definitions, shapes) if not identities else None
    if compact is not None and not parsed.definitions and _size(
            compact.gradients.values()) >= _size(gradients.values()):
        compact = None  # no names to write it in, and no shorter
    saved = saved_forms(expr, gradients, params)
    if compact is not None:
        gradients = {n: compact.inlined(g) for n, g in compact.gradients.items()}
        used = compact.used
        saved = {n: g if any(m.name in used for m in g.atoms(sp.MatrixSymbol)) else None
                 for n, g in compact.gradients.items()}
    conventions = [*(entry.conventions if entry else ()), DIFFERENTIAL_NOTE]
    if any(s.rule == "broadcast-sum" for s in sweep.steps):
        conventions.append(BROADCAST_NOTE)
    derivation = MatrixDerivation(
        name=name, text=parsed.text, expr=expr, inputs=inputs, constants=constants,
        shapes=shapes, domains=dict(domains), graph=graph, steps=sweep.steps,
        raw_gradients=sweep.gradients, gradients=gradients,
        saved_form=saved, forward_source="", backward_source="",
        conventions=conventions, assumptions=assumptions, kinks=matrix_kinks(graph),
        layer=entry.layer if entry else None, description=entry.description if entry else "",
        identities=identities, invertible=invertible_arguments(graph),
        intermediates={n: parsed.named[n] for n in compact.used} if compact else {},
        rewrites=compact.steps if compact else [])
    if derivation.kinks:
        derivation.conventions.append(
            "at a kink (" + ", ".join(f"{matrix_text(k)} = 0" for k in derivation.kinks)
            + ", entry by entry) the derivative of a step is taken as 0")
    derivation.forward_source = matrix_forward_source(
        name, parsed.text, expr, params, shapes,
        {**parsed.named, "out": parsed.named_output} if parsed.definitions else None)
    derivation.backward_source = matrix_backward_source(
        name, parsed.text, params, inputs, gradients, shapes, dout.shape if is_matrix(dout) else (),
        derivation.saved_form, derivation.intermediates)
    _infer_domains(derivation, domains)
    checks = [check_explicit(expr, dout, gradients, shapes, params, derivation.sample,
                             sizes=derivation.explicit_sizes())]
    forward, backward = derivation.functions()
    checks.append(check_finite_differences(forward, backward, derivation.sample, inputs,
                                           bool(derivation.saved_names)
                                           and not derivation.intermediates, rounds=4))
    derivation.checks = checks
    return derivation


def _size(exprs) -> int:
    return sum(sp.count_ops(e) for e in exprs)


def matrix_kinks(graph) -> list:
    """Matrix expressions whose entries are zero where an elementwise function has a kink."""
    kinks = []
    for node in graph.nodes:
        if isinstance(node.expr, Elementwise):
            for kink in kink_expressions(node.expr.body):
                matrix = tidy(Elementwise("", kink, node.expr.arg))
                if matrix not in kinks:
                    kinks.append(matrix)
    return kinks


def _check_names(parsed):
    dims = {str(d) for d in dimension_symbols(parsed.shapes)}
    clash = sorted(dims & set(parsed.names))
    if clash:
        raise DeriveError(f"--shape: '{clash[0]}' is both a dimension and a variable of the "
                          "formula; give the dimension another name")
    unused = [n for n in parsed.shapes if n not in parsed.names]
    if unused:
        raise DeriveError(f"--shape {unused[0]}=...: '{unused[0]}' does not occur in the formula "
                          f"(names: {', '.join(parsed.names)})")


def declared_identities(assumptions: list[str], shapes: dict) -> dict:
    """Equalities stated by assumptions, alone or after a colon: '...: sum(t, axis=0) = 1'."""
    from derive.parse import parse_formula

    identities = {}
    for text in assumptions:
        statement = text.rpartition(":")[2]
        sides = _top_level_split(statement, "=")
        if len(sides) != 2:
            continue
        left_text, right_text = sides
        where = f"assumption '{text}'"
        left = parse_formula(left_text, shapes, where=where).expr
        right = parse_formula(right_text, shapes, where=where).expr
        shape = tuple(left.shape) if is_matrix(left) else ()
        identities[left] = tidy(broadcast_to(right, shape)) if shape else right
    return identities


def _top_level_split(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def _infer_domains(derivation: MatrixDerivation, declared: dict):
    """Keep the declared domains; if the formula is undefined on them, sample positive values."""
    forward = derivation.functions()[0]
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        finite = all(np.all(np.isfinite(np.asarray(forward(**derivation.sample(rng)))))
                     for _ in range(DOMAIN_PROBES))
    if finite:
        return
    derivation.domains = {n: declared.get(n, POSITIVE_DOMAIN) for n in derivation.params}
    if "_functions" in derivation.__dict__:
        del derivation.__dict__["_functions"]
