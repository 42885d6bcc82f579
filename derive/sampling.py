"""Random values for a derivation's parameters: one sampler, and the domains it draws from.

Names in a formula without matrices are arrays of a few entries; declared matrices get
random sizes (each dimension symbol 2 to 5 per sample, so checks run at many sizes) and
undeclared names in a matrix formula are single numbers. Every sample stays inside the
names' domains and away from the formula's kinks (entries of each kink expression at least
1e-3, relative, from 0; a bad entry of an elementwise sample is drawn again).
The graph says which values must be invertible: the argument of each inv and det node. A square
matrix that occurs in such an argument is drawn near the identity (I + noise of norm below 1/2:
invertible, positive determinant); the argument itself (X.T @ X, A @ B) must then have a
condition number below MAX_CONDITION, and a positive determinant where the det's consumer is
not real for a negative value (log det), or the sample is drawn again. A name with a declared
identity sum(t, axis=k) = 1 is drawn positive and normalised along that axis. The domains of
a typed formula are inferred: the first candidate on which it is finite and real.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.catalog import DEFAULT_DOMAIN
from derive.codegen.source import compile_expression
from derive.errors import DeriveError
from derive.simplify.matrix import tidy
from derive.vocab.kinks import kink_expressions
from derive.vocab.nodes import AxisSum, Elementwise, SumAll
from derive.vocab.shapes import MatrixDimension, matrix_symbol

POSITIVE_DOMAIN = (0.2, 3.0)
# where a typed formula is sampled: the first range on which it is finite and real
CANDIDATE_DOMAINS = (DEFAULT_DOMAIN, POSITIVE_DOMAIN, (-1.0, 1.0), (0.2, 1.0), (1.2, 3.0))
MAX_CONDITION = 1e3
SAMPLE_TRIES = 100
KINK_GAP = 1e-3
PROBE_ENTRIES = (64,)
PROBE_DRAWS = 8


@dataclass(frozen=True)
class Invertible:
    """A matrix the formula inverts or takes the determinant of; `positive`: det must be > 0."""

    argument: sp.Basic
    positive: bool


def invertible_arguments(graph) -> list[Invertible]:
    """The arguments of the graph's inv and det nodes, each once (positive if any needs it)."""
    found: dict = {}
    for node in graph.nodes:
        if isinstance(node.expr, (sp.Inverse, sp.Determinant)):
            positive = isinstance(node.expr, sp.Determinant) and _needs_positive(graph, node)
            found[node.expr.arg] = found.get(node.expr.arg, False) or positive
    return [Invertible(argument, positive) for argument, positive in found.items()]


def _needs_positive(graph, node) -> bool:
    """Whether a consumer of the scalar `node` is not real where its value is negative."""
    for consumer in graph.nodes:
        for holder, child in zip(consumer.placeholders, consumer.args):
            if child == node.id and consumer.func.xreplace({holder: sp.Rational(-1, 2)}).has(sp.I):
                return True
    return False


def near_identity_names(invertible: list[Invertible]) -> set[str]:
    """Square declared matrices occurring in an argument that must be invertible."""
    return {s.name for item in invertible for s in item.argument.atoms(sp.MatrixSymbol)
            if s.shape[0] == s.shape[1]}


def well_conditioned(arrays: list, positive: list[bool]) -> bool:
    """Each array's condition number is below MAX_CONDITION (and its det > 0 if required)."""
    for array, needs_positive in zip(arrays, positive):
        array = np.asarray(array, dtype=float)
        if not np.all(np.isfinite(array)) or not np.linalg.cond(array) < MAX_CONDITION:
            return False
        if needs_positive and not np.linalg.det(array) > 0:
            return False
    return True


def random_sizes(shapes: dict, rng: np.random.Generator) -> dict:
    dims = sorted({d for name, dims in shapes.items() for d in matrix_symbol(name, dims).shape
                   if isinstance(d, MatrixDimension)}, key=str)
    return {d: int(rng.integers(2, 6)) for d in dims}


def normalised_names(identities: dict) -> dict:
    """name -> axis (None for all entries) for identities sum(name, axis) = 1."""
    result = {}
    for left, right in identities.items():
        ones = isinstance(right, sp.OneMatrix) or right == 1
        if ones and isinstance(left, (AxisSum, SumAll)) and isinstance(left.arg, sp.MatrixSymbol):
            result[left.arg.name] = left.axis if isinstance(left, AxisSum) else None
    return result


def sample_values(d, rng: np.random.Generator, sizes: dict | None = None,
                  entries: tuple = (5,)) -> dict:
    """Random float64 values for every parameter of derivation `d` (see the module's text);
    `sizes` may fix matrix dimensions {dim: n}, `entries` is the shape of each name's values
    in a formula without matrices."""
    functions = _compiled(d)
    values = _draw(d, rng, sizes, entries)
    for _ in range(SAMPLE_TRIES):
        bad = _near_kinks(functions["kinks"], values, entries if not d.shapes else ())
        if d.shapes:
            bad = bad or not well_conditioned(
                [fn(**values) for fn in functions["invertible"]],
                [item.positive for item in d.invertible])
        if not np.any(bad):
            break
        fresh = _draw(d, rng, sizes, entries)
        values = {n: np.where(bad, fresh[n], values[n]) if not d.shapes else fresh[n]
                  for n in values}
    return values


