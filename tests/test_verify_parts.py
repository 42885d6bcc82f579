"""Parts of the verifier a user meets directly: diagnosis words, conventions, Markdown
loading, the pytest helper and the pytest plugin."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from derive.testing import assert_layer_correct
from derive.verify import verify
from derive.verify.diagnosis import guess_cause
from derive.verify.targets import load_target, python_blocks

RNG = np.random.default_rng(0)
E = RNG.standard_normal((3, 4))


@pytest.mark.parametrize("found, words", [
    (-E, "sign is flipped"),
    (E / 4, "1/4"),
    (E * 3, "factor 3"),
    (E.T, "transposed"),
    (E.sum(axis=1), "shape (3,)"),
    (np.zeros_like(E), "all zeros"),
])
def test_diagnosis_names_the_cause(found, words):
    assert words in guess_cause(found, E, sizes={3, 4, 12})


def test_one_wrong_entry_is_pointed_at():
    found = E.copy()
    found[1, 2] *= 1.000001
    assert "only 1 of 12 entries differ (at (1, 2))" in guess_cause(found, E, tol=1e-10)


def test_keepdims_and_wrong_axis_are_told_apart():
    column = E.sum(axis=1, keepdims=True)
    assert "keepdims" in guess_cause(column.ravel(), column)
    assert "wrong axis" in guess_cause(E.sum(axis=0, keepdims=True), column)


def test_conventions_name_what_the_code_implements():
    report = verify(["tests/zoo/correct.py"], seed=3)
    verdicts = {r.target.rpartition(":")[2]: r for r in report.results}
    assert verdicts["affine"].op == "affine_rows" and verdicts["affine"].status == "pass"
    assert verdicts["softmax_loss"].message == (
        "passes as softmax_cross_entropy_rows (mean over the batch) with t as integer labels "
        "(classes on axis 1)")
    assert "reduction=mean" in verdicts["MSEMean"].message


def test_markdown_blocks_are_dedented_run_in_order_and_failures_reported(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text(textwrap.dedent("""\
        Some text.
        ```python
          scale = 2.0
          print("chatty")
        ```
        ```python
        undefined_name + 1
        ```
        ```python
         class Doubler:
           def forward(self, x, y):
             self.x, self.y = x, y
             return x * y
           def backward(self, dout):
             return dout * self.y * scale / 2, dout * self.x
        ```
        """))
    assert [line for line, _ in python_blocks(doc.read_text())] == [3, 7, 10]
    loaded = load_target(str(doc))
    assert loaded.failed_blocks[0]["block"] == 2
    report = verify([str(doc)], op="mul", seed=1)
    assert [r.status for r in report.results] == ["pass"]


def test_assert_layer_correct_passes_and_fails_with_findings():
    from zoo.buggy_elementwise import TanhSignFlip

    from layers import Sigmoid

    assert_layer_correct(Sigmoid, "sigmoid")
    with pytest.raises(AssertionError, match="sign is flipped"):
        assert_layer_correct(TanhSignFlip, "tanh", seed=5)


def test_a_function_pair_that_is_not_filled_in_is_reported_as_not_implemented(tmp_path):
    source = tmp_path / "hw.py"
    source.write_text("def relu_forward(x):\n    return None\n\n"
                      "def relu_backward(dout, cache):\n    pass\n")
    (result,) = verify([str(source)], seed=0).results
    assert result.status == "fail"
    assert result.message == "not implemented: relu_forward returned None"


def test_the_pytest_plugin_adds_one_test_per_target(tmp_path):
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path),
         "--derive-verify=layers:Sigmoid",
         f"--derive-verify={root / 'tests/zoo/buggy_nodes.py'}:MSEFactorTwo", "--derive-seed=2"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert "1 failed, 1 passed" in proc.stdout, proc.stdout + proc.stderr
    assert "MSEFactorTwo" in proc.stdout and "factor 2" in proc.stdout


def test_hypothesis_shrinks_counterexamples_to_the_smallest_input():
    report = verify(["tests/zoo/buggy_elementwise.py:TanhSignFlip",
                     "tests/zoo/buggy_nodes.py:SoftmaxWithLossSumsAll"], seed=4)
    tanh, softmax = ({c.name: c for c in r.checks} for r in report.results)
    example = tanh["backward"].counterexample
    assert example["shrunk"] and example["inputs"] == {"x": [0.0]} and example["dout"] == [1.0]
    assert "smallest failing input found: x = 0, dout = 1" in tanh["backward"].message
    shrunk = softmax["forward"].counterexample
    assert shrunk["shrunk"] and np.size(shrunk["inputs"]["x"]) <= 2


def test_a_layer_can_be_verified_against_a_formula_derivation(tmp_path):
    from derive.pipeline import derive

    source = tmp_path / "swish.py"
    source.write_text(textwrap.dedent("""\
        import numpy as np

        class Swish:
            def forward(self, x):
                self.x, self.s = x, 1 / (1 + np.exp(-x))
                return x * self.s

            def backward(self, dout):
                return dout * (self.s + self.x * self.s * (1 - self.s))
        """))
    derivation = derive(formula="x * sigmoid(x)", name="swish")
    (result,) = verify([f"{source}:Swish"], seed=2, derivation=derivation).results
    assert result.op == "swish" and result.status == "pass"


def test_python_api_mirrors_the_cli():
    import derive
    from derive.verify import verify as verify_api

    assert derive.derive("sigmoid").saved_form["x"] is not None
    assert verify_api(["layers:Sigmoid"], seed=1).ok
    assert verify_api(["layers:Relu"], seed=2).results[0].status == "pass"
