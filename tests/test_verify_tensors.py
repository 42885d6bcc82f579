"""Index operators verified as people write them: cs231n's naive loops with config dicts,
the book's im2col classes, the recurrent and temporal functions; correct code passes, every
slip fails with the slip named."""

import pytest

from derive.verify.binding import candidates
from derive.verify.runner import verify_candidate
from derive.verify.targets import load_target

CORRECT = ["tests/zoo/cs231n_cnn.py", "tests/zoo/cs231n_rnn.py", "tests/zoo/book_cnn.py"]
FLOAT64_ONLY = "dtype_shape"  # the course and the book allocate float64 arrays: a warn


def _all(paths):
    return [c for path in paths for c in candidates(load_target(path))]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("candidate", _all(CORRECT), ids=lambda c: c.label.rpartition(":")[2])
def test_correct_tensor_layers_pass(candidate, seed):
    result = verify_candidate(candidate, seed=seed)
    problems = [(c.name, c.message) for c in result.checks
                if c.status != "pass" and not (c.status == "warn" and c.name in
                                               (FLOAT64_ONLY, "extreme_inputs"))]
    assert result.status == "pass" and not problems, (result.op, problems)


def test_every_function_of_the_cs231n_files_is_judged():
    expected = {"conv_naive": "conv2d", "max_pool_naive": "max_pool2d", "rnn_step": "rnn_step",
                "temporal_affine": "temporal_affine",
                "temporal_softmax_loss": "temporal_softmax_loss"}
    found = {c.label.rpartition(":")[2]: verify_candidate(c, seed=0).op
             for c in _all(CORRECT[:2])}
    assert found == expected


def test_config_dict_keys_and_book_constructor_constants_reach_the_layer():
    pool = next(c for c in _all(CORRECT[:1]) if c.name == "max_pool")
    result = verify_candidate(pool, seed=3)
    assert result.status == "pass" and result.op == "max_pool2d"
    book = next(c for c in _all(CORRECT[2:]) if c.name == "Convolution")
    assert verify_candidate(book, seed=3).op == "conv2d"


SLIPS = [c for c in _all(["tests/zoo/buggy_tensors.py"]) if hasattr(c.objects[-1], "slip")]


def test_the_slip_zoo_covers_every_usual_slip():
    said = {c.objects[-1].slip for c in SLIPS}
    assert {"unflipped", "stride", "every element of the window", "ignores mask"} <= said
    assert any("not cropped" in s for s in said) and len(SLIPS) >= 8


@pytest.mark.parametrize("candidate", SLIPS, ids=lambda c: c.label.rpartition(":")[2])
def test_every_slip_fails_with_the_slip_named(candidate):
    slip, caught_by = candidate.objects[-1].slip, candidate.objects[-1].caught_by
    result = verify_candidate(candidate, seed=0)
    check = next(c for c in result.checks if c.name == caught_by)
    assert result.status == "fail" and check.status == "fail", result
    assert slip in check.message, check.message
