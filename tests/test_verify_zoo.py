"""The bug zoo: every deliberately wrong layer is caught by the check it names, and every
correct layer (different styles, float32, cs231n pairs) passes over many seeds."""

import inspect

import pytest

from derive.verify.binding import Candidate, candidates
from derive.verify.runner import verify_candidate
from derive.verify.targets import load_target

ZOO = ["tests/zoo/buggy_elementwise.py", "tests/zoo/buggy_nodes.py", "tests/zoo/buggy_affine.py",
       "tests/zoo/buggy_cs231n.py"]


def _zoo_candidates(path):
    return candidates(load_target(path))


def _bug(candidate: Candidate):
    obj = candidate.objects[0]
    return getattr(obj, "caught_by", None), getattr(obj, "strict_only", False)


BUGGY = [c for path in ZOO for c in _zoo_candidates(path) if _bug(c)[0]]
CORRECT = _zoo_candidates("tests/zoo/correct.py") + _zoo_candidates("tests/zoo/cs231n.py")


def test_the_zoo_has_at_least_30_distinct_bugs():
    sources = {inspect.getsource(c.objects[-1]) for c in BUGGY}
    assert len(BUGGY) >= 30 and len(sources) == len(BUGGY)


@pytest.mark.parametrize("candidate", BUGGY, ids=lambda c: c.label.rpartition(":")[2])
def test_every_bug_is_caught_by_its_check(candidate):
    caught_by, strict_only = _bug(candidate)
    result = verify_candidate(candidate, seed=0)
    statuses = {c.name: c.status for c in result.checks}
    if strict_only:
        assert result.status == "pass" and statuses[caught_by] == "warn", result
        strict = verify_candidate(candidate, seed=0, strict=True)
        assert strict.status == "fail"
        assert {c.name: c.status for c in strict.checks}[caught_by] == "fail"
    else:
        assert result.status in ("fail", "error"), result
        assert statuses.get(caught_by) in ("fail", "error"), (caught_by, result)
        message = next(c.message for c in result.checks if c.name == caught_by)
        assert message  # every finding says what is wrong


@pytest.mark.parametrize("seed", range(6))
def test_correct_layers_never_raise_false_alarms(seed):
    for candidate in CORRECT:
        result = verify_candidate(candidate, seed=seed)
        allowed = getattr(candidate.objects[0], "expect_warn", None)
        problems = [(c.name, c.message) for c in result.checks
                    if c.status != "pass" and not (c.status == "warn" and c.name == allowed)]
        assert result.status == "pass" and not problems, (candidate.label, seed, problems)


@pytest.mark.parametrize("seed", range(20))
def test_a_vector_bias_is_a_named_convention_not_a_missing_keepdims(seed):
    by_name = {c.label.rpartition(":")[2]: c for c in CORRECT}
    for name in ("affine", "AffineRowsVectorBias"):  # cs231n's pair; a class with b of shape (M,)
        result = verify_candidate(by_name[name], seed=seed)
        assert result.status == "pass", (name, seed, result)
        assert result.convention == "affine_rows with b as a vector of shape (n_out,)"


def test_a_db_with_the_wrong_shape_for_the_vector_b_still_fails():
    (affine,) = [c for c in BUGGY if c.label.endswith("buggy_cs231n.py:affine")]
    result = verify_candidate(affine, seed=3)
    statuses = {c.name: c.status for c in result.checks}
    assert result.status == "fail" and statuses["dtype_shape"] == "fail"
    assert "db has shape (" in next(c.message for c in result.checks if c.name == "dtype_shape")


def test_an_input_of_shape_n_d1_d2_is_checked_when_the_layer_flattens_it():
    by_name = {c.label.rpartition(":")[2]: c for c in CORRECT}
    for name in ("affine", "AffineBook"):  # cs231n's pair, the book's class
        checks = {c.name: c for c in verify_candidate(by_name[name], seed=1).checks}
        assert checks["nd_input"].status == "pass"
        assert checks["nd_input"].message.startswith("x of shape (")  # the layer's own name
    (flat,) = [c for c in BUGGY if c.label.endswith("AffineFlattensButDxNotReshaped")]
    message = {c.name: c.message for c in verify_candidate(flat, seed=1).checks}["nd_input"]
    assert "reshape it back to the input's shape (dx.reshape(x.shape))" in message
    # a layer that takes (N, D) only is not asked to take more
    plain = verify_candidate(by_name["AffineRowsVectorBias"], seed=1)
    assert plain.status == "pass" and "nd_input" not in {c.name for c in plain.checks}
