import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from results import RESULTS_PATH, Results

# NumPy's elementwise code runs on one thread: PyTorch, numexpr and BLAS get one too
# (BENCH_THREADS=2 to change it; the Makefile passes it to BLAS before NumPy loads). One
# thread is also what keeps torch usable in the forked children of timing.capped.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
try:
    import torch
    torch.set_num_threads(THREADS)
except ImportError:
    pass
try:
    import numexpr
    numexpr.set_num_threads(THREADS)
except ImportError:
    pass


@pytest.fixture(scope="session")
def results():
    """The run's results: each benchmark adds its section and targets; at the end of the run
    they are printed and written to RESULTS.md."""
    start = time.perf_counter()
    collected = Results()
    yield collected
    text = collected.markdown(time.perf_counter() - start)
    RESULTS_PATH.write_text(text)
    print("\n\n" + text + f"\n(written to {RESULTS_PATH})")
