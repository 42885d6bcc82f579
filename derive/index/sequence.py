"""derive_recurrence(): a recurrence over time read, its step's VJP derived, run through time.

The step program (derive.index.recurrence) is differentiated by the index calculus exactly as
any index formula is; so are the initial states. Back-propagation through time is the loop
derive.index.through_time writes around them. The result is an IndexDerivation whose program
is the whole formula, checked like every other against finite differences at random sizes
(numbers of time steps included) before it is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from derive.index.calculus import contributions
from derive.index.derivation import IndexDerivation, checked, parameters
from derive.index.printing import read_text
from derive.index.recurrence import Recurrence, split_recurrence
from derive.index.sampling import judging_point
from derive.index.through_time import BackwardSlips, recurrent_sources


@dataclass
class RecurrentDerivation(IndexDerivation):
    """An index derivation of a recurrence: its step's derivation, run through time."""

    recurrence: Recurrence | None = None
    step: IndexDerivation | None = None
    initial: dict = field(default_factory=dict)   # state → IndexDerivation of its initial value
    slip_sources: dict = field(default_factory=dict)  # the usual slip → its backward's source

    def gradient_text(self, name: str) -> str:
        rec, t = self.recurrence, self.recurrence.time
        parts = []
        if name in self.step.inputs:
            step = self.step.gradient_text(name)
            parts.append(f"at each step {t}, {step}" if rec.sliced.get(name) is not None
                         else f"summed over the steps {t}: {step}")
        for state, initial in self.initial.items():
            if name in initial.inputs:
                prev = rec.previous[state]
                parts.append(initial.gradient_text(name).replace("dout", f"d{prev}") +
                             f" with d{prev} what step 0 sends back")
        return "; ".join(parts)

    def steps(self) -> list[dict]:
        """Through time first (the upstream of each state at step t, from dout and from step
        t + 1), then the step's own reverse sweep, then the initial values'."""
        rec, t, found = self.recurrence, self.recurrence.time, []
        upstreams = dict(zip(self.outputs, self.program.upstreams))
        for state, prev in rec.previous.items():
            parts = [f"{upstreams[state]}[{t}]"] if state in upstreams else []
            total = " + ".join([*parts, f"d{prev} (from step {t} + 1)"])
            found.append({"node": f"{prev} at step {t} + 1 = {state} at step {t}",
                          "rule": "back-propagation through time",
                          "input": read_text(state, []),
                          "upstream": upstreams.get(state, f"d{prev}"), "local": "1",
                          "with_delta": f"d{state}[{t}] = {total}", "solved": {},
                          "conditions": [],
                          "downstream": f"{prev} is {state} at step {t} - 1: the d{prev} step "
                                        f"{t} sends back joins the upstream of {state} there",
                          "latex": ""})
        found += self.step.steps()
        for initial in self.initial.values():
            found += initial.steps()
        return found

    def judging_point(self, rng, constants: dict | None = None) -> dict:
        key = (str(rng.bit_generator.state["state"]), tuple(sorted((constants or {}).items())))
        found = self.__dict__.setdefault("_judging_points", {})
        if key not in found:
            found[key] = judging_point(self.recurrence.step, rng, constants)
        return {k: dict(v) for k, v in found[key].items()}

    def slip_backwards(self) -> dict:
        """{the usual slip, in words: the backward function that makes it}."""
        compiled = self.__dict__.setdefault("_slips", {})
        for says, source in self.slip_sources.items():
            if says not in compiled:
                namespace: dict = {}
                exec(compile(source, f"<{self.name} slip>", "exec"), namespace)  # noqa: S102
                compiled[says] = namespace["backward"]
        return compiled


def derive_recurrence(program, name: str, entry=None) -> RecurrentDerivation:
    rec = split_recurrence(program)
    _whole_ranges(rec)
    step = _part(rec.step, f"{name} (one step)")
    initial = {s: _part(p, f"{name} (initial {s})") for s, p in rec.initial.items()}
    found = {"step": step.contributions, **{s: d.contributions for s, d in initial.items()}}
    forward, backward = recurrent_sources(rec, found, name, parameters(program))
    notes = [*(entry.conventions if entry else ()), (f"back-propagation through time: the upstream of a state at step "
                            f"{rec.time} is the formula's upstream there plus what step "
                            f"{rec.time} + 1 sends back; weight gradients add up over the steps")]
    derivation = RecurrentDerivation(
        name=name, text=program.text, program=program,
        contributions=[*step.contributions, *(c for d in initial.values() for c in d.contributions)],
        forward_source=forward, backward_source=backward, conventions=notes,
        layer=entry.layer if entry else None, description=entry.description if entry else "",
        recurrence=rec, step=step, initial=initial,
        slip_sources=_slip_sources(rec, found, name, program))
    return checked(derivation, rec.step)


def _part(program, name: str) -> IndexDerivation:
    """A step or an initial value as an index derivation of its own (no code of its own)."""
    return IndexDerivation(name=name, text=program.text, program=program,
                           contributions=contributions(program) if program.inputs else [],
                           forward_source="", backward_source="")


def _whole_ranges(rec: Recurrence) -> None:
    """The whole formula's statements get the step's ranges and the time index's."""
    steps = {s.target: s for s in rec.step.statements}
    for statement in rec.program.statements:
        if statement.initial is None:
            ranges = {**steps[statement.target].ranges, rec.time: rec.length}
            statement.ranges = {i: ranges[i] for i in statement.loop}
        else:
            statement.ranges = dict(rec.initial[statement.target].statements[0].ranges)


def _slip_sources(rec: Recurrence, found: dict, name: str, program) -> dict:
    t, sources = rec.time, {}
    for state, prev in rec.previous.items():
        says = (f"the gradient of the state {state} is not accumulated across time: at step "
                f"{t} it uses only the upstream there, without adding d{prev}, the gradient "
                f"step {t} + 1 sends back to {state}")
        sources[says] = recurrent_sources(rec, found, name, parameters(program),
                                          BackwardSlips(uncarried=state))[1]
    given = [n for p in rec.initial.values() for n in p.inputs]
    if given:
        says = (f"d{given[0]} is the gradient of the state at step 0 taken before step 0's own "
                f"backward (one step short): d{given[0]} is what step 0 sends back")
        sources[says] = recurrent_sources(rec, found, name, parameters(program),
                                          BackwardSlips(short_initial=True))[1]
    return sources
