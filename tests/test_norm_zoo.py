"""Normalisation and dropout layers as people write them (tests/zoo): correct ones pass, each
usual slip fails with the slip named in words."""

from pathlib import Path

import pytest

from derive.verify import verify

ZOO = Path(__file__).parent / "zoo"
SLIPS = ZOO / "slips"


def _results(path, seed=3):
    report = verify([str(path)], seed=seed)
    return {r.target.rpartition(":")[2]: r for r in report.results}, report


def _failing(result) -> str:
    return " | ".join(f"{c.name}: {c.message}" for c in result.checks if c.status != "pass")


def test_cs231n_correct_layers_pass_and_the_unbound_ones_are_listed():
    results, report = _results(ZOO / "norm_cs231n.py")
    for name in ("batchnorm", "batchnorm_backward_alt", "layernorm", "dropout",
                 "word_embedding", "spatial_batchnorm", "spatial_groupnorm"):
        assert results[name].status == "pass", _failing(results[name])
    assert results["word_embedding"].convention == "embedding"  # integer ids, as the formula takes
    checks = {c.name: c for c in results["batchnorm"].checks}
    assert checks["running_stats"].status == "pass"
    assert "test mode uses them" in checks["running_stats"].message
    scaling = {c.name: c for c in results["dropout"].checks}["train_test_scaling"]
    assert "inverted dropout" in scaling.message and "keep probability" in scaling.message
    assert "inverted dropout, p = 0.6 is the keep probability" in results["dropout"].convention
    assert report.skipped == [] and report.summary()["skipped"] == []
    assert results["spatial_batchnorm"].op == "batchnorm_spatial"  # index notation, judged
    assert results["spatial_groupnorm"].op == "groupnorm"  # G groups of K channels


def test_the_books_classes_pass_with_train_flg_and_the_hard_coded_eps_named():
    results, _ = _results(ZOO / "norm_book.py")
    batchnorm, dropout = results["BatchNormalization"], results["Dropout"]
    assert batchnorm.status == "pass", _failing(batchnorm)
    assert "eps = 1e-06 as the layer sets it" in batchnorm.convention
    assert dropout.status == "pass", _failing(dropout)
    scaling = {c.name: c for c in dropout.checks}["train_test_scaling"]
    assert "scale-at-test" in scaling.message
    assert dropout.convention == "dropout; scale-at-test dropout"


SLIP_CASES = [
    ("bn_eps_outside_sqrt.py", "forward", "epsilon outside the square root"),
    ("bn_unbiased_variance.py", "forward", "unbiased variance"),
    ("ln_wrong_axis.py", "forward", "over the wrong axis"),
    ("bn_missing_mean_dout.py", "backward", "misses the term -mean(dout, axis=0)"),
    ("bn_missing_xhat_term.py", "backward", "misses the term -xhat*mean(dout*xhat, axis=0)"),
    ("bn_running_average.py", "running_stats", "weights are swapped"),
    ("dropout_scaled_twice.py", "train_test_scaling", "scaled twice"),
    ("dropout_not_scaled.py", "train_test_scaling", "not scaled at all"),
    ("dropout_scaled_by_p.py", "train_test_scaling", "multiplied by p instead of divided by p"),
    ("dropout_mask_regenerated.py", "mask_reuse", "draws a new mask"),
    ("embedding_no_accumulate.py", "backward", "repeated ids do not add up"),
    ("gn_eps_outside_sqrt.py", "forward", "epsilon outside the square root"),
    ("gn_wrong_axes.py", "forward", "over the wrong axes"),
    ("gn_missing_mean_dout.py", "backward", "misses the part of dx that flows back through mu"),
]


@pytest.mark.parametrize("file, check, words", SLIP_CASES, ids=[c[0] for c in SLIP_CASES])
def test_each_slip_fails_and_is_named(file, check, words):
    results, _ = _results(SLIPS / file)
    (result,) = results.values()
    assert result.status == "fail", _failing(result)
    found = {c.name: c for c in result.checks}
    assert check in found and found[check].status == "fail", _failing(result)
    assert words in found[check].message, found[check].message


def _edited_results(tmp_path, name, old, new):
    """The verdicts on the correct cs231n file with one line changed."""
    source = (ZOO / "norm_cs231n.py").read_text()
    assert old in source
    path = tmp_path / name
    path.write_text(source.replace(old, new))
    return _results(path)[0]


def test_unbiased_running_variance_is_a_named_warning_not_a_failure(tmp_path):
    results = _edited_results(
        tmp_path, "pytorch_style_running_var.py",
        "running_var = momentum * running_var + (1 - momentum) * sample_var",
        "running_var = momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)")
    check = {c.name: c for c in results["batchnorm"].checks}["running_stats"]
    assert check.status == "warn" and "unbiased" in check.message and "PyTorch" in check.message


def test_a_second_backward_such_as_batchnorm_backward_alt_is_judged_on_its_own(tmp_path):
    results = _edited_results(
        tmp_path, "alt_missing_term.py",
        "dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))",
        "dx = (N * dx_hat - x_hat * np.sum(dx_hat * x_hat, axis=0))")
    assert results["batchnorm"].status == "pass"
    alt = results["batchnorm_backward_alt"]
    assert alt.status == "fail" and alt.op == "batchnorm"
    backward = {c.name: c for c in alt.checks}["backward"]
    assert "misses the term -mean(dout" in backward.message, backward.message
