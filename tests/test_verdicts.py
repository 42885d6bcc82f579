"""Issue 11: verdicts people can trust. Each fixture in tests/verdicts/ gets the stated verdict:
no false pass (exits, precision, state, ties), nothing verified is never exit 0, no false alarm
on correct softmax losses, findings in the student's words, and hostile layers that cannot
hang, abort or corrupt a run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from derive.cli import main

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "verdicts"


def run_json(capsys, *argv):
    code = main(["verify", *argv, "--seed", "1", "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out)


def by_name(data) -> dict:
    return {r["target"].rpartition(":")[2]: r for r in data["results"]}


def checks(result) -> dict:
    return {c["name"]: c for c in result["checks"]}


def test_exits_in_forward_and_backward_are_errors_and_the_rest_is_judged(capsys):
    code, data = run_json(capsys, str(FIXTURES / "exits.py"))
    found = by_name(data)
    assert code == 1 and found["Sigmoid"]["status"] == "pass"
    for name, words in [("SigmoidSysExit", "forward raised SystemExit: 0 at "),
                        ("SigmoidExitBuiltin", "backward raised SystemExit"),
                        ("SigmoidRaisesSystemExit", "forward raised SystemExit: 0")]:
        assert found[name]["status"] == "error"
        message = " ".join(c["message"] for c in found[name]["checks"])
        assert words in message and "exits.py:" in message
    os_exit = found["SigmoidOsExit"]
    assert os_exit["status"] == "error" and "exit code 0" in os_exit["message"]
    assert "os._exit()" in os_exit["message"]


def test_exits_at_import_never_pass(capsys, tmp_path):
    assert main(["verify", str(FIXTURES / "exit_at_import.py")]) == 2  # like any raise there
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "SystemExit" in err[0] and "exit_at_import.py:3" in err[0]
    code, data = run_json(capsys, str(FIXTURES / "os_exit_at_import.py"), "layers:Tanh")
    hurt, tanh = data["results"]
    assert code == 1 and hurt["status"] == "error" and "while loading it" in hurt["message"]
    assert tanh["status"] == "pass"


def test_a_module_hanging_at_import_is_stopped_by_the_timeout(capsys):
    start = time.monotonic()
    code, data = run_json(capsys, str(FIXTURES / "hang_at_import.py"), "--timeout", "2")
    assert code == 1 and time.monotonic() - start < 15
    message = data["results"][0]["message"]
    assert "did not finish within 2 s" in message and "--timeout" in message


def test_exits_in_markdown_blocks_fail_the_block_only(capsys):
    code, data = run_json(capsys, str(FIXTURES / "exits.md"))
    assert code == 0 and {r["status"] for r in data["results"]} == {"pass"}
    assert len(data["results"]) == 2  # Relu, defined after the exiting block, is judged
    (block,) = data["summary"]["failed_blocks"]
    assert block["block"] == 2 and "SystemExit" in block["error"]
    code, data = run_json(capsys, str(FIXTURES / "os_exit.md"))
    assert code == 0 and by_name(data)["Tanh"]["status"] == "pass"
    (block,) = data["summary"]["failed_blocks"]
    assert block["block"] == 2 and "exit code 3" in block["error"]


@pytest.mark.parametrize("name, check, words", [
    ("TanhWrongInFloat32", "dtype_shape", "for float32 inputs"),
    ("TanhFloat16Output", "dtype_shape", "float64 inputs give out of dtype float16"),
    ("TanhComplex", "forward", "complex dtype complex128"),
    ("SigmoidDowncast", "forward", "relative error"),
    ("SigmoidInteger", "forward", "has dtype int64"),
])
def test_precision_and_dtype_bugs_fail(capsys, name, check, words):
    code, data = run_json(capsys, f"{FIXTURES / 'dtypes.py'}:{name}")
    (result,) = data["results"]
    assert code == 1 and result["status"] == "fail"
    assert checks(result)[check]["status"] == "fail" and words in checks(result)[check]["message"]


def test_state_after_the_fifth_call_fails_for_objects_and_module_counters(capsys):
    code, data = run_json(capsys, str(FIXTURES / "stateful.py"))
    found = by_name(data)
    assert code == 1
    tired = checks(found["TanhTiresAfterFiveCalls"])["state"]
    assert tired["status"] == "fail" and "call 6 of 9" in tired["message"]
    assert found["tanh"]["status"] == "fail"


def test_a_tie_of_max_needs_parts_that_add_up(capsys):
    code, data = run_json(capsys, str(FIXTURES / "ties.py"), "--formula", "max(x, y)")
    found = by_name(data)
    assert code == 1
    assert checks(found["Maximum"])["kink_convention"]["status"] == "pass"
    assert checks(found["MaximumFirstWins"])["kink_convention"]["status"] == "warn"
    nobody = checks(found["MaximumNobodyWins"])["kink_convention"]
    assert nobody["status"] == "fail" and "not a subgradient" in nobody["message"]
    assert "dx = 0, dy = 0" in nobody["message"]


def test_derive_new_refuses_vectors_where_a_column_is_declared(tmp_path):
    out = tmp_path / "lin"
    assert main(["new", "lin", "--formula", "W @ x + b", "--shape", "W=n,n", "--shape",
                 "x=n,1", "--shape", "b=n,1", "--param", "W", "--param", "b", "--format", "md",
                 "--out", str(out)]) == 0
    sys.path.insert(0, str(out))
    try:
        from lin import Lin
    finally:
        sys.path.remove(str(out))
    layer = Lin(np.eye(3), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"x has shape \(3,\).*reshape\(-1, 1\)"):
        layer.forward(np.ones(3))
    assert layer.forward(np.ones((3, 1))).shape == (3, 1)


@pytest.mark.parametrize("target, words", [
    ("nothing/empty.py", "defines no class or function"),
    ("nothing/no_backward.py:helper", "helper is a function, not a class with forward"),
    ("nothing/empty_folder", "the folder holds no .py file"),
    ("os", "none of them a class with forward and backward"),
    ("numpy", "none of them a class with forward and backward"),
])
def test_nothing_verified_is_exit_1_saying_what_was_found(capsys, target, words):
    where = target if target in ("os", "numpy") else str(FIXTURES / target)
    code, data = run_json(capsys, where)
    assert code == 1 and data["results"] == []
    assert words in data["summary"]["nothing_judged"]


def test_unbound_layer_like_code_is_listed_and_counted(capsys):
    code, data = run_json(capsys, str(FIXTURES / "nothing"))
    assert code == 1 and data["summary"]["unbound"] == 3
    reasons = {s["target"].rpartition(":")[2]: s["reason"] for s in data["summary"]["skipped"]}
    assert "forward but no backward" in reasons["Sigmoid"]
    assert "has no softmax_backward" in reasons["softmax_forward"]
    assert "give --op NAME" in reasons["Swish7"] and "--formula" in reasons["Swish7"]
    assert "empty.py" in data["summary"]["nothing_judged"]


@pytest.mark.parametrize("name", ["softmax_loss", "scipy_softmax_loss"])
def test_correct_softmax_losses_warn_about_the_underflowing_log(capsys, name):
    code, data = run_json(capsys, f"{FIXTURES / 'softmax_losses.py'}:{name}",
                          "--op", "softmax_cross_entropy_rows")
    (result,) = data["results"]
    assert code == 0 and result["status"] == "pass"
    extreme = checks(result)["extreme_inputs"]
    assert extreme["status"] == "warn" and "underflowed to 0" in extreme["message"]
    assert "shifted − log Σ exp(shifted)" in extreme["message"]
    assert "subtract the max before" not in extreme["message"]
    assert "starts near |x| ≈ 7" in extreme["message"]


def test_log_softmax_passes_and_an_overflowing_softmax_fails(capsys):
    code, data = run_json(capsys, f"{FIXTURES / 'softmax_losses.py'}:log_softmax_loss",
                          "--op", "softmax_cross_entropy_rows")
    assert code == 0 and checks(data["results"][0])["extreme_inputs"]["status"] == "pass"
    code, data = run_json(capsys, f"{FIXTURES / 'softmax_losses.py'}:naive_softmax_loss",
                          "--op", "softmax_cross_entropy_rows")
    extreme = checks(data["results"][0])["extreme_inputs"]
    assert code == 1 and extreme["status"] == "fail" and "overflowed" in extreme["message"]


def test_findings_use_the_students_names_lines_and_numpy_hints(capsys):
    code, data = run_json(capsys, str(FIXTURES / "names.py"))
    found = by_name(data)
    assert code == 1
    backward = checks(found["affine"])["backward"]["message"]
    assert backward.startswith("dw: worst entry") and "dW" not in backward
    relu = found["relu"]
    assert relu["message"] == "not implemented: relu_backward returned None"
    assert [c["status"] for c in relu["checks"]] == ["pass", "fail"]  # one finding, not three
    sigmoid = checks(found["sigmoid"])["backward"]["message"]
    assert "names.py:35" in sigmoid and "use np.prod" in sigmoid
    tanh = checks(found["tanh"])["backward"]["message"]
    assert "LinAlgError" in tanh and "names.py:45" in tanh and "site-packages" not in tanh


def test_hostile_layers_get_verdicts_and_the_json_stays_clean(capsys):
    start = time.monotonic()
    code, data = run_json(capsys, str(FIXTURES / "hostile.py"), "--timeout", "3")
    assert code == 1 and time.monotonic() - start < 60
    found = by_name(data)
    for name in ("SigmoidSwallowsEverything", "SigmoidIgnoresAlarm"):
        assert found[name]["status"] == "error"
        assert "did not finish within 3 s" in found[name]["message"]
    for name, kind in [("SigmoidReturnsText", "str"), ("SigmoidReturnsDict", "dict"),
                       ("SigmoidReturnsGenerator", "generator")]:
        assert f"the output of forward is a {kind}" in checks(found[name])["forward"]["message"]
    assert "could not be printed" in checks(found["SigmoidUnprintableError"])["forward"]["message"]
    assert "raised GeneratorExit" in checks(found["SigmoidGeneratorExit"])["forward"]["message"]
    for name in ("SigmoidStartsThread", "SigmoidPrintsToFd1"):
        assert found[name]["status"] == "pass"
    shout = checks(found["SigmoidShouts"])["forward"]["message"]
    assert "\x1b" not in shout and len(shout) < 2100 and "more characters" in shout


def test_the_cli_exits_promptly_with_fd1_writes_and_threads_kept_out_of_json(tmp_path):
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "derive", "verify", f"{FIXTURES / 'hostile.py'}:SigmoidPrintsToFd1",
         f"{FIXTURES / 'hostile.py'}:SigmoidStartsThread", "--json", "--seed", "1"],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and time.monotonic() - start < 60
    data = json.loads(proc.stdout)  # the layer's fd-1 bytes are not in it
    assert [r["status"] for r in data["results"]] == ["pass", "pass"]
    assert "Traceback" not in proc.stderr


def test_a_bad_timeout_is_a_usage_error(capsys):
    assert main(["verify", "layers:Sigmoid", "--timeout", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--timeout" in err[0]


def test_the_pytest_plugin_fails_a_target_with_nothing_to_verify(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path),
         f"--derive-verify={FIXTURES / 'nothing' / 'empty.py'}", "--derive-timeout=30"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=120, check=False)
    assert "1 failed" in proc.stdout and "nothing was verified" in proc.stdout, proc.stdout


def test_assert_layer_correct_survives_a_layer_that_exits():
    from derive.testing import assert_layer_correct, layer_report

    sys.path.insert(0, str(FIXTURES))
    try:
        import exits
    finally:
        sys.path.remove(str(FIXTURES))
    result = layer_report(exits.SigmoidOsExit, "sigmoid", timeout=30)
    assert result.status == "error" and "exit code 0" in result.message
    with pytest.raises(AssertionError, match="SystemExit"):
        assert_layer_correct(exits.SigmoidSysExit, "sigmoid")
    assert_layer_correct(exits.Sigmoid, "sigmoid")


def test_private_helpers_beside_a_layer_are_neither_judged_nor_listed(capsys, tmp_path):
    layer = tmp_path / "layer_with_helpers.py"
    layer.write_text(
        "import numpy as np\n\n"
        "def _step_forward(x):\n    return np.maximum(x, 0)\n\n"
        "def _step_backward(dout, x):\n    return dout\n\n"
        "class _Base:\n    def forward(self, x):\n        return x\n\n"
        "def relu_forward(x):\n    return _step_forward(x), x\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    code, data = run_json(capsys, str(layer))
    assert code == 0 and [r["target"].rpartition(":")[2] for r in data["results"]] == ["relu"]
    assert data["summary"]["unbound"] == 0 and data["summary"]["skipped"] == []


def test_a_sandwich_layer_is_listed_as_the_composition_it_is(capsys, tmp_path):
    layer = tmp_path / "layer_utils.py"
    layer.write_text(
        "def conv_relu_pool_forward(x, w, b, conv_param, pool_param):\n    return x, None\n\n"
        "def conv_relu_pool_backward(dout, cache):\n    return dout, dout, dout\n\n"
        "def affine_relu_forward(x, w, b):\n    return x, None\n\n"
        "def affine_relu_backward(dout, cache):\n    return dout, dout, dout\n\n"
        "def zorp_forward(x):\n    return x, None\n\n"
        "def zorp_backward(dout, cache):\n    return dout\n")
    code, data = run_json(capsys, str(layer))
    reasons = {s["target"].rpartition(":")[2]: s["reason"] for s in data["summary"]["skipped"]}
    assert code == 1 and data["summary"]["unbound"] == 3
    assert reasons["affine_relu"].startswith("affine_relu composes affine, then relu")
    assert "composes conv2d, then relu" in reasons["conv_relu_pool"]
    assert "--op NAME" not in reasons["affine_relu"] and "--op NAME" in reasons["zorp"]
