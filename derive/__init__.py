"""derive: the backward pass of neural-network layers, derived symbolically.

The pipeline, one module per stage, each reading the previous stage's plain data:
parse (formula text → SymPy, `parse`, `latex`) → graph of primitive nodes (`graph`) → named
local rules (`rules`) → reverse sweep of Steps (`sweep`) → simplified and saved-value forms
(`rewrite`) → stable NumPy code (`stable`, `printer`, `codegen`) → checks before trust
(`check`) → `Derivation` (`derivation`). Matrix calculus lives in `derive.matrix`, the
verifier in `derive.verify`, the command line in `cli` and `commands`.

The Python API mirrors the command line:

    >>> import derive
    >>> d = derive.derive("sigmoid")                 # derive show sigmoid
    >>> d = derive.derive(formula="x*tanh(softplus(x))")
    >>> from derive.verify import verify
    >>> report = verify(["layers"])                  # derive verify layers
    >>> g = derive.graph("x*y + z", x=2, y=3, z=1)      # derive graph "x*y + z" --at ...

In Jupyter each of them displays richly (HTML with MathML and an SVG graph; see
reports/notebook.py).
"""

import sys
import types

from derive import richdisplay

__version__ = "0.1.0"


def derive(op=None, *, formula=None, latex=None, shapes=None, constants=(), name=None,
           log_base=None):
    """Derive a catalog operator or a formula; returns a Derivation (see derive.derivation)."""
    from derive.derivation import derive as run

    return run(op, formula=formula, latex=latex, shapes=shapes, constants=constants, name=name,
               log_base=log_base)


def graph(formula: str, at: dict | None = None, **values):
    """The tutorial's supermarket figure for a scalar `formula` at a point: forward and
    backward values on every arrow (`derive graph`). The point is `at` (name → value) and/or
    keyword arguments; returns reports.values.GraphValues (a drawing in a notebook)."""
    from derive.cache import cached_derive
    from reports.values import graph_values, parse_point

    derivation = cached_derive(formula=formula)
    point = {**(at or {}), **values}
    return graph_values(derivation, parse_point([f"{k}={v}" for k, v in point.items()],
                                                derivation.params))


def _notebook_view(obj, mime: str):
    from reports.notebook import view

    return view(obj, mime)


richdisplay.install(_notebook_view)


class _Package(types.ModuleType):
    """The package keeps `derive.graph` the public function above when the engine's module
    derive/graph.py is first imported (which would make the name the module); that module
    is still `import derive.graph` / `from derive.graph import ...` through sys.modules."""

    def __setattr__(self, name, value):
        if not (name == "graph" and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
