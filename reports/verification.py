"""The verification table of a report: the verifier's checks (a derive.verify Report, run
by the command) as rows."""

from __future__ import annotations


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
