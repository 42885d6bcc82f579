"""A recurrence over time split into its parts: initial states and the program of one step.

    h[n,-1,k] = h0[n,k]
    h[n,t,k] = tanh(sum(x[n,t,d]*Wx[d,k], d) + sum(h[n,t-1,j]*Wh[j,k], j) + b[k])

A statement with -1 on its left-hand side gives a state's value before the first step (the
axis written -1 is the time axis); every other statement runs at each time step t (one name
for the time index throughout). The step program drops the time axis: a state read at t - 1
becomes an input `prev_h` (its previous value), a tensor read at t its slice at t (x[n,t,d] →
x[n,d]), tensors without a time axis (the weights) are read whole. Its VJP is derived by the
index calculus like any other program; back-propagation through time (derive.index.through_time)
runs it backwards over t. Nothing here knows about code or printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.sympify import _sympify

from derive.errors import DeriveError
from derive.index.program import Program, Statement, tensor_name
from derive.index.ranges import infer_ranges


@dataclass
class Recurrence:
    """The parts of a recurrence: its step, its initial states, what is sliced by time."""

    program: Program                 # the whole formula, as read
    time: sp.Symbol                  # the time index (t)
    axis: int                        # the time axis of the states
    previous: dict                   # state → the step's input holding its previous value
    sliced: dict                     # input → its time axis (x: 1)
    step: Program                    # one time step
    initial: dict                    # state → Program computing its previous value before t=0
    time_axes: dict = field(default_factory=dict)  # every tensor with a time axis → that axis
    length: sp.Expr = sp.S.One       # the number of steps (the size of a sliced axis)

    @property
    def states(self) -> list[str]:
        return list(self.previous)

    @property
    def step_outputs(self) -> list[str]:
        """What one step returns: the formula's outputs, then the states not among them."""
        outputs = self.program.output_names
        return [*outputs, *(s for s in self.states if s not in outputs)]


def is_recurrence(program: Program) -> bool:
    return bool(program.states)


def split_recurrence(program: Program) -> Recurrence:
    """The step program and initial states of a recurrence (DeriveError for what is not one)."""
    where = "formula: recurrence"
    initial = program.states
    axis = initial[0].initial
    steps = {s.target: s for s in program.statements if s.initial is None}
    for clause in initial:
        if clause.target not in steps:
            raise DeriveError(f"{where}: the state {clause.target} has an initial value but no "
                              f"statement computing it at each time step")
    times = {steps[c.target].indices[axis] for c in initial}
    if len(times) != 1:
        raise DeriveError(f"{where}: the states use different time indices "
                          f"({', '.join(sorted(map(str, times)))}); use one name throughout")
    time = times.pop()
    if any(t.name == time.name for c in initial for t in c.indices):
        raise DeriveError(f"{where}: the initial state cannot use the time index {time}")
    previous = {c.target: _fresh("prev_" + c.target, program) for c in initial}
    recurrence = Recurrence(program, time, axis, previous, {}, None, {})
    statements, done = [], set()
    for statement in program.statements:
        if statement.initial is not None:
            continue
        if time not in statement.indices:
            raise DeriveError(f"{where}: {statement.target} does not run over the time index "
                              f"{time}: every statement after the initial states computes one "
                              "value per time step")
        if statement.merged:
            raise DeriveError(f"{where}: {statement.target} merges axes; merge them after the "
                              "recurrence")
        position = statement.indices.index(time)
        if statement.target in previous and position != axis:
            raise DeriveError(f"{where}: {statement.target} has its time index on another axis "
                              "than its initial state's -1")
        body = _step_body(recurrence, statement, done)
        recurrence.time_axes[statement.target] = position
        statements.append(Statement(statement.target, _without(statement.indices, position),
                                    statement.kind, body, statement.reduce,
                                    dict(statement.bounds)))
        done.add(statement.target)
    recurrence.initial = {c.target: _initial_program(recurrence, c) for c in initial}
    known = {s: p.shape_of(p.statements[0].target) for s, p in recurrence.initial.items()
             if p.statements[0].ranges}
    recurrence.step = _step_program(recurrence, statements, known)
    for state, prev in previous.items():
        _shape_from_steps(recurrence.initial[state], recurrence.step.shapes[prev])
    return recurrence


def _without(items, position) -> tuple:
    return tuple(item for k, item in enumerate(items) if k != position)


def _fresh(name: str, program: Program) -> str:
    taken = {*program.shapes, *program.constants, *(s.target for s in program.statements)}
    base, k = name, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


