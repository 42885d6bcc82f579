"""`derive verify` on tutorials as people write them (tests/docs/): the verdict on every target.

- the book "Deep Learning from Scratch", chapter 5, with common/functions.py: every class passes,
  the convention named; its `+ 1e-7` inside the log is a warn naming the guard, not a fail;
- cs231n assignment 2's layers.py: affine/relu pairs, softmax_loss and svm_loss with integer
  labels, unfilled exercises reported as not implemented;
- a from-scratch blog post with the bugs learners make, each named with its cause;
- a Keras-style clipped cross-entropy: a clip guard warns, a clip that is too hard fails;
- the seed tutorial keeps its verdicts.
"""

from pathlib import Path

import numpy as np
import pytest

from derive.cli import main
from derive.verify import verify

DOCS = Path(__file__).resolve().parent / "docs"
SEED_TEXT = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_dc0b323c1ac26039.txt"


def run(path, seed=3, strict=False):
    report = verify([str(path)], seed=seed, strict=strict)
    for result in report.results:
        for check in result.checks:  # nothing on these documents may break the verifier
            assert "verifier error" not in check.message, (result.target, check)
    return report


def targets(report) -> dict:
    return {r.target.rpartition(":")[2]: r for r in report.results}


def checks(result) -> dict:
    return {c.name: c for c in result.checks}


def skipped(report) -> dict:
    return {s["target"].rpartition(":")[2]: s["reason"] for s in report.skipped}


# --------------------------------------------------------------- Deep Learning from Scratch


@pytest.fixture(scope="module")
def book():
    return targets(run(DOCS / "dlfs_ch5_backprop.md"))


def test_book_every_class_passes_with_its_convention(book):
    assert {n: r.status for n, r in book.items()} == {
        "MulLayer": "pass", "AddLayer": "pass", "Relu": "pass", "Sigmoid": "pass",
        "Affine": "pass", "SoftmaxWithLoss": "pass"}
    assert book["Affine"].convention == "affine_rows with b as a vector of shape (n_out,)"
    assert checks(book["Affine"])["nd_input"].status == "pass"
    assert checks(book["Affine"])["param_gradients"].status == "pass"
    loss = book["SoftmaxWithLoss"]
    assert loss.op == "softmax_cross_entropy_rows"  # rows, mean over the batch
    assert loss.convention == ("softmax_cross_entropy_rows (mean over the batch) with t one-hot "
                               "(classes on axis 1); t as integer labels (classes on axis 1) "
                               "also passes")
    for name in ("MulLayer", "AddLayer", "Sigmoid", "Affine"):
        assert all(c.status == "pass" for c in book[name].checks), name


def test_book_relu_mutating_dout_is_a_warning(book):
    found = checks(book["Relu"])
    assert found["side_effects"].status == "warn"
    assert "changed dout in place" in found["side_effects"].message
    assert found["backward"].status == found["kink_convention"].status == "pass"


def test_book_log_guard_is_a_warning_that_names_it(book):
    found = checks(book["SoftmaxWithLoss"])
    forward = found["forward"]
    assert forward.status == "warn"
    assert "1e-07 added inside the log (log(y + 1e-07))" in forward.message
    assert "bias ≈ 1e-07 per sample" in forward.message
    assert "not a wrong formula" in forward.message and "likely cause" not in forward.message
    assert 1e-9 < forward.max_rel_err < 1e-4
    assert found["backward"].status == found["finite_difference"].status == "pass"
    assert found["extreme_inputs"].status == "warn"
    assert "log(y + 1e-07)" in found["extreme_inputs"].message
    assert found["linearity"].status == "warn" and "ignores dout" in found["linearity"].message


def test_book_helpers_and_repository_imports_are_reported_not_verified():
    report = run(DOCS / "dlfs_ch5_backprop.md", seed=11)
    assert "returns the loss alone, not (loss, dx)" in skipped(report)["softmax_loss"]
    (block,) = report.blocks  # located at the line of the Markdown file that raised
    assert block["error"].startswith("ModuleNotFoundError: No module named 'common' at ")
    assert block["error"].endswith("dlfs_ch5_backprop.md:256")
    assert all(r.status == "pass" for r in report.results)  # another seed, same verdicts


def test_book_under_strict_the_warnings_fail():
    found = targets(run(DOCS / "dlfs_ch5_backprop.md", strict=True))
    assert found["Relu"].status == found["SoftmaxWithLoss"].status == "fail"
    assert found["Sigmoid"].status == found["Affine"].status == "pass"


