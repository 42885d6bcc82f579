"""The verification table of a report: the verifier's checks of the operator's bound layer.

When the catalog names a hand-written layer (`layer = "Sigmoid"` → layers:Sigmoid), the
verifier (derive.verify) runs on it and its checks become the report's verification table.
Operators without a layer have no table.
"""

from __future__ import annotations

from derive.errors import DeriveError


def verification_for(derivation):
    """[{name, status, max_rel_err, message}] for the derivation's bound layer, or None."""
    if not derivation.layer:
        return None
    try:
        from derive.verify import verify
    except ImportError:
        return None
    target = f"layers:{derivation.layer}"
    try:
        report = verify([target], op=derivation.name)
    except DeriveError as exc:
        return [{"name": "verify", "status": "error", "max_rel_err": None,
                 "message": f"{target}: {exc}"}]
    return verification_rows(report)


def verification_rows(report) -> list[dict]:
    """The verifier's checks (a derive.verify Report) as rows of a verification table."""
    rows = []
    for result in report.results:
        if result.message:
            rows.append({"name": "verdict", "status": result.status, "max_rel_err": None,
                         "message": result.message})
        rows.extend({"name": c.name, "status": c.status, "max_rel_err": c.max_rel_err,
                     "message": c.message} for c in result.checks)
    return rows
