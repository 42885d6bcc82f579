"""derive_program(): an index formula read, its VJPs derived, compiled and checked.

The result, an IndexDerivation, is plain data with the keys `derive show --json` promises
(inputs, constants, gradients as text, steps, forward_source, backward_source) and the index
derivation itself: each step records the sum with its Kronecker delta, the equations solved
and the conditions left, in text and LaTeX.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.sympify import _sympify

from derive.errors import DeriveError
from derive.index.backward import backward_source
from derive.index.calculus import Contribution, composed, contributions, gradient_name
from derive.index.checks import check_points, finite_difference_check
from derive.index.codegen import forward_source
from derive.index.printing import (
    condition_text,
    contribution_latex,
    contribution_text,
    delta_text,
    program_text,
    read_text,
    statement_latex,
    statement_text,
    text,
)
from derive.index.program import Program
from derive.index.ranges import infer_ranges
from derive.index.reader import read_program
from derive.index.sampling import judging_point, judging_values


@dataclass
class IndexDerivation:
    """Everything derived for one index-notation formula or catalog operator."""

    name: str
    text: str
    program: Program
    contributions: list
    forward_source: str
    backward_source: str
    checks: list = field(default_factory=list)
    conventions: list = field(default_factory=list)
    example: dict = field(default_factory=dict)
    layer: str | None = None
    description: str = ""

    @property
    def inputs(self) -> list:
        return list(self.program.inputs)

    @property
    def outputs(self) -> list:
        return self.program.output_names

    @property
    def constants(self) -> list:
        return list(self.program.constants)

    @property
    def formula(self) -> str:
        return program_text(self.program)

    def gradient_chain(self, name: str) -> list[Contribution]:
        """The contributions that make dA, intermediate gradients they use first, a padded
        tensor's contributions composed with the crop."""
        chain: list[Contribution] = []
        self._collect(gradient_name(self.program, name), chain, set())
        return chain

    def gradient_text(self, name: str) -> str:
        return "; ".join(contribution_text(c) for c in self.gradient_chain(name))

    def _collect(self, gradient, chain, seen):
        if gradient in seen or gradient == "dout":
            return
        seen.add(gradient)
        mine = []
        for c in self.contributions:
            if c.gradient != gradient:
                continue
            inner = [o for o in self.contributions if c.statement.kind == "pad"
                     and o.gradient == c.upstream_name]
            mine.extend([composed(c, o) for o in inner] or [c])
        for c in mine:
            for base in {str(r.base.label) for r in c.summand.atoms(sp.Indexed)}:
                if base != gradient and any(o.gradient == base for o in self.contributions):
                    self._collect(base, chain, seen)
        chain.extend(mine)

    @property
    def gradients(self) -> dict:
        return {n: self.gradient_text(n) for n in self.inputs}

    def functions(self):
        """The compiled (forward, backward) pair."""
        forward_ns, backward_ns = {}, {}
        exec(compile(self.forward_source, f"<{self.name} forward>", "exec"), forward_ns)  # noqa: S102
        exec(compile(self.backward_source, f"<{self.name} backward>", "exec"), backward_ns)  # noqa: S102
        return forward_ns["forward"], backward_ns["backward"]

    def steps(self) -> list[dict]:
        return [step_json(c) for c in self.contributions]

    # what derive.verify reads of a derivation, as of the engine's Derivation
    @property
    def params(self) -> list:
        return [*self.inputs, *self.constants]

    @property
    def shapes(self) -> dict:
        return dict(self.program.shapes)

    @property
    def saved_form(self) -> dict:
        return dict.fromkeys(self.inputs)

    domains = property(lambda self: {})
    kinks = property(lambda self: [])
    saved_names = property(lambda self: [])  # backward recomputes what it needs
    assumptions = property(lambda self: [])
    expr = None

    def judging_point(self, rng, constants: dict | None = None) -> dict:
        """Sizes and integer constants a hand-written layer is judged at (index.sampling);
        found once per generator state (finding one substitutes into SymPy sizes)."""
        key = (str(rng.bit_generator.state["state"]), tuple(sorted((constants or {}).items())))
        found = self.__dict__.setdefault("_judging_points", {})
        if key not in found:
            found[key] = judging_point(self.program, rng, constants)
        return copy.deepcopy(found[key])

    def sample(self, rng, point: dict | None = None) -> dict:
        """Random values for every parameter at `point` (by default a judging point)."""
        return judging_values(self.program, rng, point or self.judging_point(rng))

    def to_json(self) -> dict:
        program = self.program
        return {
            "name": self.name, "kind": "index", "formula": self.formula,
            "formula_as_typed": self.text,
            "latex": r" \\ ".join(statement_latex(s) for s in program.statements),
            "gradients_latex": {n: [contribution_latex(c) for c in self.gradient_chain(n)]
                                for n in self.inputs},
            "inputs": self.inputs, "constants": self.constants,
            "integer_constants": {n: v for n, v in program.integer_constants.items()},
            "shapes": {n: [text(d) for d in dims] for n, dims in program.shapes.items()},
            "output_shape": [text(d) for d in program.shape_of(program.output.target)],
            "outputs": program.output_names,
            "output_shapes": {n: [text(d) for d in program.shape_of(n)]
                              for n in program.output_names},
            "gradients": self.gradients,
            "saved_form": {n: None for n in self.inputs}, "saved_values": self.saved_names,
            "forward_source": self.forward_source, "backward_source": self.backward_source,
            "steps": self.steps(), "conventions": list(self.conventions),
            "assumptions": self.assumptions,
            "checks": self.checks, "example": self.example, "layer": self.layer,
            "description": self.description,
        }