@pytest.mark.parametrize("guard", ["1e-2", "1e-7 * np.sum(y)", "0.5"])
def test_a_deviation_larger_than_a_guard_fails(tmp_path, guard):
    text = (DOCS / "dlfs_ch5_backprop.md").read_text(encoding="utf-8")
    path = tmp_path / "book.md"
    path.write_text(text.replace("t] + 1e-7))", f"t] + {guard}))"), encoding="utf-8")
    forward = checks(targets(run(path))["SoftmaxWithLoss"])["forward"]
    assert forward.status == "fail"
    assert "guard" not in forward.message and "expected" in forward.message


# ------------------------------------------------------------------------- cs231n layers.py


@pytest.fixture(scope="module")
def cs231n():
    return run(DOCS / "cs231n_assignment2_layers.md")


def test_cs231n_solutions_pass_with_their_conventions(cs231n):
    found = targets(cs231n)
    assert {n: r.status for n, r in found.items()} == {
        "affine": "pass", "relu": "pass", "svm_loss": "pass", "softmax_loss": "pass",
        "tanh": "fail", "sigmoid": "fail", "dropout": "fail"}
    assert found["affine"].convention == "affine_rows with b as a vector of shape (n_out,)"
    assert checks(found["affine"])["nd_input"].status == "pass"
    assert found["softmax_loss"].convention == (
        "softmax_cross_entropy_rows (mean over the batch) with t as integer labels "
        "(classes on axis 1)")
    assert found["svm_loss"].convention == (
        "svm_hinge (mean over the batch) with t as integer labels (classes on axis 1)")


def test_cs231n_unfilled_exercises_are_not_implemented(cs231n):
    found = targets(cs231n)
    assert found["tanh"].message == "not implemented: tanh_forward returned None for out"
    assert found["sigmoid"].message == "not implemented: sigmoid_backward returned None"
    assert [c.name for c in found["tanh"].checks] == ["forward"]
    # dropout is in the catalog now: its unfilled training branch is reported, not skipped
    assert found["dropout"].message == "not implemented: dropout_forward returned None for out"
    assert "dropout" not in skipped(cs231n)
    assert "No module named 'cs231n'" in cs231n.blocks[0]["error"]


def test_cs231n_svm_loss_that_forgets_the_correct_class_fails(tmp_path):
    text = (DOCS / "cs231n_assignment2_layers.md").read_text(encoding="utf-8")
    path = tmp_path / "layers.md"
    path.write_text(text.replace("    margins[np.arange(N), y] = 0\n", ""), encoding="utf-8")
    svm = targets(run(path))["svm_loss"]
    assert svm.status == "fail" and svm.op == "svm_hinge"
    assert checks(svm)["forward"].status == "fail"


def test_svm_hinge_is_the_cs231n_loss():
    from derive.cache import cached_derive

    forward, backward = cached_derive(op="svm_hinge").functions()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    margins = np.maximum(0, x - x[np.arange(6), y][:, None] + 1)
    margins[np.arange(6), y] = 0
    dx = (margins > 0).astype(float)
    dx[np.arange(6), y] -= (margins > 0).sum(axis=1)
    assert forward(x=x, t=np.eye(4)[y]) == pytest.approx(margins.sum() / 6, rel=1e-12)
    assert np.allclose(backward(2.0, x=x, t=np.eye(4)[y])["x"], 2 * dx / 6, rtol=0, atol=1e-12)


# ------------------------------------------------------------------- learners' bugs


@pytest.fixture(scope="module")
def learner():
    return targets(run(DOCS / "numpy_backprop_learner_bugs.md"))


def test_learner_bugs_verdicts(learner):
    assert {n: r.status for n, r in learner.items()} == {
        "Sigmoid": "fail", "Tanh": "fail", "ReLU": "pass", "Linear": "fail", "Softmax": "fail",
        "SoftmaxCrossEntropy": "fail", "MSELoss": "fail", "mse": "fail"}


@pytest.mark.parametrize("name", ["Sigmoid", "Tanh"])
def test_learner_uses_x_where_out_was_meant(learner, name):
    backward = checks(learner[name])["backward"]
    assert backward.status == "fail"
    for words in ("dx: worst entry [", "expected", "(derived), found", "finite difference",
                  "likely cause: it uses the input x where the output out was meant"):
        assert words in backward.message
    assert checks(learner[name])["forward"].status == "pass"


