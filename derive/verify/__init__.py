"""Verification of hand-written layers against the derived backward pass.

`verify(targets)` loads TARGETs (modules, `.py` files, Markdown tutorials, `module:Name`),
binds each class / function pair to a catalog operator, tries the known conventions, and runs
named checks (forward, backward, finite differences, parameter gradients, side effects, extreme
inputs, dtypes and shapes, linearity, state, the kink convention), each target in a worker
process of its own (session.py). Results are plain data.
"""

from derive.verify.results import Check, Report, Result
from derive.verify.runner import verify_candidate
from derive.verify.session import verify

__all__ = ["Check", "Report", "Result", "verify", "verify_candidate"]

