"""Conventions a hand-written layer may follow, as variants of the derived reference.

A variant is one catalog operator (the bound one or a related layout such as `affine_rows`),
a reduction (the formula's own, or ÷N / ×N along an axis of the first input, for scalar
losses), a form of the targets (as sampled, one-hot along an axis, or integer labels along
an axis) and the names given as 1-D vectors (a declared (1, M) or (M, 1) matrix such as a bias
passed as shape (M,), cs231n's convention; its gradient must then have shape (M,) too, and is
compared with the derived one reshaped to (M,)). The verifier tries the default first and, if
it fails, names the variant that passes.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass

import numpy as np

from derive import catalog
from derive.verify.outputs import joined, split
from derive.verify.sampling import sample_values


@dataclass
class Case:
    """One set of values: what the layer is given, what the reference is given."""

    layer: dict
    reference: dict


@dataclass(frozen=True)
class Variant:
    derivation: object
    reduction: tuple | None = None   # ("mean" | "sum", axis)
    targets: tuple | None = None     # ("onehot" | "labels", axis)
    other_layout: bool = False       # a related operator, not the one the layer was bound to
    vectors: tuple = ()              # names the layer is given as 1-D vectors

    @property
    def op(self) -> str:
        return self.derivation.name

    @property
    def is_default(self) -> bool:
        return (self.reduction is None and self.targets is None and not self.other_layout
                and not self.vectors)

    def describe(self) -> str:
        parts = []
        if self.reduction:
            kind, axis = self.reduction
            parts.append(f"reduction={kind} (N = size of axis {axis})")
        if self.targets:
            kind, axis = self.targets
            shape = self.derivation.shapes.get(self.derivation.inputs[0])
            names = ", ".join(n for n in self.derivation.constants
                              if shape is None or self.derivation.shapes.get(n) == shape)
            parts.append(f"{names} as integer labels (classes on axis {axis})" if kind == "labels"
                         else f"{names} one-hot (classes on axis {axis})")
        for name in self.vectors:
            size = next(d for d in self.derivation.shapes[name] if str(d) != "1")
            parts.append(f"{name} as a vector of shape ({size},)")
        own = ""
        if not self.reduction and _is_mean(self.derivation.text):
            own = " (mean over the batch)" if self.derivation.shapes else " (mean over every entry)"
        return self.op + own + (" with " + ", ".join(parts) if parts else "")

    def case(self, rng: np.random.Generator, sizes: dict | None = None) -> Case:
        """Random values for this variant (matrix dimensions from `sizes` when given)."""
        values = sample_values(self.derivation, rng, sizes)
        layer = dict(values)
        if self.targets:
            kind, axis = self.targets
            for name in self.target_names(values):
                onehot = _onehot(rng, np.shape(values[name]), axis)
                values[name] = layer[name] = onehot
                if kind == "labels":
                    layer[name] = np.argmax(onehot, axis=axis)
        for name in self.vectors:
            layer[name] = self.layer_value(name, values[name])
        return Case(layer, values)

    def target_names(self, values: dict) -> list[str]:
        """The constants that are targets: those shaped like the first input (a mask of
        temporal_softmax_loss, shaped (N, T) beside scores (N, T, V), is not one)."""
        shape = np.shape(values[self.derivation.inputs[0]])
        return [n for n in self.derivation.constants if np.shape(values[n]) == shape]

    def layer_value(self, name: str, value):
        """`value` (in the derivation's shape) as the layer is given it: 1-D for a vector name."""
        return np.reshape(value, -1) if name in self.vectors else value

    def scale(self, values: dict) -> float:
        if not self.reduction:
            return 1.0
        kind, axis = self.reduction
        n = np.shape(values[self.derivation.inputs[0]])[axis]
        return 1.0 / n if kind == "mean" else float(n)

    def forward(self, values: dict):
        forward, _ = self.derivation.functions()
        with np.errstate(all="ignore"):
            out = forward(**values)
            if isinstance(out, tuple):  # several outputs: one vector (verify.outputs)
                return joined(out)
            return out * self.scale(values) if self.reduction else out

    def backward(self, dout, values: dict) -> dict:
        """The derived gradients, each in the shape of what the layer is given."""
        forward, backward = self.derivation.functions()
        with np.errstate(all="ignore"):
            dout = np.asarray(dout, dtype=float) * self.scale(values)
            outs = forward(**values) if len(getattr(self.derivation, "outputs", ())) > 1 else None
            upstreams = split(dout, [np.shape(o) for o in outs]) if outs else (dout,)
            grads = backward(*upstreams, **values)
        return {k: self.layer_value(k, v) for k, v in grads.items()}


def _is_mean(text: str) -> bool:
    """Whether a formula is a mean as a whole (its reduction is part of the operator)."""
    try:
        body = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id == "mean"


def _onehot(rng, shape, axis) -> np.ndarray:
    if len(shape) == 0 or axis >= len(shape):
        return np.ones(shape)
    classes = rng.integers(0, shape[axis], size=shape[:axis] + shape[axis + 1:])
    return (np.expand_dims(classes, axis) == np.arange(shape[axis]).reshape(
        [-1 if i == axis else 1 for i in range(len(shape))])).astype(float)


def related_ops(op: str) -> list[str]:
    """Catalog operators declared as another layout or reduction of `op` (`related`)."""
    return list(catalog.load()[op].related)


def variants(derivations: list, scalar_output: bool, labels_first: bool = False) -> list[Variant]:
    """Every variant worth trying, the default (first derivation, nothing changed) first."""
    found = []
    for position, derivation in enumerate(derivations):
        ndim = max((len(np.shape(v)) for v in sample_values(
            derivation, np.random.default_rng(0)).values()), default=0)
        axes = range(max(ndim, 1))
        reductions = [None] + ([(k, a) for k in ("mean", "sum") for a in axes]
                               if scalar_output else [])
        targets = [None]
        if derivation.constants and scalar_output:  # targets are a loss's
            targets += [(k, a) for k in ("onehot", "labels") for a in axes]
        for reduction, target, vectors in itertools.product(reductions, targets,
                                                            _vector_choices(derivation)):
            found.append(Variant(derivation, reduction, target, position > 0, vectors))
    if labels_first:
        found.sort(key=lambda v: not (v.targets and v.targets[0] == "labels"))
    return found


def _vector_choices(derivation) -> list[tuple]:
    """() first, then the names declared (1, M) or (M, 1), which a layer may take as vectors
    of shape (M,), all together, then each alone (not every subset: the variants multiply)."""
    names = [n for n, shape in derivation.shapes.items() if len(shape) == 2
             and sum(str(d) == "1" for d in shape) == 1 and n in derivation.params]
    together = [tuple(names)] if len(names) > 1 else []
    return [(), *together, *((n,) for n in names)]  # all together first: cs231n's γ and β
