"""NumPy source for a recurrence: a loop over time steps only, each step vectorised.

The step's forward and backward are generated from the step program like any index program
(`_step_forward`, `_step_backward`); `forward` runs the step over t = 0 … T−1 from the initial
states, and `backward` is back-propagation through time: it runs forward again keeping the
states each step started from, then goes over t = T−1 … 0, where the upstream of a state at
step t is the formula's upstream at t plus the gradient step t+1 sent back to it, adds each
step's weight gradients, writes its input slice's, and passes the state gradient on; after
step 0 the initial values' VJP turns it into the gradient of h0.

`BackwardSlips` generates the same backward with one of the usual mistakes made (a state's
gradient not carried from step t+1, the initial state's gradient taken one step short), so the
verifier can name them: they are this code with a flag, for every recurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from derive.index.backward import backward_source, read_values
from derive.index.calculus import gradient_name
from derive.index.codegen import emit_statement, forward_source
from derive.index.printing import text
from derive.index.program import Program
from derive.index.recurrence import Recurrence
from derive.index.views import subscript
from derive.index.writer import Writer


@dataclass(frozen=True)
class BackwardSlips:
    """Which usual mistake a generated backward makes (none by default)."""

    uncarried: str | None = None     # this state's gradient is not carried back through time
    short_initial: bool = False      # the initial state's gradient skips step 0's VJP


def step_parameters(program: Program, given=()) -> tuple[str, str]:
    names = ", ".join([*program.shapes, *given, *program.scalar_constants,
                       *program.integer_constants])
    return f"{names}, **_saved", f"{', '.join(program.upstreams)}, {names}, **_saved"


def kept_values(rec: Recurrence, found: list) -> list[str]:
    """What the forward pass keeps of each step for its backward: the values the step's VJP
    reads, and the step's outputs (the states carried to the next step)."""
    read = set(read_values(rec.step, found)) | set(rec.step_outputs)
    return [s.target for s in rec.step.statements if s.target in read]


def recurrent_sources(rec: Recurrence, found: dict, name: str, parameters: tuple,
                      slips: BackwardSlips = BackwardSlips()) -> tuple[str, str]:
    """(forward source, backward source); `found`: "step" and each state → contributions."""
    kept = kept_values(rec, found["step"])
    given = [k for k in kept if k in read_values(rec.step, found["step"])]
    step_forward = step_parameters(rec.step)[0]
    stepping = forward_source(rec.step, f"{name} (one step)", step_forward, "_step_forward")
    keeping = forward_source(replace(rec.step, outputs=kept), f"{name} (one step)",
                             step_forward, "_step_values")
    helpers = [keeping, backward_source(rec.step, found["step"], f"{name} (one step)",
                                        step_parameters(rec.step, given)[1], "_step_backward",
                                        given)]
    for state, initial in rec.initial.items():
        if initial.inputs:
            helpers.append(backward_source(initial, found[state], f"{name} (initial {state})",
                                           step_parameters(initial)[1],
                                           f"_initial_{state}_backward"))
    forward = _outer(rec, name, "forward", parameters[0], _forward_lines(rec))
    backward = _outer(rec, name, "backward", parameters[1],
                      _backward_lines(rec, slips, kept, given))
    return _module([stepping], forward), _module(helpers, backward)


def _module(helpers: list[str], main: str) -> str:
    body = [h.removeprefix("import numpy\n\n\n") for h in helpers]
    return "import numpy\n\n\n" + "\n\n".join(body) + "\n\n" + main


def _outer(rec: Recurrence, name: str, kind: str, parameters: str, lines) -> str:
    doc = (f'    """{kind.capitalize()} of {name}: the step run over {rec.time} (a loop over '
           'time steps only)."""')
    return "\n".join([f"def {kind}({parameters}):", doc, *lines, ""])


class _Lines(Writer):
    """The outer function's lines: the formula's header, then the loop over time."""

    def __init__(self, rec: Recurrence):
        super().__init__(rec.program)
        self.rec = rec
        self.header()

    def initial_states(self):
        for initial in self.rec.initial.values():
            writer = Writer(initial)
            writer.depth, writer.range_names = self.depth, self.range_names
            emit_statement(writer, initial.statements[0])
            self.lines += writer.lines

    def at(self, tensor: str, axis: int) -> str:
        return subscript(tensor, [":"] * axis + [self.rec.time.name])

    def step_call(self, function: str, upstreams=(), given=None) -> str:
        """A call of the step at t: sliced inputs at t, the previous states; with `given`
        (a backward), the states as kept and the values given from the forward pass."""
        rec, args = self.rec, list(upstreams)
        previous = set(rec.previous.values())
        for arg in rec.step.shapes:
            if arg in previous and given is not None:
                args.append(f"{arg}={arg}_at[{rec.time.name}]")
            elif rec.sliced.get(arg) is not None:
                args.append(f"{arg}={self.at(arg, rec.sliced[arg])}")
            else:
                args.append(f"{arg}={arg}")
        args += [f"{v}={v}_{rec.time.name}" for v in given or ()]
        args += [f"{c}={c}" for c in [*rec.step.scalar_constants, *rec.step.integer_constants]]
        return f"{function}({', '.join(args)})"

    def output_shape(self, tensor: str) -> str:
        rec = self.rec
        dims = [text(self.range_names.get(d, d)) for d in rec.step.shape_of(tensor)]
        dims.insert(rec.time_axes[tensor], text(rec.length))
        return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    def dtype(self):
        self.emit(f"dtype = numpy.result_type({', '.join([*self.rec.program.shapes, '1.0'])})")