def test_learner_linear_dw_missing_transpose(learner):
    linear = learner["Linear"]
    assert linear.convention == "affine_rows with b as a vector of shape (n_out,)"
    found = checks(linear)
    message = found["param_gradients"].message
    assert message.startswith("dW: shape (") and "transposed" in message
    assert "(derived), found at dW[" in message and "db" not in message
    assert found["backward"].status == found["forward"].status == "pass"


def test_learner_softmax_backward_like_the_sigmoid(learner):
    assert learner["Softmax"].op == "softmax"
    backward = checks(learner["Softmax"])["backward"]
    assert backward.status == "fail" and "dx: worst entry [" in backward.message
    assert "likely cause: it keeps only the diagonal of the Jacobian" in backward.message
    assert checks(learner["Softmax"])["forward"].status == "pass"


def test_learner_softmax_without_max_overflows(learner):
    found = checks(learner["SoftmaxCrossEntropy"])
    assert learner["SoftmaxCrossEntropy"].op == "softmax_cross_entropy_rows"
    assert found["forward"].status == found["backward"].status == "pass"
    assert found["extreme_inputs"].status == "fail"
    assert "overflow" in found["extreme_inputs"].message
    assert "subtract the max" in found["extreme_inputs"].message


def test_learner_mse_missing_half_and_extra_one_over_n(learner):
    half = checks(learner["MSELoss"])["forward"]
    assert half.status == "fail" and "out: worst entry (scalar)" in half.message
    assert "off by a constant factor 2 (a missing or extra constant such as a ½)" in half.message
    per_n = checks(learner["mse"])["forward"]
    assert per_n.status == "fail" and "(derived), found" in per_n.message
    assert "1/N with N = " in per_n.message and "divides by the batch size" in per_n.message
    assert checks(learner["mse"])["finite_difference"].status == "fail"


# ----------------------------------------------------------------------------- clip guards


def test_clip_guard_warns_and_a_hard_clip_fails():
    found = targets(run(DOCS / "keras_style_clipped_crossentropy.md"))
    keras = checks(found["SoftmaxWithLoss"])
    assert found["SoftmaxWithLoss"].status == "pass"
    assert keras["forward"].status == "pass"  # the clip is not reached at ordinary inputs
    assert keras["extreme_inputs"].status == "warn"
    assert "np.clip(y, 1e-07, 1 - 1e-07)" in keras["extreme_inputs"].message
    hard = checks(found["ClippedTooHard"])
    assert found["ClippedTooHard"].status == "fail"
    failing = [c for c in hard.values() if c.status == "fail"]
    assert hard["extreme_inputs"] in failing and "clip" in hard["extreme_inputs"].message
    assert all("guard" not in c.message for c in failing)


# ------------------------------------------------------------------------------ the seed


def test_seed_tutorial_keeps_its_verdicts(tmp_path):
    path = tmp_path / "seed.md"
    path.write_text(SEED_TEXT.read_text(encoding="utf-8"), encoding="utf-8")
    found = targets(run(path))
    assert {n: r.status for n, r in found.items()} == {
        "AddLayer": "pass", "MulLayer": "pass", "Affine": "error", "sigmoid": "error",
        "Relu": "pass", "SoftmaxWithLoss": "fail"}
    assert "NameError: name 'b' is not defined" in checks(found["Affine"])["forward"].message
    assert "NameError: name 'out' is not defined" in checks(found["sigmoid"])["forward"].message
    assert checks(found["Relu"])["side_effects"].status == "warn"
    forward = checks(found["SoftmaxWithLoss"])["forward"]
    assert forward.status == "fail" and "guard" not in forward.message


