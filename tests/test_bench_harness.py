"""The benchmark harness (tests/benchmarks) measures what it claims: every catalog operator gets
a case, the bound layer computes the same gradient as the generated code it is timed against,
and the 60 s cap really stops a case. (The benchmarks themselves run only in `make bench`.)"""

import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "benchmarks"))

from cases import bound_layer, make_case, operators
from timing import Capped, capped, interleaved


@pytest.mark.parametrize("name", operators())
def test_every_operator_gets_a_case_and_the_bound_layer_agrees(name):
    case = make_case(name, 60)
    grads = case.derivation.functions()[1](case.dout, **case.values, **case.saved)
    assert set(grads) == set(case.derivation.inputs)
    backward = bound_layer(case)
    if backward is None:
        return
    found = backward()
    first = found[0] if isinstance(found, tuple) else found
    np.testing.assert_allclose(first, grads[case.derivation.inputs[0]], rtol=1e-9, atol=1e-12)


def _sleep(seconds):
    time.sleep(seconds)
    return seconds


def test_capped_returns_the_value_and_stops_a_slow_case():
    assert capped(_sleep, 0.01, seconds=10) == 0.01
    start = time.perf_counter()
    with pytest.raises(Capped, match="> 0.5 s"):
        capped(_sleep, 30, seconds=0.5)
    assert time.perf_counter() - start < 10


def test_capped_reports_an_error_in_the_case():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        capped(lambda: 1 / 0)


def test_interleaved_counts_each_call():
    calls = []
    timing = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                         repeats=3, number=2)
    # each round starts with the next contender: the first of a round runs on colder caches
    assert calls == ["a", "a", "b", "b", "b", "b", "a", "a", "a", "a", "b", "b"]
    assert len(timing["a"][2]) == 3
