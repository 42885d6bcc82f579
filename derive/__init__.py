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

The Python API mirrors the command line:

    >>> import derive
    >>> d = derive.derive("sigmoid")                 # derive show sigmoid
    >>> d = derive.derive(formula="x*tanh(softplus(x))")
    >>> from derive.verify import verify
    >>> report = verify(["layers"])                  # derive verify layers
"""

__version__ = "0.1.0"


def derive(op=None, *, formula=None, latex=None, shapes=None, constants=(), name=None,
           log_base=None, assumptions=(), identities=()):
    """Derive a catalog operator or a formula; returns a Derivation (see derive.derivation)."""
    from derive.pipeline import derive as run

    return run(op, formula=formula, latex=latex, shapes=shapes, constants=constants, name=name,
               log_base=log_base, assumptions=assumptions, identities=identities)

