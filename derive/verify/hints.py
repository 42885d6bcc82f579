"""Common mistakes, evaluated: what a backward would return if it made each one.

Built from the derivation's own expressions, so they hold for any catalog operator: ignoring
dout, using the input where the saved output was meant (and the reverse), leaving out one term
of a sum, keeping only the diagonal of a matrix operator's Jacobian (softmax as elementwise),
and for index operators the slips with windows (index_slips). The diagnosis names the mistake
whose tensor matches what the layer returned.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derive.codegen.source import compile_expression
from derive.sweep import DOUT
from derive.verify.index_slips import index_slips
from derive.verify.slips import missing_term_slips

_COMPILED: dict = {}


def _compiled(key, expr, names):
    if key not in _COMPILED:
        _COMPILED[key] = compile_expression(expr, names, "hint")
    return _COMPILED[key]


def mistake_hints(variant, name: str, values: dict, dout, out) -> dict:
    """{description of a mistake: the gradient for `name` that mistake gives}."""
    derivation = variant.derivation
    hints = index_slips(derivation, name, values, np.asarray(dout, dtype=float)
                        * variant.scale(values))
    try:
        _, backward = derivation.functions()
        scale = variant.scale(values)
        hints["it ignores dout: returns the local derivative instead of dout × local"] = (
            backward(np.ones_like(np.asarray(dout, dtype=float)) * scale, **values)[name])
    except Exception:  # a hint that cannot be evaluated is simply not offered
        pass
    for other in derivation.inputs:
        if other != name and np.shape(values[other]) == np.shape(values[name]):
            try:
                swapped = {**values, name: values[other], other: values[name]}
                hints[f"it uses {other} where {name} was meant (the inputs are swapped)"] = (
                    backward(np.asarray(dout, dtype=float) * variant.scale(values),
                             **swapped)[name])
            except Exception:  # optional, as above
                pass
    if derivation.shapes and np.shape(out) == np.shape(values[name]) and np.size(out) <= 400:
        try:
            hints[DIAGONAL] = _diagonal_only(backward, name, values, dout, variant.scale(values))
        except Exception:  # optional, as above
            pass
    try:
        scaled_dout = np.asarray(dout, dtype=float) * variant.scale(values)
        hints.update(missing_term_slips(derivation, name, values, scaled_dout))
    except Exception:  # optional, as above
        pass
    if derivation.shapes or name not in derivation.gradients:
        return hints
    try:
        hints.update(_expression_hints(derivation, name, values, dout * variant.scale(values),
                                       out))
    except Exception:  # same: hints are optional
        pass
    return hints


DIAGONAL = ("it keeps only the diagonal of the Jacobian (each output's derivative by its own "
            "input, as for an elementwise function such as the sigmoid) and misses how every "
            "output depends on the other inputs")


def _diagonal_only(backward, name: str, values: dict, dout, scale) -> np.ndarray:
    """dout ⊙ (∂out_k/∂x_k for every entry k): the backward of an elementwise reading."""
    diagonal = np.zeros(np.shape(values[name]))
    for k in np.ndindex(diagonal.shape):
        unit = np.zeros(diagonal.shape)
        unit[k] = scale
        diagonal[k] = np.asarray(backward(unit, **values)[name])[k]
    return np.asarray(dout, dtype=float) * diagonal


def _expression_hints(derivation, name, values, dout, out) -> dict:
    names = [*derivation.params, "dout", "out"]
    args = {**values, "dout": dout, "out": out}
    hints = {}
    gradient = derivation.gradients[name]
    saved = derivation.saved_form.get(name)
    key = (derivation.name, name)
    if saved is not None and len(derivation.inputs) == 1:
        fn = _compiled(key + ("saved",), saved, names)
        hints[f"it uses the input {name} where the output out was meant"] = fn(
            **{**args, "out": values[name]})
    if saved is not None or any(str(s) == name for s in gradient.free_symbols):
        fn = _compiled(key + ("grad",), gradient, names)
        hints[f"it uses the output out where the input {name} was meant"] = fn(
            **{**args, name: np.asarray(out, dtype=float)})
    expanded = sp.expand(gradient)
    if isinstance(expanded, sp.Add) and len(expanded.args) <= 6:
        for i, term in enumerate(expanded.args):
            fn = _compiled(key + ("term", i), expanded - term, names)
            shown = sp.simplify(term / DOUT) if term.has(DOUT) else term
            hints[f"it misses the term {shown} (times dout) of d{name}"] = fn(**args)
    return hints
