"""Regenerate the golden reports the tests compare against:

    .venv/bin/python tests/golden.py        (or: UPDATE_GOLDEN=1 pytest tests/test_reports.py)

writes tests/golden/<op>.tex and <op>.md for each operator in GOLDEN_OPS, rendered without a
verification table (the verifier's measured errors would make the files machine-dependent).
"""

from __future__ import annotations

from pathlib import Path

GOLDEN_OPS = ("sigmoid", "mul", "mse")
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def golden_documents(op: str) -> dict[str, str]:
    """{'tex': ..., 'md': ...} for catalog operator `op`, derived afresh (no cache)."""
    from derive.pipeline import derive
    from reports.markdown import report_md
    from reports.model import build_report
    from reports.render import report_tex

    report = build_report(derive(op))
    return {"tex": report_tex(report), "md": report_md(report)}


def main() -> int:
    from reports.build import write_atomic

    for op in GOLDEN_OPS:
        for suffix, text in golden_documents(op).items():
            path = write_atomic(GOLDEN_DIR / f"{op}.{suffix}", text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
