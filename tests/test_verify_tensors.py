"""Index operators verified as people write them: cs231n's naive loops with config dicts,
the book's im2col classes, the recurrent and temporal functions; correct code passes, every
slip fails with the slip named."""

import pytest

from derive.verify.binding import candidates
from derive.verify.runner import verify_candidate
from derive.verify.targets import load_target

CORRECT = ["tests/zoo/cs231n_cnn.py", "tests/zoo/cs231n_rnn.py", "tests/zoo/book_cnn.py",
           "tests/zoo/lstm_cells.py"]
FLOAT64_ONLY = "dtype_shape"  # the course and the book allocate float64 arrays: a warn


def _all(paths):
    return [c for path in paths for c in candidates(load_target(path))]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("candidate", _all(CORRECT),
                         ids=lambda c: c.label.rpartition(":")[2])
def test_correct_tensor_layers_pass(candidate, seed):
    result = verify_candidate(candidate, seed=seed)
    problems = [(c.name, c.message) for c in result.checks
                if c.status != "pass" and not (c.status == "warn" and c.name in
                                               (FLOAT64_ONLY, "extreme_inputs"))]
    assert result.status == "pass" and not problems, (result.op, problems)


def test_every_function_of_the_cs231n_files_is_judged():
    expected = {"conv_naive": "conv2d", "max_pool_naive": "max_pool2d", "rnn_step": "rnn_step",
                "temporal_affine": "temporal_affine",
                "temporal_softmax_loss": "temporal_softmax_loss", "lstm_step": "lstm_step",
                "word_embedding": "embedding", "rnn": "rnn", "lstm": "lstm"}
    results = {c.label.rpartition(":")[2]: verify_candidate(c, seed=0) for c in _all(CORRECT[:2])}
    assert {label: r.op for label, r in results.items()} == expected
    assert "next_h and next_c compared as one vector" in results["lstm_step"].convention


def test_the_derived_lstm_step_is_the_cs231n_one():
    import numpy as np

    from derive.pipeline import derive

    ns = load_target("tests/zoo/cs231n_rnn.py").namespace
    forward, backward = derive("lstm_step").functions()
    rng = np.random.default_rng(5)
    N, D, H = 3, 4, 5
    values = {"x": rng.standard_normal((N, D)), "h": rng.standard_normal((N, H)),
              "c": rng.standard_normal((N, H)), "Wx": rng.standard_normal((D, 4 * H)),
              "Wh": rng.standard_normal((H, 4 * H)), "b": rng.standard_normal(4 * H)}
    next_h, next_c, cache = ns["lstm_step_forward"](*values.values())
    derived_h, derived_c = forward(**values)
    np.testing.assert_allclose(derived_h, next_h, rtol=1e-12)
    np.testing.assert_allclose(derived_c, next_c, rtol=1e-12)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    grads = backward(dnext_h, dnext_c, **values)
    for name, hand in zip(values, ns["lstm_step_backward"](dnext_h, dnext_c, cache)):
        np.testing.assert_allclose(grads[name], hand, rtol=1e-10, atol=1e-12, err_msg=name)


def test_config_dict_keys_and_book_constructor_constants_reach_the_layer():
    pool = next(c for c in _all(CORRECT[:1]) if c.name == "max_pool")
    result = verify_candidate(pool, seed=3)
    assert result.status == "pass" and result.op == "max_pool2d"
    book = next(c for c in _all(CORRECT[2:]) if c.name == "Convolution")
    assert verify_candidate(book, seed=3).op == "conv2d"


SLIPS = [c for c in _all(["tests/zoo/buggy_tensors.py"]) if hasattr(c.objects[-1], "slip")]


def test_the_slip_zoo_covers_every_usual_slip():
    said = {c.objects[-1].slip for c in SLIPS}
    assert {"unflipped", "stride", "every element of the window", "ignores mask", "gate"} <= said
    assert any("not cropped" in s for s in said) and len(SLIPS) >= 8


@pytest.mark.parametrize("candidate", SLIPS, ids=lambda c: c.label.rpartition(":")[2])
def test_every_slip_fails_with_the_slip_named(candidate):
    slip, caught_by = candidate.objects[-1].slip, candidate.objects[-1].caught_by
    result = verify_candidate(candidate, seed=0)
    check = next(c for c in result.checks if c.name == caught_by)
    assert result.status == "fail" and check.status == "fail", result
    assert slip in check.message, check.message


RECURRENT_SLIPS = [c for c in _all(["tests/zoo/buggy_rnn.py"]) if hasattr(c.objects[-1], "slip")]


@pytest.mark.parametrize("candidate", RECURRENT_SLIPS, ids=lambda c: c.label.rpartition(":")[2])
def test_every_slip_through_time_fails_with_the_slip_named(candidate):
    slip, caught_by = candidate.objects[-1].slip, candidate.objects[-1].caught_by
    result = verify_candidate(candidate, seed=0)
    check = next(c for c in result.checks if c.name == caught_by)
    assert result.op in ("rnn", "lstm", "lstm_step")
    assert result.status == "fail" and check.status == "fail", result
    assert slip in check.message, check.message


def test_classes_with_two_outputs_bind_and_judge_both():
    """An LSTM cell class: forward returns (next_h, next_c), backward takes an upstream each
    and returns the inputs' gradients (the weights' in attributes, or returned after them)."""
    cells = {c.name: verify_candidate(c, seed=2) for c in _all(["tests/zoo/lstm_cells.py"])}
    assert {n: (r.op, r.status) for n, r in cells.items()} == {
        "LSTMCell": ("lstm_step", "pass"), "TorchStyleLSTMCell": ("lstm_step", "pass")}
    assert "next_h and next_c compared as one vector" in cells["LSTMCell"].convention
    judged = {c.name for c in cells["LSTMCell"].checks if c.status == "pass"}
    assert {"backward", "param_gradients", "finite_difference"} <= judged


def test_a_slip_through_time_is_told_from_a_wrong_step():
    """Judged again with one time step: a carry slip passes there, a gate slip does not."""
    by_name = {c.label.rpartition(":")[2]: c for c in RECURRENT_SLIPS}
    carried = verify_candidate(by_name["rnn_unaccumulated"], seed=1)
    backward = next(c for c in carried.checks if c.name == "backward")
    assert "with one time step (T = 1) it is right" in backward.message
    gates = verify_candidate(by_name["lstm_swapped"], seed=1)
    message = next(c for c in gates.checks if c.name == "backward").message
    assert "step itself is wrong" in message and "the gates of an LSTM" in message