def _step_body(recurrence: Recurrence, statement: Statement, done: set) -> sp.Expr:
    """The body at one time step: each read with its time axis dropped (see the module)."""
    time, where = recurrence.time, f"formula: recurrence: in {statement.target}"
    replacements = {}
    for read in statement.reads():
        name = tensor_name(read)
        indices = list(read.indices)
        if name in recurrence.previous:
            axis, lag = recurrence.axis, indices[recurrence.axis] - time
            if lag == -1:
                replacements[read] = _read(recurrence.previous[name], _without(indices, axis))
                continue
            if lag != 0 or name not in done:
                raise DeriveError(f"{where}: the state {name} is read at {indices[axis]}; a "
                                  f"step reads a state at {time} - 1 (or at {time} once it is "
                                  "computed)")
        elif name in recurrence.time_axes:
            axis = recurrence.time_axes[name]
            if indices[axis] != time:
                raise DeriveError(f"{where}: {name} is read at {indices[axis]}; a step reads "
                                  f"the values of other steps only through a state at "
                                  f"{time} - 1")
        else:
            axis = _input_time_axis(recurrence, read, where)
            if axis is None:
                replacements[read] = read
                continue
        rest = _without(indices, axis)
        if any(time in _sympify(i).free_symbols for i in rest):
            raise DeriveError(f"{where}: {read} uses the time index {time} on another axis")
        replacements[read] = _read(name, rest)
    return statement.body.xreplace(replacements)


def _input_time_axis(recurrence: Recurrence, read, where) -> int | None:
    """The axis an input is read at t along (the same for every read of it), or None."""
    name, time = tensor_name(read), recurrence.time
    axes = [k for k, i in enumerate(read.indices) if time in _sympify(i).free_symbols]
    if len(axes) > 1 or (axes and read.indices[axes[0]] != time):
        raise DeriveError(f"{where}: {read}: an input is read at the time index {time} "
                          "itself, on one axis")
    axis = axes[0] if axes else None
    if recurrence.sliced.setdefault(name, axis) != axis:
        raise DeriveError(f"{where}: {name} is read along time in one place and not in "
                          "another")
    return axis


def _read(name: str, indices) -> sp.Expr:
    return sp.Indexed(sp.IndexedBase(name), *indices) if indices else sp.Symbol(name)


def _step_program(recurrence: Recurrence, statements: list, known: dict) -> Program:
    """The program of one step, its ranges inferred; a previous state's shape is its initial
    value's (`known`) or, for a constant initial value, the shape its step computes."""
    program = recurrence.program
    shapes = {}
    for name, dims in program.shapes.items():
        axis = recurrence.sliced.get(name)
        shapes[name] = dims if axis is None else _without(dims, axis)
    lengths = {program.shapes[n][a] for n, a in recurrence.sliced.items() if a is not None}
    if not lengths:
        raise DeriveError("formula: recurrence: no input is read at the time index "
                          f"{recurrence.time}, so nothing gives the number of steps")
    if len(lengths) > 1:
        raise DeriveError("formula: recurrence: the inputs read along time have different "
                          f"lengths ({', '.join(sorted(map(str, lengths)))})")
    recurrence.length = lengths.pop()
    for state, prev in recurrence.previous.items():
        if not _used(prev, statements):
            raise DeriveError(f"formula: recurrence: no step reads the state {state} at "
                              f"{recurrence.time} - 1, so it is not a recurrence")
        if state in known:
            shapes[prev] = known[state]
    inputs = [n for n in program.inputs if n in shapes and _used(n, statements)]
    step = Program(program.text, statements, shapes, inputs, list(program.constants),
                   dict(program.integer_constants), list(program.scalar_constants),
                   list(program.sizes), outputs=[])
    step.inputs += list(recurrence.previous.values())
    infer_ranges(step)
    for state, prev in recurrence.previous.items():
        computed = step.shape_of(state)
        given = step.shapes.setdefault(prev, computed)
        if len(given) != len(computed) or any(sp.simplify(a - b) != 0
                                              for a, b in zip(given, computed)):
            raise DeriveError(f"formula: recurrence: the initial value of {state} has shape "
                              f"({', '.join(map(str, given))}), its steps compute "
                              f"({', '.join(map(str, computed))})")
    outputs = recurrence.step_outputs
    step.outputs = outputs if len(outputs) > 1 else []
    step.shapes = {n: d for n, d in step.shapes.items() if _used(n, statements)}
    return step


def _used(name: str, statements: list) -> bool:
    return any(tensor_name(r) == name for s in statements for r in s.reads())


def _initial_program(recurrence: Recurrence, clause: Statement) -> Program:
    """`prev_h[n,k] = h0[n,k]`: the state before the first step (ranges from its reads)."""
    program = recurrence.program
    statement = Statement(recurrence.previous[clause.target], clause.indices, "map",
                          clause.body)
    reads = [tensor_name(r) for r in statement.reads()]
    if any(n not in program.shapes for n in reads):
        raise DeriveError(f"formula: recurrence: the initial value of {clause.target} reads "
                          "a tensor the formula computes; give it an input or a constant")
    initial = Program(program.text, [statement], {n: program.shapes[n] for n in reads},
                      [n for n in program.inputs if n in reads], list(program.constants),
                      dict(program.integer_constants), list(program.scalar_constants),
                      list(program.sizes))
    read_indices = set().union(*(r.free_symbols for r in statement.reads())) if reads else set()
    if set(clause.indices) <= read_indices:
        infer_ranges(initial)
    return initial


def _shape_from_steps(initial: Program, shape: tuple) -> None:
    """A constant initial value (`c[n,-1,k] = 0`) takes the shape its steps compute."""
    statement = initial.statements[0]
    if not statement.ranges:
        statement.ranges = dict(zip(statement.indices, shape))
