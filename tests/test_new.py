"""`derive new`: the generated layer file, report and verification, as a user gets them."""

import contextlib
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numgrad import numerical_gradient

from derive.cli import main

REPO = Path(__file__).resolve().parents[1]


def run_new(*argv):
    """(exit code, stdout, stderr) of `derive new ...` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["new", *argv])
    return code, out.getvalue(), err.getvalue()


def load_layer(path: Path, cls: str):
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, cls)


@pytest.fixture(scope="module")
def mish(tmp_path_factory):
    folder = tmp_path_factory.mktemp("new") / "out"
    code, out, err = run_new("mish", "--formula", "x*tanh(softplus(x))", "--out", str(folder),
                             "--format", "md")
    return folder, code, out, err


def test_mish_writes_the_layer_its_report_and_its_verification(mish):
    folder, code, out, err = mish
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["mish.md", "mish.py", "mish.verify.json"]
    for name in ("mish.py", "mish.md", "mish.verify.json"):
        assert f"wrote {folder / name}" in out
    assert "Mish: verified" in out.splitlines()[-1]
    data = json.loads((folder / "mish.verify.json").read_text())
    (result,) = data["results"]
    assert result["status"] == "pass" and result["op"] == "mish"
    assert result["target"] == f"{folder / 'mish.py'}:Mish"
    names = {c["name"] for c in result["checks"]}
    assert {"forward", "backward", "finite_difference", "side_effects", "extreme_inputs",
            "dtype_shape"} <= names
    assert data["summary"]["pass"] == 1 and data["summary"]["seed"] == 0
    report = (folder / "mish.md").read_text()
    assert "tanh" in report and "Verification" in report and "| backward | pass |" in report


def test_the_generated_file_imports_without_derive(mish):
    folder = mish[0]
    script = f"""
import importlib.abc, json, sys
sys.path = [p for p in sys.path if p not in ('', '.', {str(REPO)!r})]
sys.path.insert(0, {str(folder)!r})

