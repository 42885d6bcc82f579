"""`derive verify` as a user runs it: exit codes, JSON contract, the tutorial's real bugs."""

import json
import shutil
from pathlib import Path

import pytest

from derive.cli import main

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_dc0b323c1ac26039.txt"
CHECK_KEYS = {"name", "status", "max_rel_err", "message", "counterexample"}


def run_json(capsys, *argv):
    code = main(["verify", *argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def by_target(data):
    return {r["target"].rpartition(":")[2]: r for r in data["results"]}


def test_our_layers_pass_with_the_json_contract(capsys):
    code, data = run_json(capsys, "layers", "--seed", "4")
    assert code == 0
    results = by_target(data)
    assert {"Sigmoid", "Relu", "AddLayer", "Affine", "SoftmaxWithLossRows"} <= set(results)
    for result in data["results"]:
        assert set(result) >= {"target", "op", "status", "convention", "checks"}
        assert result["status"] == "pass"
        names = {c["name"] for c in result["checks"]}
        assert {"forward", "backward", "finite_difference", "side_effects", "extreme_inputs",
                "dtype_shape"} <= names
        assert all(set(c) >= CHECK_KEYS for c in result["checks"])
    assert {"dW", "db"} and "param_gradients" in {c["name"] for c in results["Affine"]["checks"]}
    assert data["summary"]["seed"] == 4 and "--seed 4" in data["summary"]["rerun"]


@pytest.fixture
def tutorial(tmp_path):
    path = tmp_path / "tutorial.md"
    shutil.copy(SEED, path)
    return path


def test_the_tutorial_bugs_are_found_and_its_correct_nodes_pass(capsys, tutorial):
    code, data = run_json(capsys, str(tutorial), "--seed", "0")
    assert code == 1
    results = by_target(data)
    assert results["AddLayer"]["status"] == "pass" and results["MulLayer"]["status"] == "pass"
    checks = {t: {c["name"]: c for c in r["checks"]} for t, r in results.items()}
    assert results["Affine"]["status"] == "error"
    assert "self.b" in checks["Affine"]["forward"]["message"]
    assert "self.out" in checks["sigmoid"]["forward"]["message"]
    assert checks["Relu"]["side_effects"]["status"] == "warn"
    assert "dout" in checks["Relu"]["side_effects"]["message"]
    extreme = checks["SoftmaxWithLoss"]["extreme_inputs"]
    assert extreme["status"] == "fail"
    assert "overflow" in extreme["message"] and "clipped" in extreme["message"]
    assert checks["SoftmaxWithLoss"]["forward"]["status"] == "fail"
    assert checks["SoftmaxWithLoss"]["linearity"]["status"] == "warn"
    failed = data["summary"]["failed_blocks"]
    assert any("name 'W' is not defined" in b["error"] for b in failed)


def test_strict_turns_the_mutated_dout_into_a_failure(capsys, tutorial):
    _, data = run_json(capsys, str(tutorial), "--seed", "0", "--strict")
    relu = by_target(data)["Relu"]
    assert relu["status"] == "fail"
    assert {c["name"]: c["status"] for c in relu["checks"]}["side_effects"] == "fail"


def test_the_table_prints_findings_the_seed_and_a_rerun_line(capsys):
    code = main(["verify", "tests/zoo/buggy_elementwise.py:TanhSignFlip", "--seed", "11"])
    out = capsys.readouterr().out
    assert code == 1
    assert "the sign is flipped" in out
    assert "rerun: derive verify tests/zoo/buggy_elementwise.py:TanhSignFlip --seed 11" in out


def test_op_binds_a_class_with_an_unrelated_name(capsys, tmp_path):
    source = tmp_path / "mine.py"
    source.write_text("import numpy as np\n\nclass Squash:\n    def forward(self, x):\n"
                      "        self.out = np.tanh(x)\n        return self.out\n\n"
                      "    def backward(self, dout):\n        return dout * (1 - self.out ** 2)\n")
    code, data = run_json(capsys, f"{source}:Squash", "--op", "tanh", "--seed", "2")
    assert code == 0 and data["results"][0]["op"] == "tanh"
    code, data = run_json(capsys, f"{source}:Squash", "--op", "sigmoid", "--seed", "2")
    assert code == 1 and data["results"][0]["status"] == "fail"


def test_an_unbindable_class_is_skipped_when_scanning_and_an_error_when_named(capsys, tmp_path):
    source = tmp_path / "odd.py"
    source.write_text("class Frobnicate:\n    def forward(self, x):\n        return x\n"
                      "    def backward(self, dout):\n        return dout\n")
    code, data = run_json(capsys, str(source))  # nothing judged: exit 1, the class named
    assert code == 1 and data["summary"]["skipped"][0]["target"].endswith("Frobnicate")
    assert data["summary"]["unbound"] == 1 and data["summary"]["nothing_judged"]
    code, data = run_json(capsys, f"{source}:Frobnicate")
    assert code == 1 and "--op" in data["results"][0]["message"]


@pytest.mark.parametrize("argv, words", [
    (["no/such/file.py"], "does not exist"),
    (["tests/zoo:Affine"], "is a folder"),
    (["tests/zoo/correct.py:Nope"], "no name 'Nope'"),
    (["no_such_module_xyz"], "no module named"),
    (["layers", "--op", "nonsense"], "unknown operator"),
])
def test_bad_targets_are_one_line_usage_errors(capsys, argv, words):
    code = main(["verify", *argv])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert words in captured.err and captured.err.count("\n") == 1


def test_a_hanging_layer_gets_a_verdict_and_the_run_goes_on(capsys):
    code, data = run_json(capsys, "tests/zoo/buggy_elementwise.py:SqrtHangs",
                          "tests/zoo/correct.py:MulCopies", "--seed", "1")
    hang, mul = data["results"]
    assert code == 1 and hang["status"] == "error" and "did not finish" in hang["message"]
    assert mul["status"] == "pass"


def test_a_file_inside_a_package_is_imported_with_its_package(capsys):
    code, data = run_json(capsys, "layers/affine.py:Affine", "layers/activations.py", "--seed", "3")
    assert code == 0
    assert [r["target"] for r in data["results"]][0] == "layers/affine.py:Affine"
    assert len(data["results"]) == 9


@pytest.mark.parametrize("seed", ["-5", "x", "1.5"])
def test_a_seed_that_is_not_a_non_negative_integer_is_refused(capsys, seed):
    assert main(["verify", "layers:Sigmoid", "--seed", seed]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"'{seed}' is not a non-negative integer" in err[0]


def test_a_text_file_is_read_as_a_tutorial_and_refused_without_code(capsys, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("just some notes\n")
    assert main(["verify", str(notes)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no Python code blocks" in err[0] and "notes.txt" in err[0]
    notes.write_text("A layer:\n```python\nclass Sigmoid:\n    def forward(self, x):\n"
                     "        self.out = 1 / (1 + np.exp(-x))\n        return self.out\n"
                     "    def backward(self, dout):\n        return dout * self.out * (1 - self.out)"
                     "\n```\n")
    code, data = run_json(capsys, str(notes), "--seed", "1")
    assert code == 0 and [r["status"] for r in data["results"]] == ["pass"]


@pytest.mark.parametrize("content, words", [
    ('{"cells": [{"cell_type": "markdown", "source": ["# notes"]}]}', "has no code cells"),
    ("not json at all", "not a Jupyter notebook"),
    ('{"cells": 3}', "not a Jupyter notebook"),
])
def test_a_notebook_without_code_is_refused_in_one_line(capsys, tmp_path, content, words):
    notebook = tmp_path / "empty.ipynb"
    notebook.write_text(content)
    assert main(["verify", str(notebook)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "empty.ipynb" in err[0]
