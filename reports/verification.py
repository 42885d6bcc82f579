"""The verification table of a report: the verifier's checks of the operator's bound layer.

The verifier (derive.verify) is optional here: when it is not available, or the operator has
no hand-written layer, a report simply has no verification table.
"""

from __future__ import annotations


def verification_for(derivation):
    """[{name, status, max_rel_err, message}] for the derivation's layer, or None."""
    return None
