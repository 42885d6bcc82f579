"""derive: the backward pass of neural-network layers, derived symbolically.

One engine for scalar, elementwise and matrix formulas; imports point one way, in this order
(tests/test_imports.py keeps it acyclic):

  vocab       functions, node and shape types of a formula (one `is_matrix`), kinks
  printers    NumPy code and formula text printers (each primitive adds its own printing)
  simplify    simpler equal forms, saved forms in terms of `out`, the declared identities
  primitives  the one registry: rule name, label, children, local derivative or VJP, printing
  read        formula and LaTeX readers (the primitives' function names)
  graph       the computational graph of primitive nodes
  sweep       the reverse sweep: one Step per edge, upstream × local = downstream
  codegen     one template for forward/backward NumPy source, in stable forms
  sampling    one sampler and one domain inference
  selfcheck   check before trust: sympy.diff, explicit small matrices, finite differences
  derivation  the Derivation data class; pipeline: the one `derive()`
  then        verify (the verifier), commands and cli; reports/ renders what they produce.
  richdisplay (at the bottom) the results' rich display in Jupyter, drawn by reports/notebook.py,
              which this package installs

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
           log_base=None, assumptions=(), identities=()):
    """Derive a catalog operator or a formula; returns a Derivation (see derive.derivation)."""
    from derive.pipeline import derive as run

    return run(op, formula=formula, latex=latex, shapes=shapes, constants=constants, name=name,
               log_base=log_base, assumptions=assumptions, identities=identities)


def graph(formula: str, at: dict | None = None, **values):
    """The tutorial's supermarket figure for a scalar `formula` at a point: forward and
    backward values on every arrow (`derive graph`). The point is `at` (name → value) and/or
    keyword arguments; returns reports.graph_values.GraphValues (a drawing in a notebook)."""
    from derive.numbers import graph_numbers, parse_point
    from derive.pipeline import derive as run
    from reports.graph_values import graph_values

    derivation = run(formula=formula)
    point = {**(at or {}), **values}
    point = parse_point([f"{k}={v}" for k, v in point.items()], derivation.params)
    return graph_values(derivation, graph_numbers(derivation, point))


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
