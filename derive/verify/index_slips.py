"""The usual slips of an index operator's backward, evaluated from its own program.

Each slip is what a hand-written backward returns when it makes a mistake learners make with
windows, and is computed from the derived program, never typed in per operator:
- a `max` (`min`) reduction whose upstream goes to every element of the window (the VJP of
  the same program with `sum`), a `mean` that is not divided by the window size;
- a kernel used unflipped (or flipped twice): the VJP with a tensor read through window
  offsets (w[f, c, p, q] beside xp[n, c, s*i + p, ...]) reversed along those axes;
- the gradient of a padded tensor returned uncropped (the VJP on the padded input, pad 0);
- a constant tensor ignored (a mask): the VJP with it all ones;
- for a recurrence over time, the backward generated with a state's gradient not carried back
  from step t+1, or the initial state's gradient taken one step short (derive.index.through_time).
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from derive.errors import DeriveError
from derive.index.printing import program_text, text
from derive.index.program import affine_parts, tensor_name

SPREAD = {"max": ("sum", ("it sends the upstream gradient to every element of the window "
                 "instead of only to the window's maximum (the arg-max)")),
          "min": ("sum", ("it sends the upstream gradient to every element of the window "
                 "instead of only to the window's minimum (the arg-min)")),
          "mean": ("sum", "it does not divide the upstream gradient by the window size")}


def index_slips(derivation, name: str, values: dict, dout) -> dict:
    """{what the slip is: the gradient for `name` it gives} for an index derivation."""
    program = getattr(derivation, "program", None)
    if program is None:
        return {}
    found = {}
    _, backward = derivation.functions()
    dout = np.asarray(dout, dtype=float)
    for says, other in _reduction_slips(derivation):
        _add(found, says, lambda other=other: other.functions()[1](dout, **values)[name])
    for kernel, axes in window_axes(program).items():
        if kernel != name:
            flipped = {**values, kernel: np.flip(values[kernel], axis=axes)}
            _add(found, f"it uses the kernel {kernel} unflipped (or flipped twice): d{name} is "
                        f"the correlation of dout with {kernel} flipped along its window axes",
                 lambda flipped=flipped: backward(dout, **flipped)[name])
    for source, width in _padded(program):
        if source == name and isinstance(values.get(width), int) and values[width] > 0:
            padded = _pad_like(values[name], values[width], program, source)
            _add(found, f"it returns the gradient of the padded {name}: the padding "
                        f"({width} = {values[width]}) is not cropped from d{name}",
                 lambda padded=padded, width=width: backward(
                     dout, **{**values, name: padded, width: 0})[name])
    for says, other in getattr(derivation, "slip_backwards", dict)().items():
        _add(found, says, lambda other=other: other(dout, **values)[name])
    for constant in program.constants:
        if constant in program.shapes and constant not in program.integer_constants:
            ones = {**values, constant: np.ones(np.shape(values[constant]))}
            _add(found, f"it ignores {constant} (as if {constant} were all ones)",
                 lambda ones=ones: backward(dout, **ones)[name])
    return found


def _add(found: dict, says: str, compute) -> None:
    try:
        with np.errstate(all="ignore"):
            found[says] = np.asarray(compute(), dtype=float)
    except (DeriveError, ValueError, TypeError, KeyError, IndexError):
        pass  # a slip that cannot be evaluated here is simply not offered


def window_axes(program) -> dict:
    """{tensor: axes} of tensors read through window offsets: an axis indexed by a lone loop
    index that also moves a window of another read (p in xp[n, c, s*i + p, ...])."""
    found = {}
    for statement in program.statements:
        reads = statement.reads()
        sliding = set()
        for read in reads:
            for expr in read.indices:
                coefficients, _ = affine_parts(expr, statement.loop)
                moving = [i for i, c in coefficients.items() if c != 0]
                if len(moving) > 1:
                    sliding |= set(moving) & set(statement.reduce)
        for read in reads:
            axes = tuple(k for k, expr in enumerate(read.indices) if expr in sliding)
            if axes and tensor_name(read) in program.inputs:
                found[tensor_name(read)] = axes
    return found


def _padded(program) -> list:
    return [(tensor_name(s.body), text(s.pad)) for s in program.statements
            if s.kind == "pad" and s.pad.is_Symbol]


def _pad_like(value, width: int, program, source: str):
    statement = next(s for s in program.statements if s.kind == "pad"
                     and tensor_name(s.body) == source)
    widths = [(width, width) if k in statement.pad_axes else (0, 0)
              for k in range(np.ndim(value))]
    return np.pad(value, widths)


def _reduction_slips(derivation) -> list:
    program = derivation.program
    kinds = {s.kind for s in program.statements} & set(SPREAD)
    return [(SPREAD[kind][1], other) for kind in sorted(kinds)
            if (other := _respelled(derivation.text, _shapes_key(program),
                                    _constants_key(program), kind)) is not None]


@lru_cache(maxsize=32)
def _respelled(formula: str, shapes: tuple, constants: tuple, kind: str):
    """The derivation of the formula with every `kind` reduction replaced by SPREAD's."""
    from derive.index import derive_index
    from derive.index.ranges import infer_ranges
    from derive.index.reader import read_program

    program = read_program(formula, dict(shapes), dict(constants))
    infer_ranges(program)
    changed = copy.deepcopy(program)
    for statement in changed.statements:
        if statement.kind == kind:
            statement.kind = SPREAD[kind][0]
    try:
        return derive_index(program_text(changed), dict(shapes), dict(constants), "slip")
    except DeriveError:
        return None


def _shapes_key(program) -> tuple:
    return tuple((n, tuple(str(d) for d in dims)) for n, dims in program.shapes.items())


def _constants_key(program) -> tuple:
    integer = program.integer_constants
    return tuple((n, integer.get(n)) for n in program.constants)
