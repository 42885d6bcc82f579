"""Several outputs (an LSTM step's next_h and next_c) seen by the checks as one: the outputs
joined into one flat vector, first output first, and one upstream vector split back into one
upstream per output. Both the layer's side (protocols) and the reference (conventions) join
the same way, so every check compares, perturbs and reports one output."""

from __future__ import annotations

import numpy as np


def joined(outputs) -> np.ndarray:
    """The outputs' entries in one vector, in order."""
    arrays = [np.asarray(o) for o in outputs]
    return np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)


def split(dout, shapes) -> tuple:
    """One upstream per output, shaped like it, from the joined upstream `dout`."""
    dout = np.asarray(dout)
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(dout[start:start + size].reshape(shape))
        start += size
    return tuple(parts)


def describe(names) -> str:
    return (f"{' and '.join(names)} compared as one vector ({names[0]} first; its upstreams "
            f"{', '.join('d' + n for n in names)})")