def _draw(d, rng, sizes, entries) -> dict:
    if not d.shapes:
        return {n: rng.uniform(*d.domains.get(n, DEFAULT_DOMAIN), size=entries)
                for n in d.params}
    return sample_matrices(d.params, d.shapes, d.domains, normalised_names(d.identities), rng,
                           sizes, near_identity_names(d.invertible))


def _near_kinks(kink_functions, values: dict, shape: tuple):
    """Entries (or, for matrices, whether any entry) of a kink expression close to 0."""
    bad = np.zeros(shape, dtype=bool)
    for fn in kink_functions:
        gap = np.abs(np.asarray(fn(**values), dtype=float))
        close = gap < KINK_GAP * max(1.0, float(np.max(gap, initial=0.0)))
        bad = bad | (np.broadcast_to(close, shape) if shape else np.any(close))
    return bad


def _compiled(d) -> dict:
    """The derivation's kink and inverted-argument functions, compiled once."""
    if "_sampling_functions" not in d.__dict__:
        d._sampling_functions = {
            "kinks": [compile_expression(k, d.params, "kink", d.shapes) for k in d.kinks],
            "invertible": [compile_expression(item.argument, d.params, "invertible", d.shapes)
                           for item in d.invertible]}
    return d._sampling_functions


def infer_domains(d, names: list[str], declared: dict) -> dict:
    """Sampling ranges: declared ones, else the first of CANDIDATE_DOMAINS on which the
    formula is finite and real; DeriveError if there is none (it could not be checked)."""
    probe = compile_expression(d.expr, d.params, "probe", d.shapes)
    for candidate in CANDIDATE_DOMAINS:
        d.domains = {n: declared.get(n, candidate) for n in names}
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                # several draws: a matrix formula samples few entries (eps < 0 may pass once)
                results = [np.asarray(probe(**sample_values(d, rng, entries=PROBE_ENTRIES)),
                                      dtype=complex)
                           for rng in (np.random.default_rng(k) for k in range(PROBE_DRAWS))]
            except (OverflowError, ValueError, TypeError, ZeroDivisionError,
                    np.linalg.LinAlgError):
                continue
        if all(np.all(np.isfinite(r)) and not np.any(np.abs(r.imag) > 0) for r in results):
            return d.domains
    ranges = ", ".join(f"({low:g}, {high:g})" for low, high in CANDIDATE_DOMAINS)
    raise DeriveError(f"formula '{d.text}': not finite and real at random inputs in any of "
                      f"{ranges}, so it cannot be checked; use a formula defined for real "
                      "inputs of moderate size")


def explicit_sizes(d, candidates: list[dict]) -> dict:
    """The first of `candidates` (sizes for the explicit check) at which the matrices the
    formula inverts can be invertible (A @ B with A 3×2 and B 2×3 cannot)."""
    if not d.invertible:
        return candidates[0]
    functions = _compiled(d)
    rng = np.random.default_rng(0)
    for sizes in candidates:
        values = sample_values(d, rng, sizes)
        if well_conditioned([fn(**values) for fn in functions["invertible"]],
                            [item.positive for item in d.invertible]):
            return sizes
    return candidates[0]


def kinks_of(expr, graph, shapes: dict) -> list:
    """Expressions whose entries are zero where the formula may not be differentiable: read
    off the formula, or, in a matrix formula, off each elementwise function's own kinks."""
    if not shapes:
        return kink_expressions(expr)
    kinks = []
    for node in graph.nodes:
        if isinstance(node.expr, Elementwise):
            for kink in kink_expressions(node.expr.body):
                matrix = tidy(Elementwise("", kink, node.expr.arg))
                if matrix not in kinks:
                    kinks.append(matrix)
    return kinks


def sample_matrices(names: list[str], shapes: dict, domains: dict, normalised: dict,
                    rng: np.random.Generator, sizes: dict | None = None,
                    near_identity: set = frozenset()) -> dict:
    """A dict name -> float64 array (or float for a scalar name); the `near_identity` names
    are square matrices drawn close to I."""
    sizes = sizes if sizes is not None else random_sizes(shapes, rng)
    values = {}
    for name in names:
        low, high = domains.get(name, DEFAULT_DOMAIN)
        if name not in shapes:
            values[name] = float(rng.uniform(low, high))
            continue
        rows, cols = matrix_symbol(name, shapes[name]).shape
        shape = (int(sizes.get(rows, rows)), int(sizes.get(cols, cols)))
        if name in normalised:
            value = rng.uniform(0.1, 1.0, size=shape)
            axis = normalised[name]
            values[name] = value / value.sum(axis=axis, keepdims=axis is not None)
        elif name in near_identity and shape[0] == shape[1]:
            noise = rng.uniform(-1.0, 1.0, size=shape)
            values[name] = np.eye(shape[0]) + 0.5 * noise / max(1.0, np.abs(noise).sum(1).max())
        else:
            values[name] = rng.uniform(low, high, size=shape)
    return values
