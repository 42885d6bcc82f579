"""Values the forward keeps for the backward (derive.codegen.keep): chosen by cost, kept by
the generated forward_saved and layer class, read by backward, and equal to what backward
computes without them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from derive.codegen.passes import array_passes
from derive.layergen import layer_source
from derive.pipeline import derive
from derive.serialize import expr_text


def test_the_pass_counter_counts_array_operations():
    assert array_passes("(1 - out)*dout*out") == 3
    assert array_passes("-out**2*dout") == 3
    assert array_passes("numpy.where(numpy.greater(x, 0), dout, 0)") == 2
    assert array_passes("numpy.where(mask, dout, 0.01*dout)") == 2
    assert array_passes("(1/2)*2") == 0
    assert array_passes("numpy.size(x)") == 0
    assert array_passes("x > 0") == 1


@pytest.mark.parametrize("op, kept", [
    ("relu", {"mask": "x > 0"}),
    ("leaky_relu", {"mask": "x > 0"}),
    ("mse", {"x_minus_t": "-t + x"}),
    ("sigmoid", {}),   # out·(1 − out) from the output is cheaper than keeping the slope
    ("tanh", {}),
    ("square", {}),
])
def test_the_forward_keeps_what_a_person_would(op, kept):
    d = derive(op)
    assert {n: expr_text(v) for n, v in d.kept.items()} == kept
    assert set(kept) <= set(d.saved_names)


def test_a_gradient_sharing_nothing_with_the_forward_keeps_nothing():
    d = derive(formula="x**3 + sin(x)")
    assert d.kept == {} and "forward_saved" not in d.forward_source


@pytest.mark.parametrize("op", ["relu", "leaky_relu", "mse", "elu", "gelu", "pow"])
def test_backward_from_the_kept_values_equals_backward_alone(op):
    d = derive(op)
    forward, backward = d.functions()
    rng = np.random.default_rng(3)
    values = d.sample(rng, entries=(7, 5))
    saved = d.saved_values(values)
    assert set(saved) == set(d.saved_names) and d.kept
    dout = rng.standard_normal(np.shape(forward(**values))) if np.ndim(
        forward(**values)) else 1.0
    alone, kept = backward(dout, **values), backward(dout, **values, **saved)
    for name in d.inputs:
        np.testing.assert_allclose(kept[name], alone[name], rtol=1e-12, atol=1e-300)


def test_a_wrong_kept_value_changes_the_gradient():
    """backward really reads the kept value (not recomputing it): a wrong mask shows."""
    d = derive("relu")
    backward = d.functions()[1]
    x = np.array([-1.0, 2.0])
    right = backward(np.ones(2), x=x, mask=x > 0)["x"]
    wrong = backward(np.ones(2), x=x, mask=x < 0)["x"]
    assert right.tolist() == [0.0, 1.0] and wrong.tolist() == [1.0, 0.0]


def test_show_json_documents_each_kept_value(tmp_path):
    done = subprocess.run([sys.executable, "-m", "derive", "show", "relu", "--json"],
                          capture_output=True, text=True, check=True,
                          env={"DERIVE_NO_CACHE": "1", "PATH": "/usr/bin:/bin"})
    doc = json.loads(done.stdout)
    assert doc["kept"] == {"mask": "x > 0"}
    assert doc["saved_values"] == ["mask"]
    assert doc["saved_form"] == {"x": "where(mask, dout, 0)"}
    assert "def backward(dout, x, mask=None):" in doc["backward_source"]
    assert "def forward_saved(x):" in doc["forward_source"]


def test_the_generated_class_keeps_the_mask_and_verifies_in_a_fresh_process(tmp_path):
    d = derive(formula="where(x > 0, x, 0.2*x)", name="leaky2")
    source = layer_source(d, "leaky2")
    assert 'self.mask = _kept["mask"]' in source and "mask=self.mask" in source
    assert "# dL/dx = where(mask, dout, 0.2*dout)" in source
    path = tmp_path / "leaky2.py"
    path.write_text(source)
    done = subprocess.run([sys.executable, "-m", "derive", "verify", str(path), "--json"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["results"][0]["status"] == "pass"


def test_softplus_from_its_output_keeps_its_digits_far_left():
    """1 − exp(−out) rounds to 0 where out ≈ 1e-22 (x = −50); −expm1(−out) does not."""
    d = derive("softplus")
    forward, backward = d.functions()
    x = np.array([-50.0, -30.0, 0.0, 20.0])
    from_output = backward(np.ones(4), x=x, out=forward(x=x))["x"]
    exact = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(from_output, exact, rtol=1e-12)


@pytest.mark.parametrize("formula", ["hypot(x, y)", "arctan2(y, x)", "hypot(x, 2*y) + x"])
def test_hypot_and_arctan2_take_the_derivative_at_the_origin_as_zero(formula):
    """0/0 at the origin: the declared kink's convention (as abs'(0) = 0), not NaN."""
    d = derive(formula=formula)
    backward = d.functions()[1]
    with np.errstate(all="ignore"):
        grads = backward(np.ones(2), x=np.array([0.0, 3.0]), y=np.array([0.0, 4.0]))
    for name in d.inputs:
        assert np.all(np.isfinite(grads[name])), (name, grads[name])
        assert grads[name][0] == (1.0 if formula.endswith("+ x") and name == "x" else 0.0)
    assert any("hypot" in c for c in d.conventions)


@pytest.mark.parametrize("formula", ["hypot(x, y)", "arctan2(y, x)"])
def test_a_layer_of_hypot_or_arctan2_verifies_in_a_fresh_process(tmp_path, formula):
    """The kink at the origin cannot be solved for one name: the verifier skips placing
    points on it instead of failing the generated layer."""
    path = tmp_path / "twoargs.py"
    path.write_text(layer_source(derive(formula=formula, name="twoargs"), "twoargs"))
    done = subprocess.run([sys.executable, "-m", "derive", "verify", str(path), "--json"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