def _forward_lines(rec: Recurrence) -> list[str]:
    w = _Lines(rec)
    w.initial_states()
    w.dtype()
    outputs = rec.program.output_names
    for out in outputs:
        w.emit(f"{out} = numpy.empty({w.output_shape(out)}, dtype)")
    _forward_loop(w)
    w.emit(f"return {', '.join(outputs)}")
    return w.lines


def _forward_loop(w: _Lines, kept=None) -> None:
    """The loop over time: each step from the previous states; with `kept`, the states each
    step starts from and the values its backward reads are kept per step."""
    rec, t = w.rec, w.rec.time.name
    results = [f"{o}_{t}" for o in (kept or rec.step_outputs)]
    if kept:
        for prev in rec.previous.values():
            w.emit(f"{prev}_at = []  # the state each step starts from")
        w.emit("_kept = []  # what each step's backward reads")
    w.emit(f"for {t} in range({text(rec.length)}):")
    w.depth += 1
    if kept:
        for prev in rec.previous.values():
            w.emit(f"{prev}_at.append({prev})")
        w.emit(f"{', '.join(results)} = {w.step_call('_step_values')}")
        w.emit(f"_kept.append({results[0] if len(results) == 1 else '(' + ', '.join(results) + ')'})")
    else:
        w.emit(f"{', '.join(results)} = {w.step_call('_step_forward')}")
        for out in rec.program.output_names:
            w.emit(f"{w.at(out, rec.time_axes[out])} = {out}_{t}")
    for state, prev in rec.previous.items():
        w.emit(f"{prev} = {state}_{t}")
    w.depth -= 1


def _backward_lines(rec: Recurrence, slips: BackwardSlips, kept: list, given: list) -> list[str]:
    w = _Lines(rec)
    program, t = rec.program, rec.time.name
    for upstream in program.upstreams:
        w.emit(f"{upstream} = numpy.asarray({upstream})")
    w.initial_states()
    _forward_loop(w, kept)
    w.dtype()
    for name in program.inputs:
        w.emit(f"{gradient_name(program, name)} = numpy.zeros({name}.shape, dtype)")
    for state, prev in rec.previous.items():
        w.emit(f"d{prev} = numpy.zeros({prev}.shape, dtype)  # sent back by step {t} + 1")
    w.emit(f"for {t} in reversed(range({text(rec.length)})):")
    w.depth += 1
    upstreams = []
    for out in rec.step_outputs:
        parts = []
        if out in program.output_names:
            parts.append(w.at(gradient_name(program, out), rec.time_axes[out]))
        if out in rec.previous and slips.uncarried != out:
            parts.append(f"d{rec.previous[out]}")
        upstreams.append(" + ".join(parts) or f"numpy.zeros_like({rec.previous[out]})")
    if slips.short_initial:
        w.emit(f"_upstreams = [{', '.join(upstreams)}]")
        upstreams = [f"_upstreams[{k}]" for k in range(len(upstreams))]
    w.emit(f"{', '.join(f'{k}_{t}' for k in kept)} = _kept[{t}]")
    w.emit(f"_grads = {w.step_call('_step_backward', upstreams, given)}")
    for name in rec.step.inputs:
        grad = f"_grads['{name}']"
        if name in rec.previous.values():
            w.emit(f"d{name} = {grad}")
        elif rec.sliced.get(name) is not None:
            w.emit(f"{w.at(gradient_name(program, name), rec.sliced[name])} += {grad}")
        else:
            w.emit(f"{gradient_name(program, name)} += {grad}")
    if slips.short_initial:  # the state's gradient at step 0, before step 0's own VJP
        for k, out in enumerate(rec.step_outputs):
            if out in rec.previous:
                w.emit(f"if {t} == 0:")
                w.emit(f"    d{rec.previous[out]} = _upstreams[{k}]")
    w.depth -= 1
    for state, initial in rec.initial.items():
        if not initial.inputs:
            continue
        prev = rec.previous[state]
        values = ", ".join(f"{n}={n}" for n in [*initial.shapes, *initial.scalar_constants,
                                                *initial.integer_constants])
        w.emit(f"_grads = _initial_{state}_backward(d{prev}, {values})")
        for name in initial.inputs:
            w.emit(f"{gradient_name(program, name)} += _grads['{name}']")
    result = ", ".join(f"'{n}': {gradient_name(program, n)}" for n in program.inputs)
    w.emit(f"return {{{result}}}")
    return w.lines
