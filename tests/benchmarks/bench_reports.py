"""`derive report --all --format pdf` in each language (English: pdflatex; Chinese: xelatex with
ctex and Noto CJK), every catalog operator including the index-notation ones: wall time with a
cold and a warm derivation cache, the CPU time of derive and TeX, and the load average around
each run (the target, 30 s per language on a 2-core machine, means something only when read
against it).

    .venv/bin/python tests/benchmarks/bench_reports.py     prints the table
    make bench                                             adds it to RESULTS.md
"""

import os
import resource
import subprocess
import sys
import tempfile
import time

TARGET = 30.0  # seconds per language
CAP = 600.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(lang: str, cache: str) -> dict:
    """One `derive report --all --format pdf --lang LANG` into a fresh folder."""
    with tempfile.TemporaryDirectory() as out:
        load = os.getloadavg()[0]
        cpu, start = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-m", "derive", "report", "--all", "--format", "pdf",
                        "--lang", lang, "--out", out], check=True, capture_output=True,
                       env={**os.environ, "DERIVE_CACHE_DIR": cache}, timeout=CAP)
        wall = time.perf_counter() - start
        documents = len([f for f in os.listdir(out) if f.endswith(".pdf")])
    return {"lang": lang, "wall": wall, "cpu": _children_cpu() - cpu, "documents": documents,
            "load": (load, os.getloadavg()[0])}


def measure() -> list[dict]:
    """Per language: a cold cache (derivations too), then a warm one (documents only)."""
    rows = []
    for lang in ("en", "zh"):
        with tempfile.TemporaryDirectory() as cache:
            for state in ("cold", "warm"):
                rows.append({**_run(lang, cache), "cache": state})
    return rows


def table(rows: list[dict]) -> list[list[str]]:
    return [[f"--lang {r['lang']} ({r['documents']} PDFs, {r['cache']} cache)",
             f"{r['wall']:.1f} s", f"{r['cpu']:.1f} s", f"{r['load'][0]:.1f} → {r['load'][1]:.1f}",
             f"{TARGET:g} s"] for r in rows]


HEADER = ["derive report --all --format pdf", "wall", "CPU (all processes)",
          "load average (1 min) before → after", "target"]


def test_report_all_in_each_language(results):
    rows = measure()
    section = results.section(f"Reports: report --all --format pdf on {os.cpu_count()} cores",
                              HEADER)
    section.rows.extend(table(rows))
    for row in rows:
        if row["cache"] == "warm":
            results.target(f"`report --all --format pdf --lang {row['lang']}` ≤ {TARGET:g} s",
                           f"{row['wall']:.1f} s", row["wall"] <= TARGET,
                           f"absolute: load {row['load'][0]:.1f} when it started")
    assert all(r["documents"] > 1 for r in rows)


if __name__ == "__main__":
    measured = measure()
    print(" | ".join(HEADER))
    for line in table(measured):
        print(" | ".join(line))