def test_cli_exit_codes_on_the_book(capsys):
    book = str(DOCS / "dlfs_ch5_backprop.md")
    assert main(["verify", book, "--seed", "3"]) == 0
    assert main(["verify", book, "--seed", "3", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "skipped" in out and "log(y + 1e-07)" in out


# ------------------------------------------------------------- how tutorials write code


def test_qiita_fences_unlabelled_code_and_sessions_are_run():
    report = run(DOCS / "qiita_style_affine_softmax.md")
    found = targets(report)
    assert {n: r.status for n, r in found.items()} == {"Affine": "pass", "SoftmaxWithLoss": "pass"}
    assert found["Affine"].convention == "affine_rows with b as a vector of shape (n_out,)"
    assert checks(found["SoftmaxWithLoss"])["forward"].status == "warn"
    assert "log(y + 1e-07)" in checks(found["SoftmaxWithLoss"])["forward"].message
    assert report.blocks == []  # the bash, output and >>> blocks do not fail


def test_windows_line_endings_give_the_same_verdicts(tmp_path):
    text = (DOCS / "qiita_style_affine_softmax.md").read_text(encoding="utf-8")
    path = tmp_path / "crlf.md"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    found = targets(run(path))
    assert {n: r.status for n, r in found.items()} == {"Affine": "pass", "SoftmaxWithLoss": "pass"}


def test_fences_that_are_not_python_are_not_run(tmp_path):
    from derive.verify.targets import python_blocks

    doc = "\n".join([  # noqa: FLY002  (one fence per line reads best)
        "```bash", "pip install numpy", "```",            # another language
        "```", "price: 220", "```",                       # output, no language
        "```", "class Kept:", "    pass", "```",          # unlabelled code that defines
        "```{python}", "a = 1", "```",                    # R Markdown
        "~~~py", ">>> b = 2", ">>> b", "2", "~~~",        # a session, output dropped
        "````python", "c = '```'", "````",               # a longer fence
    ])
    assert python_blocks(doc) == [(8, "class Kept:\n    pass\n"), (12, "a = 1\n"),
                                  (15, "b = 2\nb\n"), (20, "c = '```'\n")]


# ---------------------------------------------------- PyTorch-style layers built from sizes


def test_pytorch_style_layers_pass():
    found = targets(run(DOCS / "scratch_mlp_pytorch_style.md"))
    assert {n: r.status for n, r in found.items()} == {
        "Dense": "pass", "LeakyReLU": "pass", "Softmax": "pass", "MSELoss": "pass"}
    # Dense(in_features, out_features) creates w and b itself: they are set, dw and db read
    assert found["Dense"].convention == "affine_rows with b as a vector of shape (n_out,)"
    assert checks(found["Dense"])["param_gradients"].message == "dw, db agree within 1e-10"
    assert found["MSELoss"].convention == "mse_mean (mean over every entry)"
    # np.where(x > 0, 1.0, alpha) makes a float32 gradient float64: right values, a warning
    dtype = checks(found["LeakyReLU"])["dtype_shape"]
    assert dtype.status == "warn" and "float32 inputs give dx of dtype float64" in dtype.message
    assert all(c.status == "pass" for n in ("Dense", "Softmax", "MSELoss")
               for c in found[n].checks)


# ------------------------------------------------------------ nnfs.io: output and dinputs


def test_nnfs_layers_storing_output_and_dinputs_are_verified():
    report = run(DOCS / "nnfs_style_layers.md")
    found = targets(report)
    assert {n: (r.op, r.status) for n, r in found.items()} == {
        "Layer_Dense": ("affine_rows", "pass"), "Activation_ReLU": ("relu", "pass"),
        "Activation_Softmax": ("softmax", "pass"), "Activation_Sigmoid": ("sigmoid", "pass"),
        "Activation_Tanh": ("tanh", "fail")}
    # weights/biases set after Layer_Dense(n_inputs, n_neurons), dweights/dbiases read
    assert checks(found["Layer_Dense"])["param_gradients"].status == "pass"
    backward = checks(found["Activation_Tanh"])["backward"]
    assert "likely cause: it uses the input x where the output out was meant" in backward.message
    assert "Loss_CategoricalCrossentropy" in skipped(report)  # a loss of another protocol
    assert "No module named 'nnfs'" in report.blocks[0]["error"]


WEIGHTS_AND_BIAS = """\
```python
import numpy as np
class Affine:
    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias
        self.n_out = weights.shape[1]
    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias
    def backward(self, dout):
        self.dweights = self.x.T @ dout
        self.dbias = dout.sum(axis=0)
        return dout @ self.weights.T
```
"""


def test_parameters_spelled_weights_and_bias_are_the_operators_w_and_b(tmp_path):
    path = tmp_path / "affine.md"
    path.write_text(WEIGHTS_AND_BIAS, encoding="utf-8")
    affine = targets(run(path))["Affine"]
    assert affine.status == "pass" and affine.op == "affine_rows"
    assert checks(affine)["param_gradients"].message == "dweights, dbias agree within 1e-10"


# ----------------------------------------------------- notebooks, text files, byte-order marks


def test_notebook_code_cells_run_with_magics_blanked():
    report = run(DOCS / "cs231n_fc_net.ipynb")
    found = targets(report)
    assert {n: r.status for n, r in found.items()} == {"affine": "pass", "relu": "pass"}
    kink = checks(found["relu"])["kink_convention"]  # dout * (x >= 0): slope 1 at 0
    assert kink.status == "warn" and "slope 1" in kink.message
    errors = [b["error"] for b in report.blocks]
    assert all("SyntaxError" not in e for e in errors)  # %matplotlib and !ls are not run
    assert "No module named 'cs231n'" in errors[-1]


def test_the_seed_as_a_text_file_and_with_a_byte_order_mark(tmp_path):
    plain = targets(run(SEED_TEXT))
    assert plain["SoftmaxWithLoss"].status == "fail" and plain["AddLayer"].status == "pass"
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf" + (DOCS / "qiita_style_affine_softmax.md").read_bytes()[
        (DOCS / "qiita_style_affine_softmax.md").read_bytes().index(b"```python:functions.py"):])
    assert targets(run(path))["SoftmaxWithLoss"].status == "pass"


