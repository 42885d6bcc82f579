"""NumPy views of tensor reads at affine indices, and the slices their gradients are added to.

A read `xp[n, c, s*i + p, s*j + q]` becomes a view with one axis per loop index, with no copy:
an axis read by one index `a*i + c` is the strided slice `c : c + a*(R-1) + 1 : a`; an axis
read by two (`s*i + p`) is a `sliding_window_view` of window length p's range, sliced with
step s along the windows. For the gradient, the two-index axes are the other way round: a
Python loop runs over the window index (the small kernel offset) and each step adds to one
strided slice of the gradient, in which no position repeats. A read through a tensor of
indices (W[ids[n], d]) is NumPy's W[ids]; its gradient is added with numpy.add.at, so that
repeated indices accumulate.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.sympify import _sympify

from derive.errors import DeriveError
from derive.index.printing import text
from derive.index.program import Statement, affine_parts, tensor_name

WINDOWS = "numpy.lib.stride_tricks.sliding_window_view"


class Axis:
    """How one axis of a read depends on the loop indices."""

    def __init__(self, expr, statement: Statement, where: str):
        coefficients, self.offset = affine_parts(expr, statement.loop)
        if any(c.is_number and c < 0 for c in coefficients.values()):
            raise DeriveError(f"formula: {where}: an index with a negative coefficient (a "
                              "flipped read) is not supported yet; write the flip in the weights")
        if len(coefficients) > 2:
            raise DeriveError(f"formula: {where}: an index that sums more than two loop indices "
                              "is not supported")
        order = sorted(coefficients, key=lambda i: (i in statement.reduce,
                                                    statement.loop.index(i)))
        self.index = order[0] if order else None          # the strided index
        self.step = coefficients.get(self.index, 0)
        self.window = order[1] if len(order) == 2 else None  # the window (kernel offset) index
        self.window_step = coefficients.get(self.window, 0)
        self.gather = self.offset if isinstance(self.offset, sp.Indexed) else None  # ids[n]


    def is_tile(self, ranges, size) -> bool:
        """Whether the axis is read as consecutive tiles, step·g + k with k < step (group
        norm's channels g*K + k): a reshape to (groups, step), no sliding window."""
        if self.window is None or self.window_step != 1 or self.offset != 0:
            return False
        return sp.expand(self.step - ranges[self.window]) == 0 and \
            sp.expand(size - self.step * ranges[self.index]) == 0


def axes_of(read, statement: Statement) -> list[Axis]:
    where = f"{tensor_name(read)}[{', '.join(map(str, read.indices))}]"
    axes = [Axis(e, statement, where) for e in read.indices]
    labels = [a.index for a in axes if a.index is not None] + \
        [a.window for a in axes if a.window is not None]
    if len(set(labels)) != len(labels):
        raise DeriveError(f"formula: {where}: one loop index in two axes (a diagonal) is not "
                          "supported yet")
    return axes


def strided(start, step, count, size=None) -> str:
    """Slice code for `count` positions from `start` with `step` (`:` for a whole axis)."""
    start, step = _sympify(start), _sympify(step)
    if start == 0 and step == 1 and size is not None and sp.simplify(count - size) == 0:
        return ":"
    stop = text(start + step * (count - 1) + 1)
    head = "" if start == 0 else text(start)
    return f"{head}:{stop}" + ("" if step == 1 else f":{text(step)}")


def tiled(code: str, axes, shape, ranges) -> tuple[str, list, list] | None:
    """A read whose two-index axes are all tiles: (the tensor reshaped so that each tile axis
    becomes two, its items, its labels), or None."""
    tiles = [a.is_tile(ranges, size) for a, size in zip(axes, shape)]
    if not any(tiles) or any(a.window is not None and not t for a, t in zip(axes, tiles)):
        return None
    dims, items, labels = [], [], []
    for a, size, tile in zip(axes, shape, tiles):
        if tile:
            dims += [text(ranges[a.index]), text(a.step)]
            items += [":", ":"]
            labels += [a.index, a.window]
            continue
        dims.append(text(size))
        if a.index is None:
            items.append(text(a.offset))
        else:
            items.append(strided(a.offset, a.step, ranges[a.index], size))
            labels.append(a.index)
    reshaped = f"{code}.reshape(({', '.join(dims)}))"
    return reshaped, items, labels


def gathered(axes, shape, ranges) -> tuple[list, list] | None:
    """The items and labels of a read through a tensor of indices (W[ids[n], d] is W[ids]:
    NumPy puts ids' axes where the indexed axis was), or None."""
    if all(a.gather is None for a in axes):
        return None
    if sum(a.gather is not None for a in axes) > 1 or \
            any(a.gather is None and (a.index is None or a.window is not None) for a in axes):
        raise DeriveError("formula: a tensor read through a tensor of indices (W[ids[n], d]) "
                          "takes one such index and plain loop indices on its other axes")
    items, labels = [], []
    for a, size in zip(axes, shape):
        if a.gather is not None:
            items.append(tensor_name(a.gather))
            labels += list(a.gather.indices)
        else:
            items.append(strided(a.offset, a.step, ranges[a.index], size))
            labels.append(a.index)
    return items, labels


def read_view(read, statement: Statement, shape, ranges) -> tuple[str, list]:
    """Code of a view of the read with one axis per loop index it uses, and those indices."""
    axes = axes_of(read, statement)
    code = tensor_name(read)
    gather = gathered(axes, shape, ranges)
    if gather is not None:
        return subscript(code, gather[0]), gather[1]
    tiles = tiled(code, axes, shape, ranges)
    if tiles is not None:
        return subscript(*tiles[:2]), tiles[2]
    windows = [(k, a) for k, a in enumerate(axes) if a.window is not None]
    if windows:
        lengths = [text(a.window_step * (ranges[a.window] - 1) + 1) for _, a in windows]
        code = (f"{WINDOWS}({code}, ({', '.join(lengths)}{',' if len(lengths) == 1 else ''}), "
                f"axis=({', '.join(str(k) for k, _ in windows)}{',' if len(windows) == 1 else ''}))")
    items = []
    for a, size in zip(axes, shape):
        if a.index is None:
            items.append(text(a.offset))
        else:
            items.append(strided(a.offset, a.step, ranges[a.index],
                                 None if a.window is not None else size))
    items += [":" if a.window_step == 1 else f"::{text(a.window_step)}" for _, a in windows]
    labels = [a.index for a in axes if a.index is not None] + [a.window for _, a in windows]
    return subscript(code, items), labels


def scatter_target(read, statement: Statement, shape, ranges, gradient: str) -> tuple:
    """(loop indices to run in Python, code of the gradient's slice, its axes' indices)."""
    axes = axes_of(read, statement)
    gather = gathered(axes, shape, ranges)
    if gather is not None:  # repeated indices must add up: numpy.add.at, never +=
        items, labels = gather
        where = items[0] if all(i == ":" for i in items[1:]) else \
            f"numpy.s_[{', '.join(items)}]"
        return [], ("numpy.add.at", gradient, where), labels
    tiles = tiled(gradient, axes, shape, ranges)
    if tiles is not None:  # a reshape of the (contiguous) gradient is a view of it
        code, items, labels = tiles
        return [], subscript(code, items) if any(i != ":" for i in items) else f"{code}[...]", \
            labels
    looped = [a.window for a in axes if a.window is not None]
    items, labels = [], []
    for a, size in zip(axes, shape):
        if a.index is None:
            items.append(text(a.offset))
            continue
        start = a.offset + a.window_step * (a.window if a.window is not None else 0)
        items.append(strided(start, a.step, ranges[a.index],
                             None if a.window is not None else size))
        labels.append(a.index)
    return looped, subscript(gradient, items), labels


def subscript(code: str, items: list[str]) -> str:
    while items and items[-1] == ":":
        items = items[:-1]
    return f"{code}[{', '.join(items)}]" if items else code


def fix(code: str, labels: list, fixed: list) -> tuple[str, list]:
    """The operand at fixed values of some of its indices (the Python loop's variables)."""
    if not any(label in fixed for label in labels):
        return code, labels
    items = [label.name if label in fixed else ":" for label in labels]
    return subscript(parenthesised(code), items), [label for label in labels if label not in fixed]


def align(code: str, labels: list, target: list) -> str:
    """The operand with its axes in target's order, and a new axis for each index it lacks."""
    present = [t for t in target if t in labels]
    if present != list(labels):
        perm = ", ".join(str(labels.index(t)) for t in present)
        code = f"{parenthesised(code)}.transpose({perm})"
    if len(present) == len(target):
        return code
    return subscript(parenthesised(code), [":" if t in labels else "None" for t in target])


def parenthesised(code: str) -> str:
    depth = 0
    for ch in code:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in " +-*/":
            return f"({code})"
    return code
