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
"""

__version__ = "0.1.0"


def derive(op=None, *, formula=None, latex=None, shapes=None, constants=(), name=None,
           log_base=None):
    """Derive a catalog operator or a formula; returns a Derivation (see derive.derivation)."""
    from derive.derivation import derive as run

    return run(op, formula=formula, latex=latex, shapes=shapes, constants=constants, name=name,
               log_base=log_base)