def test_the_book_with_learners_slips(tmp_path):
    text = (DOCS / "dlfs_ch5_backprop.md").read_text(encoding="utf-8")
    for right, wrong in [
        ("self.db = np.sum(dout, axis=0)", "self.db = np.sum(dout, axis=1)"),
        ("dx = dout * (1.0 - self.out) * self.out", "dx = (1.0 - self.out) * self.out"),
        ("dx = (self.y - self.t) / batch_size", "dx = self.y - self.t"),
        ("dx = dout * self.y  # x와 y를 바꾼다.", "dx = dout * self.x"),
        ("dy = dout * self.x", "dy = dout * self.y"),
    ]:
        assert right in text
        text = text.replace(right, wrong)
    text = text.replace("            dx = dx / batch_size\n", "")  # labels: no 1/N either
    path = tmp_path / "slips.md"
    path.write_text(text, encoding="utf-8")
    found = targets(run(path))
    assert {n: r.status for n, r in found.items()} == {
        "MulLayer": "fail", "AddLayer": "pass", "Relu": "pass", "Sigmoid": "fail",
        "Affine": "fail", "SoftmaxWithLoss": "fail"}
    assert "it uses y where x was meant (the inputs are swapped)" in checks(
        found["MulLayer"])["backward"].message
    assert "likely cause: it ignores dout" in checks(found["Sigmoid"])["backward"].message
    assert "db: shape (" in checks(found["Affine"])["param_gradients"].message
    assert "summed over the wrong axis" in checks(found["Affine"])["param_gradients"].message
    loss = checks(found["SoftmaxWithLoss"])["backward"].message
    assert "sums where the formula divides by the batch size" in loss


def test_a_broken_one_hot_branch_is_found_when_labels_pass(tmp_path):
    text = (DOCS / "dlfs_ch5_backprop.md").read_text(encoding="utf-8")
    path = tmp_path / "one_hot_branch.md"
    path.write_text(text.replace("dx = (self.y - self.t) / batch_size", "dx = self.y - self.t"),
                    encoding="utf-8")
    loss = targets(run(path))["SoftmaxWithLoss"]
    assert loss.status == "fail"
    assert loss.convention.endswith("with t as integer labels (classes on axis 1)")
    message = checks(loss)["targets"].message
    assert message.startswith("with t one-hot (classes on axis 1) the layer runs but computes "
                              "wrong values: dx: worst entry")
    assert "sums where the formula divides by the batch size" in message


# ------------------------------------------------------------- micrograd: scalar values


def test_micrograd_value_operations_are_verified_one_by_one():
    report = run(DOCS / "micrograd_value.md")
    found = targets(report)
    assert {n: (r.op, r.status) for n, r in found.items()} == {
        "Value.__add__": ("add", "pass"), "Value.__mul__": ("mul", "pass"),
        "Value.__truediv__": ("div", "pass"),  # self * other**-1: the whole graph below it
        "Value.tanh": ("tanh", "fail"), "Value.exp": ("exp", "pass"),
        "Value.sigmoid": ("sigmoid", "fail"), "Value.relu": ("relu", "pass")}
    for name in ("Value.tanh", "Value.sigmoid"):
        backward = checks(found[name])["backward"].message
        assert backward.startswith("dx: worst entry [") and "(derived), found" in backward
        assert "likely cause: it uses the input x where the output out was meant" in backward
        # math.exp(2x) overflows at large |x| where tanh and the sigmoid are ±1 and 0
        assert "an overflow" in checks(found[name])["extreme_inputs"].message
    assert checks(found["Value.relu"])["kink_convention"].status == "pass"
    assert report.blocks == []
