import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from results import RESULTS_PATH, Results


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