class NoProject(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('derive', 'reports', 'layers'):
            raise ImportError('the generated layer must not import ' + name)

sys.meta_path.insert(0, NoProject())
import numpy as np
import mish
layer = mish.Mish()
out = layer.forward(np.array([0.5, -1.0]))
dx = layer.backward(np.ones(2))
print(json.dumps({{"modules": sorted(m for m in sys.modules if m.split('.')[0] == 'derive'),
                  "out": out.tolist(), "dx": dx.tolist(), "op": mish.Mish.op,
                  "formula": mish.Mish.formula}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["modules"] == []
    assert found["op"] is None and found["formula"] == "x*tanh(softplus(x))"
    x = np.array([0.5, -1.0])
    assert np.allclose(found["out"], x * np.tanh(np.log1p(np.exp(x))))


def test_mish_backward_matches_finite_differences(mish):
    Mish = load_layer(mish[0] / "mish.py", "Mish")
    rng = np.random.default_rng(7)
    x, dout = rng.uniform(-4, 4, (3, 4)), rng.normal(size=(3, 4))
    layer = Mish()
    layer.forward(x)
    dx = layer.backward(dout)
    expected = numerical_gradient(lambda z: np.sum(Mish().forward(z) * dout), x)
    np.testing.assert_allclose(dx, expected, rtol=1e-6, atol=1e-8)


def test_mish_keeps_float32_and_is_stable_far_out(mish):
    Mish = load_layer(mish[0] / "mish.py", "Mish")
    layer = Mish()
    out = layer.forward(np.array([-1.0, 2.0], dtype=np.float32))
    dx = layer.backward(np.ones(2, dtype=np.float32))
    assert out.dtype == np.float32 and dx.dtype == np.float32
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        far = layer.forward(np.array([-1000.0, 1000.0]))
        dfar = layer.backward(np.ones(2))
    np.testing.assert_allclose(far, [0.0, 1000.0], atol=1e-12)
    np.testing.assert_allclose(dfar, [0.0, 1.0], atol=1e-12)


def test_two_inputs_give_a_tuple_of_gradients(tmp_path):
    code, _out, err = run_new("xy", "--formula", "x*y + sin(x)", "--out", str(tmp_path),
                             "--format", "md")
    assert code == 0, err
    Xy = load_layer(tmp_path / "xy.py", "Xy")
    rng = np.random.default_rng(3)
    x, y, dout = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    layer = Xy()
    np.testing.assert_allclose(layer.forward(x, y), x * y + np.sin(x))
    grads = layer.backward(dout)
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_allclose(grads[0], dout * (y + np.cos(x)))
    np.testing.assert_allclose(grads[1], dout * x)
    source = (tmp_path / "xy.py").read_text()
    assert "# dL/dx = " in source and "# dL/dy = dout*x" in source


def test_a_latex_formula_gives_a_layer_that_saves_its_output(tmp_path):
    code, _out, err = run_new("logistic", "--latex", r"\frac{1}{1+e^{-x}}", "--out",
                             str(tmp_path), "--format", "md")
    assert code == 0, err
    Logistic = load_layer(tmp_path / "logistic.py", "Logistic")
    layer = Logistic()
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = layer.forward(x)
        dx = layer.backward(np.full(5, 2.0))
    s = 1 / (1 + np.exp(-x[1:4]))
    np.testing.assert_allclose(out, [0.0, *s, 1.0], atol=1e-300)
    np.testing.assert_allclose(dx, [0.0, *(2 * s * (1 - s)), 0.0], atol=1e-300)
    assert layer.out is out  # backward works from the saved output, as the tutorial's Sigmoid
    given = x.copy()
    layer.forward(given)
    given[:] = 0.0  # so changing the input afterwards does not change the gradient
    np.testing.assert_allclose(layer.backward(np.full(5, 2.0)), dx)
    assert "# dL/dx = dout*out*(1 - out)" in (tmp_path / "logistic.py").read_text()
    assert Logistic.formula == "1/(1 + exp(-x))"  # the LaTeX in formula syntax


def test_a_layer_that_fails_verification_writes_nothing_or_with_keep_a_failed_name(
        tmp_path, monkeypatch):
    """Behaviour changed (issue 12): a failing layer is no longer written as NAME.py."""
    import derive.layergen

    real = derive.layergen.layer_source

    def doubled(*args, **kwargs):
        return real(*args, **kwargs).replace('return grads["x"]', 'return 2 * grads["x"]')

    monkeypatch.setattr(derive.layergen, "layer_source", doubled)
    code, out, err = run_new("sq", "--formula", "x**2", "--out", str(tmp_path), "--format", "md")
    assert code == 1, err
    assert "Sq: verification FAILED" in out and "backward (fail)" in out
    assert "no files written" in out and list(tmp_path.iterdir()) == []
    code, out, err = run_new("sq", "--formula", "x**2", "--out", str(tmp_path), "--format", "md",
                             "--keep")
    assert code == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sq.failed.md", "sq.failed.py",
                                                           "sq.failed.verify.json"]
    (result,) = json.loads((tmp_path / "sq.failed.verify.json").read_text())["results"]
    assert result["status"] == "fail" and result["target"].endswith("sq.failed.py:Sq")
    assert "| backward | fail |" in (tmp_path / "sq.failed.md").read_text()


def test_matrix_parameters_go_to_init_and_their_gradients_to_attributes(tmp_path):
    code, _out, err = run_new("dense", "--formula", "W @ X + b", "--shape", "W=n,m", "--shape",
                             "X=m,N", "--shape", "b=n,1", "--param", "W", "--param", "b",
                             "--out", str(tmp_path), "--format", "md")
    assert code == 0, err
    Dense = load_layer(tmp_path / "dense.py", "Dense")
    rng = np.random.default_rng(5)
    W, b, X, dout = (rng.normal(size=s) for s in ((3, 4), (3, 1), (4, 2), (3, 2)))
    layer = Dense(W, b)
    np.testing.assert_allclose(layer.forward(X), W @ X + b)
    np.testing.assert_allclose(layer.backward(dout), W.T @ dout)
    np.testing.assert_allclose(layer.dW, dout @ X.T)
    np.testing.assert_allclose(layer.db, dout.sum(axis=1, keepdims=True))
    # the class carries its formula, so it can be verified again later from Python
    import derive
    from derive.testing import layer_report

    again = derive.derive(formula=Dense.formula, shapes=Dense.shapes, constants=Dense.constants,
                          name="dense")
    assert Dense.shapes == {"W": ("n", "m"), "X": ("m", "N"), "b": ("n", 1)}
    assert layer_report(Dense, derivation=again).status == "pass"


@pytest.mark.parametrize("argv, words", [
    (["9lives", "--formula", "x"], "NAME '9lives'"),
    (["my-act", "--formula", "x"], "NAME 'my-act'"),
    (["ok", "--formula", "x*("], "syntax error"),
    (["ok", "--formula", "foo(x)"], "unknown function 'foo'"),
    (["ok", "--formula", "x", "--latex", "x"], "exactly one of"),
    (["ok", "--formula", "x*y", "--param", "z"], "--param z"),
])
def test_bad_input_is_one_line_exit_2_and_no_files(tmp_path, argv, words):
    target = tmp_path / "out"
    code, _out, err = run_new(*argv, "--out", str(target), "--format", "md")
    assert code == 2
    assert err.count("\n") == 1 and words in err
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_out_is_refused_and_nothing_is_left(tmp_path):
    (tmp_path / "a_file").write_text("in the way")
    code, _out, err = run_new("sq", "--formula", "x**2", "--out", str(tmp_path / "a_file" / "sub"),
                             "--format", "md")
    assert code == 2 and err.count("\n") == 1 and "--out" in err
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_a_failure_while_moving_takes_back_what_was_moved(tmp_path, monkeypatch):
    import os

    real, calls = os.replace, []

    def flaky(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", flaky)
    code, _out, err = run_new("sq", "--formula", "x**2", "--out", str(tmp_path / "new" / "deep"),
                             "--format", "md")
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert ".derive-staging" not in err and str(tmp_path / "new" / "deep") in err
    assert len(calls) >= 2 and list(tmp_path.iterdir()) == []


@pytest.mark.requires_tex
def test_the_default_report_is_a_pdf_with_the_verification(tmp_path, tex):
    code, _out, err = run_new("mish", "--formula", "x*tanh(softplus(x))", "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mish.pdf", "mish.py",
                                                           "mish.verify.json"]
    text = subprocess.run([tex.pdftotext, str(tmp_path / "mish.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "mish" in text and "tanh" in text and "finite_difference" in text


def test_a_formula_with_named_intermediates_gives_a_batch_norm_layer(tmp_path):
    code, _out, err = run_new(
        "bn", "--formula", "mu = mean(x, axis=0); var = mean((x - mu)**2, axis=0); "
        "xhat = (x - mu)/sqrt(var + eps); out = gamma*xhat + beta",
        "--shape", "x=N,D", "--shape", "gamma=1,D", "--shape", "beta=1,D", "--const", "eps",
        "--param", "gamma", "--param", "beta", "--out", str(tmp_path), "--format", "md")
    assert code == 0, err
    source = (tmp_path / "bn.py").read_text()
    assert ("# dL/dx = gamma*1/sqrt(eps + var)*(dout - mean(dout, axis=0) - "
            "xhat*mean(dout*xhat, axis=0))") in source
    rng = np.random.default_rng(5)
    x, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
    layer = load_layer(tmp_path / "bn.py", "Bn")(gamma, beta)
    out = layer.forward(x, 1e-5)
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    np.testing.assert_allclose(out, gamma * xhat + beta, rtol=1e-10)
    dout = rng.normal(size=(6, 3))
    dx = layer.backward(dout)
    numeric = numerical_gradient(lambda v: float(np.sum(layer.forward(v, 1e-5) * dout)), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.dgamma, np.sum(dout * xhat, axis=0, keepdims=True))
