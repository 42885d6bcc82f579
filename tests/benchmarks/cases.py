"""One benchmark case per catalog operator and size: values of about `elements` entries for
the first input, the hand-written `layers` class bound to it (if any), and a layer object
run the way a user runs it."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass

import numpy as np

import layers
from derive import catalog, derive
from derive.index import is_index_formula

# operators whose sizes cannot be read from the catalog's symbolic dimensions alone:
# catalog name -> function(elements) -> {dimension or constant name: value}
SHAPE_RECIPES = {
    "conv2d": lambda n: {"N": max(1, n // (3 * 32 * 32)), "C": 3, "H": 32, "W": 32, "F": 8,
                         "HH": 3, "WW": 3, "stride": 1, "pad": 1},
}


@functools.cache
def derivation(name: str):
    return derive(name)


def layer_classes() -> dict:
    """Catalog name -> the `layers` class that declares it as its `op`."""
    return {cls.op: cls for _, cls in inspect.getmembers(layers, inspect.isclass)
            if hasattr(cls, "op")}


def operators() -> list[str]:
    """Every catalog operator in the catalog's order, but those in index notation: their
    derivations (derive.index) have no `sample` yet; bench_conv2d.py times conv2d."""
    return [name for name, entry in catalog.load().items()
            if not is_index_formula(entry.formula)]


def is_elementwise(name: str) -> bool:
    return not catalog.get(name).shapes


def _dimension_sizes(d, elements: int) -> tuple[dict, dict]:
    """({symbolic dimension: size}, {constant: value}) giving the first input about
    `elements` entries; the other dimensions get the same size."""
    recipe = SHAPE_RECIPES.get(d.name, lambda n: {})(elements)
    first = d.shapes[d.inputs[0]]
    symbolic = [dim for dim in first if not str(dim).isdigit()]
    side = max(1, round(elements ** (1 / max(1, len(symbolic)))))
    sizes = {}
    for shape in d.shapes.values():
        for dim in shape:
            if not str(dim).isdigit():
                sizes[dim] = recipe.get(str(dim), side)
    constants = {k: v for k, v in recipe.items() if k in d.constants}
    return sizes, constants


@dataclass
class Case:
    name: str
    elements: int
    derivation: object
    values: dict      # every input and constant by name (NumPy, float64)
    out: object       # the forward output (saved value for the generated backward)
    dout: object

    @property
    def saved(self) -> dict:
        """The saved values the layer keeps too: the output, and the values forward keeps
        for backward (a mask, x − t), as the generated layer class stores them."""
        if "_saved" not in self.__dict__:
            d = self.derivation
            self._saved = d.saved_values(self.values) if d.saved_names and not d.intermediates \
                else {}
        return self._saved


def make_case(name: str, elements: int, seed: int = 0) -> Case:
    d = derivation(name)
    rng = np.random.default_rng(seed)
    if d.shapes:
        sizes, constants = _dimension_sizes(d, elements)
        values = {k: np.asarray(v, dtype=float) for k, v in d.sample(rng, sizes).items()}
        values.update(constants)
    else:
        values = d.sample(rng, entries=(elements,))
    forward = d.functions()[0]
    out = forward(**values)
    dout = 1.0 if np.ndim(out) == 0 else rng.standard_normal(np.shape(out))
    return Case(name, elements, d, values, out, dout)


def bound_layer(case: Case):
    """A thunk running the backward of the `layers` class after its forward on the case's
    values, or None when no class implements the operator. Constructor arguments are matched
    by name."""
    cls = layer_classes().get(case.name)
    if cls is None:
        return None
    init = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    by_lower = {k.lower(): k for k in case.values}
    init_args = [case.values[by_lower[p.lower()]] for p in init]
    used = {by_lower[p.lower()] for p in init}
    layer = cls(*init_args)
    layer.forward(*[case.values[n] for n in case.derivation.params if n not in used])
    return lambda: layer.backward(case.dout)
