"""Guess why a found tensor differs from the expected one, in words a learner can act on.

Structural guesses (shape, transpose, sign, constant factor, a few wrong entries) come from the
two tensors alone; `hints` maps a description of a common mistake ("ignores dout", "uses the
input x where the output out was meant", "misses the term ...") to the tensor that mistake would
produce, built from the derivation by `mistake_hints`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from derive.verify.compare import as_float, relative_error

MATCH = 1e-6


def guess_cause(found, expected, sizes=(), hints: dict | None = None, tol: float = MATCH) -> str:
    """A short guess at the cause, or '' when nothing recognisable fits."""
    found, expected = np.asarray(found), np.asarray(expected)
    if found.shape != expected.shape:
        for cause, value in (hints or {}).items():
            if np.shape(value) == found.shape and relative_error(as_float(found),
                                                                 as_float(value)) < MATCH:
                return f"shape {found.shape} where {expected.shape} is expected: {cause}"
        return _shape_cause(found, expected, sizes)
    f, e = as_float(found), as_float(expected)
    if not np.all(np.isfinite(f)):
        bad = int(np.sum(~np.isfinite(f)))
        return f"{bad} entries are NaN or Inf: an overflow (exp of a large number?) or 0/0"
    for cause, value in (hints or {}).items():
        try:
            value = np.broadcast_to(as_float(value), e.shape)
        except ValueError:
            continue
        if relative_error(f, value) < MATCH and relative_error(value, e) > MATCH:
            return cause
    if np.max(np.abs(e)) > 0 and np.all(f == 0):
        return "it is all zeros: the gradient is not computed or not returned"
    if relative_error(f, -e) < MATCH:
        return "the sign is flipped"
    if e.ndim == 2 and e.shape[0] == e.shape[1] and relative_error(f, e.T) < MATCH:
        return "it is the transpose of the expected gradient"
    factor = _constant_factor(f, e) if e.size > 1 else None
    if factor is not None:
        return _factor_text(factor, sizes)
    if e.size == 1 and float(e.ravel()[0]) != 0:
        # one number always has "a factor": name it only when it is a recognisable one
        ratio = float(f.ravel()[0]) / float(e.ravel()[0])
        return _factor_text(ratio, sizes, recognisable_only=True) if abs(ratio - 1) > MATCH else ""
    return _blocks(f, e, sizes, tol) or _few_entries(f, e, tol)


def _blocks(f, e, sizes, tol: float) -> str:
    """'only blocks 1, 2 of 4 ... differ' when the last axis is m blocks of a size (an LSTM's
    4H gate columns) and some blocks are right while others are wrong; of several sizes, the
    largest whose wrong blocks are wrong in every column (the gates, not halves of them)."""
    if e.ndim == 0:
        return ""
    length = e.shape[-1]
    scale = max(float(np.max(np.abs(e))), 1e-300)
    columns = np.max(np.abs(f - e).reshape(-1, length), axis=0) > tol * scale
    found = []
    for size in sorted(set(sizes)):
        count = length // size if size > 1 else 0
        if not 2 <= count <= 8 or count * size != length:
            continue
        wrong = [k for k in range(count) if columns[k * size:(k + 1) * size].any()]
        if 0 < len(wrong) < count:
            whole = all(columns[k * size:(k + 1) * size].all() for k in wrong)
            found.append((whole, size, count, wrong))
    if not found:
        return ""
    declared = getattr(sizes, "blocks", ())  # an LSTM's 4*H columns: blocks of H first
    _, size, count, wrong = max(found, key=lambda item: (item[1] in declared, item[0], item[1]))
    where = ", ".join(f"{k + 1} (columns {k * size}:{(k + 1) * size})" for k in wrong)
    return (f"only block{'s' if len(wrong) > 1 else ''} {where} of the {count} blocks "
            f"of {size} columns differ: the derivatives of those blocks (the gates of "
            "an LSTM, for instance) are mixed up")


def _shape_cause(found, expected, sizes=()) -> str:
    f, e = found.shape, expected.shape
    text = f"shape {f} where {e} is expected"
    kept = [d for d in e if d != 1]
    if len(f) == 1 and len(kept) == 1 and f[0] != kept[0] and f[0] in set(sizes):
        return (f"{text}: summed over the wrong axis (it has {f[0]} entries, the gradient "
                f"{kept[0]}: sum over the other axis)")
    if len(f) == 2 and f == e[::-1]:
        same = relative_error(as_float(found), as_float(expected).T) < MATCH
        return f"{text}: transposed" + (" (the values are the transpose of the expected)"
                                         if same else "")
    if found.ndim == expected.ndim - 1 and any(e[:i] + e[i + 1:] == f and e[i] == 1
                                               for i in range(len(e))):
        return f"{text}: a reduction lost its axis (missing keepdims=True?)"
    if found.ndim == expected.ndim:
        if all(a == b or b == 1 for a, b in zip(f, e)):
            axes = tuple(i for i, (a, b) in enumerate(zip(f, e)) if a != b)
            return f"{text}: not summed over axis {axes[0] if len(axes) == 1 else axes}"
        reduced = [i for i, (a, b) in enumerate(zip(f, e)) if a == 1 and b != 1]
        if reduced:
            return f"{text}: summed over the wrong axis ({reduced[0]})"
    if found.size == expected.size:
        return f"{text}: the entries are there but reshaped"
    return text


def _constant_factor(f, e):
    denominator = float(np.sum(e * e))
    if denominator == 0:
        return None
    c = float(np.sum(f * e)) / denominator
    if abs(c - 1) < MATCH or c == 0 or relative_error(f, c * e) > MATCH:
        return None
    return c


def _factor_text(c: float, sizes, recognisable_only: bool = False) -> str:
    for n in sorted(set(sizes)):
        if n > 1 and abs(c * n - 1) < 1e-6:
            return (f"off by a constant factor 1/{n} (1/N with N = {n}: divides by the batch "
                    "size where the formula sums, or a mean where a sum was meant)")
        if n > 1 and abs(c / n - 1) < 1e-6:
            return (f"off by a constant factor {n} (N = {n}: sums where the formula divides by "
                    "the batch size)")
    if abs(c + 1) < MATCH:
        return "the sign is flipped"
    simple = Fraction(c).limit_denominator(8)
    if abs(float(simple) - c) < 1e-9 * max(1, abs(c)):
        half = " such as a ½" if simple in (2, Fraction(1, 2)) else ""
        return f"off by a constant factor {simple} (a missing or extra constant{half})"
    return "" if recognisable_only else f"off by a constant factor {c:.6g}"


def _few_entries(f, e, tol: float) -> str:
    scale = max(float(np.max(np.abs(e))), 1e-300)
    wrong = np.abs(f - e) > tol * scale
    count, total = int(np.sum(wrong)), f.size
    if total > 1 and 0 < count <= max(1, total // 4):
        where = ", ".join(str(tuple(int(i) for i in ix)) for ix in np.argwhere(wrong)[:3])
        return f"only {count} of {total} entries differ (at {where}); the others are right"
    return ""
