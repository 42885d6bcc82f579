"""One catalog operator's report as a job of `derive report`: derive it (through the cache),
verify its bound layer, write the document. Reports render; this module orchestrates."""

from __future__ import annotations

from pathlib import Path

from derive.errors import DeriveError


def catalog_report(op: str, fmt: str, out: str, lang: str = "en"):
    """(Report, path) for catalog operator `op` in language `lang`; a module-level function,
    for process pools."""
    from derive.cache import cached_derive
    from reports.write import write_report

    derivation = cached_derive(op=op)
    return write_report(derivation, fmt, Path(out), verification_for(derivation), lang=lang)


def verification_for(derivation):
    """[{name, status, max_rel_err, message}] of the verifier on the derivation's bound layer
    (the catalog's `layer`, in layers/), or None when it names none."""
    from derive.verify import verify
    from reports.verification import verification_rows

    if not derivation.layer:
        return None
    target = f"layers:{derivation.layer}"
    try:
        report = verify([target], op=derivation.name)
    except DeriveError as exc:
        return [{"name": "verify", "status": "error", "max_rel_err": None,
                 "message": f"{target}: {exc}"}]
    return verification_rows(report)
