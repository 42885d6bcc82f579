"""Derivation time and result size against graph size (10 to 500 nodes): derive against
sympy.diff + simplify of the whole formula, and the fitted exponent of time against nodes."""

import time

import numpy as np
import sympy as sp
from timing import Capped, capped, seconds_text

import derive

TERMS = ["tanh({k}*x + y)", "exp(-{k}*x*y)", "sin(x + {k}*y)", "sigmoid({k}*x - y)",
         "log(1 + {k}*x**2)"]
TERM_COUNTS = (3, 6, 12, 25, 50, 100, 155)   # 11 to 500 graph nodes


def formula_with_terms(count: int) -> str:
    return " + ".join(TERMS[i % len(TERMS)].format(k=i + 2) for i in range(count))


def _size(expressions) -> int:
    return sum(sp.count_ops(e) for e in expressions)


def _derive(text: str):
    start = time.perf_counter()
    d = derive.derive(formula=text)
    elapsed = time.perf_counter() - start
    return elapsed, len(d.graph.nodes), _size(d.gradients.values()), d.expr


def _baseline(expr, names):
    """sympy.diff of the whole formula and simplify, for each input."""
    start = time.perf_counter()
    results = [sp.simplify(sp.diff(expr, next(s for s in expr.free_symbols if s.name == n)))
               for n in names]
    return time.perf_counter() - start, _size(results)


def test_derivation_scaling(results):
    section = results.section(
        "Derivation: derive vs sympy.diff + simplify",
        ["nodes", "derive", "diff+simplify", "speed-up", "derive result ops",
         "diff+simplify result ops"])
    rows, baseline_capped = [], None
    _derive(formula_with_terms(len(TERMS)))   # first-call costs (imports, caches) out of the fit
    for terms in TERM_COUNTS:
        elapsed, nodes, size, expr = _derive(formula_with_terms(terms))
        base, base_size = None, None
        if baseline_capped is None:
            try:
                base, base_size = capped(_baseline, expr, ["x", "y"])
            except Capped as exc:
                baseline_capped = str(exc)
        rows.append((nodes, elapsed, base))
        section.rows.append([
            str(nodes), seconds_text(elapsed), seconds_text(base or baseline_capped),
            f"{base / elapsed:.1f}×" if base else (f"> {float(baseline_capped[2:-2]) / elapsed:.0f}×"
                                                   if baseline_capped else "-"),
            str(size), str(base_size) if base_size else "-"])
    exponent = np.polyfit(np.log([r[0] for r in rows]), np.log([r[1] for r in rows]), 1)[0]
    section.notes.append(f"fitted exponent (derive time ~ nodes^k): k = {exponent:.2f}; result "
                         "size is sympy.count_ops of the gradients for x and y")
    section.notes.append("diff+simplify stops being run after its first case past the cap")
    nodes, elapsed, base = rows[-1]
    if base:
        speedup, text = base / elapsed, f"{base / elapsed:.1f}×"
    else:
        speedup = float(baseline_capped[2:-2]) / elapsed
        text = f"> {speedup:.0f}× (diff+simplify {baseline_capped})"
    shown = speedup >= 10 or base is not None
    results.target(f"derivation ≥ 10× faster than diff+simplify at {nodes} nodes", text,
                   speedup >= 10 if shown else None,
                   f"derive {seconds_text(elapsed)}; time ~ nodes^{exponent:.2f}"
                   + ("" if shown else "; the cap bounds the speed-up that can be shown"))
    assert rows
