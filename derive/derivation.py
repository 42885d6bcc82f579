"""A Derivation: everything derived for one operator or formula, as plain data.

`derive.pipeline.derive()` fills it; the CLI, the verifier and the reports only read it. The
matrix fields (`shapes`, `identities`, `invertible`) are empty for a formula without
matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from derive.errors import DeriveError
from derive.graph import Graph
from derive.printers.code import load_source
from derive.richdisplay import RichDisplay
from derive.sampling import sample_values
from derive.selfcheck import CheckResult
from derive.sweep import Step, own_local_forms


@dataclass
class Derivation(RichDisplay):
    """Everything derived for one operator or formula. `identities` are the declared
    equalities the simplifier used, `invertible` the matrices the formula inverts or takes
    the determinant of (sampling.Invertible)."""

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
    identities: dict = field(default_factory=dict)
    invertible: list = field(default_factory=list)
    intermediates: dict = field(default_factory=dict)  # name -> value, in earlier names
    rewrites: list = field(default_factory=list)  # simplify.compact.Rewrite: long → compact
    kept: dict = field(default_factory=dict)  # name -> value forward keeps for backward (mask)
    kept_form: dict = field(default_factory=dict)  # input -> gradient in the kept names, or None

    @property
    def params(self) -> list[str]:
        return [*self.inputs, *self.constants]

    @property
    def saved_names(self) -> list[str]:
        """The saved values backward may be given: the named intermediates its saved forms
        use (mu, var, xhat), else `out` when a saved form uses the output and the values
        forward keeps for it (`kept`: a mask x > 0, x − t)."""
        if self.intermediates:
            return list(self.intermediates)
        out = ["out"] if any(v is not None for v in self.saved_form.values()) else []
        return [*out, *self.kept]

    def backward_form(self, name: str):
        """The gradient of `name` as backward computes it from saved values (the kept values
        such as a mask, the output), or None where it reads none."""
        kept = self.kept_form.get(name)
        return kept if kept is not None else self.saved_form.get(name)

    def inlined(self, expr):
        """`expr` with the named intermediates it uses written in the inputs."""
        from derive.simplify.compact import inline_names

        return inline_names(expr, self.intermediates)

    @property
    def teaching(self) -> dict:
        """name -> derive.teaching.Lesson: the checked rewrites from the swept gradient to the
        textbook form, worked out on first use (the reports read them)."""
        if "_teaching" not in self.__dict__:
            from derive.teaching import teach

            self._teaching = teach(self)
        return self._teaching

    def functions(self, backend: str = "numpy"):
        """The compiled (forward, backward) pair; backend="numexpr" evaluates an elementwise
        backward with numexpr (the optional extra derive[fused], see derive.codegen.fused)."""
        if "_functions" not in self.__dict__:
            forward = load_source(self.forward_source, self.name)["forward"]
            backward = load_source(self.backward_source, self.name)["backward"]
            self._functions = (forward, backward)
        if backend == "numexpr":
            from derive.codegen.fused import numexpr_backward

            return self._functions[0], numexpr_backward(self)
        if backend != "numpy":
            raise DeriveError(f"unknown backend '{backend}' (known: numpy, numexpr)")
        return self._functions

    def saved_values(self, values: dict) -> dict:
        """The saved values backward may be given (saved_names), computed by the generated
        forward from `values`: `out`, and the values forward keeps (forward_saved)."""
        forward = self.functions()[0]
        saved = {"out": forward(**values)} if "out" in self.saved_names else {}
        if self.kept:
            if "_forward_saved" not in self.__dict__:
                self._forward_saved = load_source(self.forward_source,
                                                  self.name)["forward_saved"]
            saved.update(self._forward_saved(**values)[1])
        return saved

    def sample(self, rng: np.random.Generator, sizes: dict | None = None,
               entries: tuple = (5,)) -> dict:
        """Random float64 values for every parameter (derive.sampling.sample_values)."""
        return sample_values(self, rng, sizes, entries)

    @property
    def worked_case(self) -> list:
        """The tutorial's entry-by-entry case at size 2 (selfcheck.worked), worked out on
        first use: the reports and --json show it, verifying a layer does not need it."""
        if "_worked_case" not in self.__dict__:
            from derive.selfcheck.worked import worked_case

            self._worked_case = worked_case(self) if self.shapes else []
        return self._worked_case

    @property
    def local_forms(self) -> dict:
        """(node id, input) -> the step's local derivative in the node's own placeholders,
        then through the node's output where simpler (sweep.own_local_forms); worked out
        on first use, for the reports."""
        if "_local_forms" not in self.__dict__:
            self._local_forms = {(s.node_id, s.input): own_local_forms(
                self.graph.node(s.node_id), s.input) for s in self.steps}
        return self._local_forms

    def to_json(self) -> dict:
        from derive.serialize import derivation_json

        return derivation_json(self)

    def __getstate__(self):
        compiled = ("_functions", "_sampling_functions", "_forward_saved")
        return {k: v for k, v in self.__dict__.items() if k not in compiled}
