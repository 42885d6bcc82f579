"""Verification of hand-written layers against the derived backward pass.

`verify(targets)` loads TARGETs (modules, `.py` files, Markdown tutorials, `module:Name`),
binds each class / function pair to a catalog operator, tries the known conventions, and runs
named checks (forward, backward, finite differences, parameter gradients, side effects, extreme
inputs, dtypes and shapes, linearity, state, the kink convention). Results are plain data.

`derive.verify(...)` is also the top-level API call; once this package is imported the name
`derive.verify` refers to the package, so the package itself is callable and does the same.
"""

import sys
import types

from derive.verify.results import Check, Report, Result
from derive.verify.runner import verify, verify_candidate

__all__ = ["Check", "Report", "Result", "verify", "verify_candidate"]


class _CallablePackage(types.ModuleType):
    def __call__(self, targets, op=None, seed=0, strict=False, derivation=None) -> Report:
        """derive.verify(targets, ...): the same as derive.verify.verify."""
        return verify(list(targets), op=op, seed=seed, strict=strict, derivation=derivation)


sys.modules[__name__].__class__ = _CallablePackage