def step_json(c: Contribution) -> dict:
    """One step: upstream × ∂body/∂read, summed with the delta, then the delta eliminated."""
    return {
        "node": statement_text(c.statement), "rule": c.rule,
        "input": read_text(str(c.read.base.label), c.read.indices),
        "upstream": c.upstream_name,
        "local": text(c.local),
        "with_delta": delta_text(c),
        "solved": {str(k): text(v) for k, v in c.solved.items() if k != v},
        "conditions": [condition_text(k) for k in c.conditions],
        "downstream": contribution_text(c),
        "latex": contribution_latex(c),
    }


def parameters(program: Program) -> tuple[str, str]:
    """The signatures of forward and backward: inputs, constants, then integer constants
    (those given a value default to it)."""
    plain = [*program.shapes, *program.scalar_constants,
             *(n for n, v in program.integer_constants.items() if v is None)]
    defaults = [f"{n}={v}" for n, v in program.integer_constants.items() if v is not None]
    names = ", ".join([*plain, *defaults])
    return f"{names}, **_saved", f"{', '.join(program.upstreams)}, {names}, **_saved"


def read_formula(text_: str, shapes: dict, constants: dict, name: str = "formula",
                 entry=None) -> Program:
    """Read an index formula, with a catalog entry's input order and outputs."""
    program = read_program(text_, shapes, constants,
                           where=f"catalog entry '{name}'" if entry else "formula")
    if entry is not None:
        if sorted(entry.inputs) != sorted(program.inputs):
            raise DeriveError(f"catalog entry '{name}': inputs {list(entry.inputs)} are not "
                              f"the formula's tensors {program.inputs}")
        program.inputs = list(entry.inputs)
        program.outputs = list(entry.outputs)
    unknown = [n for n in program.outputs if program.defined(n) is None]
    if unknown:
        raise DeriveError(f"{'catalog entry ' + repr(name) if entry else 'formula'}: output "
                          f"'{unknown[0]}' is not assigned by any statement")
    return program


def derive_program(program: Program, name: str = "formula", entry=None) -> IndexDerivation:
    """Derive, compile and check a read index formula (see derive.index)."""
    infer_ranges(program)
    found = contributions(program)
    forward_params, backward_params = parameters(program)
    derivation = IndexDerivation(
        name=name, text=program.text, program=program, contributions=found,
        forward_source=forward_source(program, name, forward_params),
        backward_source=backward_source(program, found, name, backward_params),
        conventions=_conventions(program, entry),
        layer=entry.layer if entry else None,
        description=entry.description if entry else "")
    return checked(derivation, program)


def checked(derivation: IndexDerivation, sized: Program) -> IndexDerivation:
    """The derivation's forward/backward against finite differences at random points of the
    sizes and constants `sized` (its program, or a recurrence's step) is valid at."""
    program = derivation.program
    rng = np.random.default_rng(0)
    points = check_points(sized, rng)
    forward, backward = derivation.functions()
    with np.errstate(all="raise"):
        worst = finite_difference_check(program, forward, backward, points, rng)
    derivation.checks = [{"name": "finite_difference",
                          "detail": f"{len(points)} random points, sizes and constants "
                                    f"{[{**p['sizes'], **p['constants']} for p in points]}",
                          "max_error": worst}]
    first = points[0]
    sizes = {sp.Symbol(n, integer=True, positive=True): v for n, v in first["sizes"].items()}
    derivation.example = {
        "shapes": {n: [int(_sympify(d).subs(sizes)) for d in dims]
                   for n, dims in program.shapes.items()},
        "constants": dict(first["constants"])}
    return derivation


def _conventions(program: Program, entry) -> list[str]:
    notes = list(entry.conventions) if entry else []
    kinds = {s.kind for s in program.statements}
    if kinds & {"max", "min"}:
        notes.append("max/min: the gradient goes to the first arg-max (arg-min) of each "
                     "reduction, in row-major order of its indices (numpy's argmax)")
    if "pad" in kinds:
        notes.append("pad: reads outside the unpadded tensor are zero; its gradient is the "
                     "padded gradient with the border cropped")
    return notes
