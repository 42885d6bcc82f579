"""The pipeline: formula → graph → steps → gradients → saved forms → code → checks.

`derive()` runs every stage and returns a Derivation: plain data that the CLI, the verifier
and the reports only read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from derive import catalog
from derive.check import CheckResult, check_finite_differences, check_symbolic
from derive.codegen import backward_source, compile_expression, forward_source, load_functions
from derive.errors import DeriveError
from derive.graph import Graph, build_graph
from derive.kinks import kink_expressions
from derive.parse import Formula, parse_formula
from derive.rewrite import OUT, saved_form, simplify_gradient
from derive.sweep import Step, reverse_sweep

POSITIVE_DOMAIN = (0.2, 3.0)
# where a typed formula is sampled: the first range on which it is finite and real
CANDIDATE_DOMAINS = (catalog.DEFAULT_DOMAIN, POSITIVE_DOMAIN, (-1.0, 1.0), (0.2, 1.0))


@dataclass
class Derivation:
    """Everything derived for one operator or formula."""

    name: str
    text: str
    expr: sp.Basic
    inputs: list[str]
    constants: list[str]
    shapes: dict
    domains: dict
    graph: Graph
    steps: list[Step]
    raw_gradients: dict
    gradients: dict
    saved_form: dict
    forward_source: str
    backward_source: str
    conventions: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    kinks: list = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    layer: str | None = None
    description: str = ""

    @property
    def params(self) -> list[str]:
        return [*self.inputs, *self.constants]

    @property
    def saved_names(self) -> list[str]:
        return ["out"] if any(v is not None for v in self.saved_form.values()) else []

    def functions(self):
        """The compiled (forward, backward) pair."""
        if not hasattr(self, "_functions"):
            forward = load_functions(self.forward_source, self.name)["forward"]
            backward = load_functions(self.backward_source, self.name)["backward"]
            self._functions = (forward, backward)
        return self._functions

    def sample(self, rng: np.random.Generator, size=(5,)) -> dict:
        """Random float64 values for every parameter, inside the domains, away from kinks."""
        return sample_values(self, rng, size)

    def to_json(self) -> dict:
        from derive.serialize import derivation_json

        return derivation_json(self)


def derive(op: str | None = None, *, formula: str | None = None, latex: str | None = None,
           shapes: dict | None = None, constants=(), name: str | None = None,
           log_base: int | None = None, assumptions=()) -> Derivation:
    """Derive a catalog operator (`op`) or a formula typed in SymPy syntax or LaTeX
    (where \\log is natural unless `log_base` says otherwise). `assumptions` are declared as in
    the catalog; an equation (alone or after a colon, such as 'sum(t, axis=0) = 1') is used by
    the matrix rewriting."""
    if sum(x is not None for x in (op, formula, latex)) != 1:
        raise DeriveError("give exactly one of an operator name, --formula or --latex")
    if log_base is not None and latex is None:
        raise DeriveError("--log10 applies to --latex formulas only")
    if op is not None:
        entry = catalog.get(op)
        parsed = parse_formula(entry.formula, entry.shapes, where=f"catalog entry '{op}'")
        return _derive(parsed, entry.name, list(entry.inputs), list(entry.constants),
                       {n: entry.domain_of(n) for n in parsed.names if n in entry.domain},
                       entry)
    if latex is not None:
        from derive.latex import parse_latex

        parsed = parse_latex(latex, shapes or {}, log_base=log_base)
    else:
        parsed = parse_formula(formula, shapes or {})
    constants = list(dict.fromkeys(constants))  # --const t --const t: once
    for const in constants:
        if const not in parsed.names:
            raise DeriveError(f"--const {const}: '{const}' does not occur in the formula "
                              f"(names: {', '.join(parsed.names) or 'none'})")
    inputs = [n for n in parsed.names if n not in constants]
    if not inputs:
        raise DeriveError("formula: nothing to differentiate (every name is a constant)")
    derivation = _derive(parsed, name or "formula", inputs, constants, {}, None,
                         list(assumptions))
    if latex is not None:
        from derive.latex import reading_notes

        derivation.conventions[:0] = reading_notes(latex, log_base)
    return derivation


def _derive(parsed: Formula, name, inputs, constants, domains, entry,
            assumptions=()) -> Derivation:
    assumptions = [*(entry.assumptions if entry else ()), *assumptions]
    if parsed.shapes:
        from derive.matrix import derive_matrix

        return derive_matrix(parsed, name, inputs, constants, domains, entry, assumptions)
    graph = build_graph(parsed.expr, parsed.definitions)
    sweep = reverse_sweep(graph, inputs)
    symbols = {n: parsed.symbol(n) for n in parsed.names}
    domains = _infer_domains(parsed, domains)
    gradients = {n: simplify_gradient(g) for n, g in sweep.gradients.items()}
    checks = check_symbolic(parsed.expr, gradients, symbols, domains)
    saved = {n: None for n in inputs}
    if len(inputs) == 1:
        from derive.sweep import DOUT

        per_unit = simplify_gradient(gradients[inputs[0]] / DOUT)
        form = saved_form(parsed.expr, per_unit, [symbols[inputs[0]]], domains)
        saved[inputs[0]] = None if form is None else DOUT * form
    derivation = Derivation(
        name=name, text=parsed.text, expr=parsed.expr, inputs=inputs, constants=constants,
        shapes={}, domains=domains, graph=graph, steps=sweep.steps,
        raw_gradients=sweep.gradients, gradients=gradients, saved_form=saved,
        forward_source="", backward_source="",
        conventions=list(entry.conventions) if entry else [],
        assumptions=assumptions,
        kinks=kink_expressions(parsed.expr), layer=entry.layer if entry else None,
        description=entry.description if entry else "")
    derivation.forward_source = forward_source(name, str(parsed.expr), parsed.expr,
                                               derivation.params)
    derivation.backward_source = backward_source(
        name, str(parsed.expr), derivation.params, inputs, gradients, saved,
        derivation.saved_names)
    if derivation.kinks and not derivation.conventions:
        derivation.conventions.append(
            "at a kink (" + ", ".join(f"{k} = 0" for k in derivation.kinks)
            + ") the derivative of a step is taken as 0")
    forward, backward = derivation.functions()
    checks.append(check_finite_differences(forward, backward, derivation.sample, inputs,
                                           bool(derivation.saved_names)))
    derivation.checks = checks
    return derivation


def _infer_domains(parsed: Formula, declared: dict) -> dict:
    """Sampling ranges: declared ones, else the first of CANDIDATE_DOMAINS on which the
    formula is finite and real; DeriveError if there is none (it could not be checked)."""
    probe = compile_expression(parsed.expr, parsed.names, "probe")
    for candidate in CANDIDATE_DOMAINS:
        domains = {n: declared.get(n, candidate) for n in parsed.names}
        rng = np.random.default_rng(0)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = [rng.uniform(*domains[n], size=64) for n in parsed.names]
            try:
                result = np.asarray(probe(*values), dtype=complex)
            except (OverflowError, ValueError, TypeError, ZeroDivisionError):
                continue
        if np.all(np.isfinite(result)) and not np.any(np.abs(result.imag) > 0):
            return domains
    ranges = ", ".join(f"({low:g}, {high:g})" for low, high in CANDIDATE_DOMAINS)
    raise DeriveError(f"formula '{parsed.text}': not finite and real at random inputs in any of "
                      f"{ranges}, so it cannot be checked; use a formula defined for real "
                      "inputs of moderate size")


def sample_values(derivation: Derivation, rng: np.random.Generator, size=(5,)) -> dict:
    """Random values for each parameter in its domain, at least 1e-3 away from every kink."""
    names = derivation.params
    kink_fns = [compile_expression(k, names, "kink") for k in derivation.kinks]
    values = {n: rng.uniform(*derivation.domains.get(n, catalog.DEFAULT_DOMAIN), size=size)
              for n in names}
    for _ in range(100):
        bad = np.zeros(size, dtype=bool)
        for fn in kink_fns:
            gap = np.abs(np.broadcast_to(fn(*[values[n] for n in names]), size))
            bad |= gap < 1e-3 * np.maximum(1.0, gap.max())
        if not bad.any():
            break
        for n in names:
            fresh = rng.uniform(*derivation.domains.get(n, catalog.DEFAULT_DOMAIN), size=size)
            values[n] = np.where(bad, fresh, values[n])
    return values


__all__ = ["Derivation", "derive", "OUT"]
