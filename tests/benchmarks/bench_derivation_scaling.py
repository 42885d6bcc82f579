"""Derivation time against graph size (10 to 500 nodes), and against sympy.diff + simplify."""

import signal
import time

import numpy as np
import sympy as sp

from derive.pipeline import derive
from derive.read.formula import parse_formula

TERMS = ["tanh({k}*x + y)", "exp(-{k}*x*y)", "sin(x + {k}*y)", "sigmoid({k}*x - y)",
         "log(1 + {k}*x**2)"]
BASELINE_LIMIT = 60


def formula_with_terms(count: int) -> str:
    return " + ".join(TERMS[i % len(TERMS)].format(k=i + 2) for i in range(count))


def _baseline(text: str) -> float:
    """sympy.diff of the whole formula and simplify, for each input; None past the limit."""
    expr = parse_formula(text).expr
    def alarm(signum, frame):
        raise TimeoutError
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(BASELINE_LIMIT)
    start = time.perf_counter()
    try:
        for name in ("x", "y"):
            sp.simplify(sp.diff(expr, sp.Symbol(name, real=True)))
        return time.perf_counter() - start
    except TimeoutError:
        return None
    finally:
        signal.alarm(0)


def test_derivation_time_grows_about_linearly():
    rows = []
    for terms in (3, 6, 12, 25, 50, 100, 125):
        text = formula_with_terms(terms)
        start = time.perf_counter()
        d = derive(formula=text)
        elapsed = time.perf_counter() - start
        nodes = len(d.graph.nodes)
        baseline = _baseline(text) if nodes <= 250 else None
        rows.append((nodes, elapsed, baseline))
    print(f"\n{'nodes':>6} {'derive s':>9} {'diff+simplify s':>16} {'ratio':>7}")
    for nodes, elapsed, baseline in rows:
        base = f"{baseline:16.2f}" if baseline else f"{'>' + str(BASELINE_LIMIT) + ' or skipped':>16}"
        ratio = f"{elapsed / baseline:7.2f}" if baseline else f"{'-':>7}"
        print(f"{nodes:6d} {elapsed:9.2f} {base} {ratio}")
    sizes = np.log([r[0] for r in rows])
    times = np.log([r[1] for r in rows])
    exponent = np.polyfit(sizes, times, 1)[0]
    print(f"fitted exponent (time ~ nodes^k): k = {exponent:.2f}")
    assert rows[-1][0] >= 500
