"""Saved forms of matrix gradients: an elementwise function at the output, out = f(Z), gives
gradients in terms of `out` (sigmoid: out*(1 - out), tanh: 1 - out**2), and the generated
backward takes `out=` and uses it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from matrix_helpers import derived

from derive.printers.text import formula_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SIGMOID_AFFINE = ("sigmoid(W @ X + b)", (("W", ("n", "m")), ("X", ("m", "k")), ("b", ("n", 1))))
SAVED = {
    SIGMOID_AFFINE: {"X": "W.T @ (dout*(out*(1 - out)))", "W": "(dout*(out*(1 - out))) @ X.T",
                     "b": "sum(dout*(out*(1 - out)), axis=1)"},
    ("tanh(W @ x)", (("W", ("m", "n")), ("x", ("n", 1)))): {"x": "W.T @ (dout*(1 - out**2))"},
    ("exp(X)", (("X", ("n", "m")),)): {"X": "dout*out"},
    ("det(X)", (("X", ("n", "n")),)): {"X": "dout*out*inv(X.T)"},
}


@pytest.mark.parametrize("formula, shapes", list(SAVED))
def test_saved_forms_are_written_in_the_output(formula, shapes):
    derivation = derived(formula=formula, shapes=shapes)
    assert derivation.saved_names == ["out"]
    for name, text in SAVED[formula, shapes].items():
        assert formula_text(derivation.saved_form[name]) == text


# out = F(A) with F not one catalog function: the slope is rewritten through the scalar saved form
COMPOSED = [("2*sigmoid(X)", (("X", ("n", "m")),)),
            ("1/(1 + exp(-X))", (("X", ("n", "m")),)),
            ("exp(-X)", (("X", ("n", "m")),)),
            ("sigmoid(X) - 0.5", (("X", ("n", "m")),)),
            ("exp(-softplus(W @ x))", (("W", ("m", "n")), ("x", ("n", 1))))]


@pytest.mark.parametrize("formula, shapes", COMPOSED)
def test_an_elementwise_output_gives_saved_forms_without_function_calls(formula, shapes):
    import sympy as sp

    derivation = derived(formula=formula, shapes=shapes)
    for form in derivation.saved_form.values():
        assert form is not None and form.has(sp.MatrixSymbol("out", *derivation.expr.shape))
        assert not form.atoms(sp.Function), formula_text(form)  # cheap, and cannot overflow


def test_a_saved_form_that_would_call_a_function_is_not_used():
    # softplus: the slope in the output, 1 - exp(-out), costs an exp and overflows far out
    derivation = derived(formula="softplus(X)", shapes=(("X", ("n", "m")),))
    assert derivation.saved_form == {"X": None}


@pytest.mark.parametrize("formula, shapes", list(SAVED) + COMPOSED)
def test_saved_path_equals_input_path(formula, shapes):
    derivation = derived(formula=formula, shapes=shapes)
    forward, backward = derivation.functions()
    rng = np.random.default_rng(4)
    for _ in range(5):
        values = derivation.sample(rng)
        out = forward(**values)
        dout = rng.standard_normal(np.shape(out))
        from_inputs = backward(dout, **values)
        from_output = backward(dout, **values, out=out)
        for name in derivation.inputs:
            np.testing.assert_allclose(from_output[name], from_inputs[name], rtol=1e-10,
                                       atol=1e-12)


def test_backward_reads_the_saved_output():
    derivation = derived(formula=SIGMOID_AFFINE[0], shapes=SIGMOID_AFFINE[1])
    backward = derivation.functions()[1]
    values = derivation.sample(np.random.default_rng(0))
    dout = np.ones(np.shape(values["b"])[:1] + np.shape(values["X"])[1:])
    # out = 1/2 everywhere: the slope out*(1 - out) is 1/4 whatever W, X, b are
    grads = backward(dout, **values, out=np.full(dout.shape, 0.5))
    np.testing.assert_allclose(grads["b"], dout.sum(axis=1, keepdims=True) / 4)
    np.testing.assert_allclose(grads["X"], values["W"].T @ dout / 4)
    assert "out=None" in derivation.backward_source
    assert "(1 - out)*out" in derivation.backward_source  # as a person writes it


def test_negated_products_print_as_a_minus_sign():
    derivation = derived(formula="exp(-softplus(W @ x))", shapes=(("W", ("m", "n")), ("x", ("n", 1))))
    # dout*_e0 is shared by dW and dx: computed once
    assert "_p0 = _e0*dout" in derivation.backward_source
    assert "d_x = -(numpy.transpose(W) @ _p0)" in derivation.backward_source
    assert "(-1)*" not in derivation.backward_source


def test_saved_form_in_latex_writes_out_plainly():
    import sympy as sp

    derivation = derived(formula=SIGMOID_AFFINE[0], shapes=SIGMOID_AFFINE[1])
    tex = sp.latex(derivation.saved_form["b"])
    assert r"out \left(1 - out\right)" in tex, tex


def test_no_saved_form_where_the_output_does_not_occur():
    derivation = derived("affine")
    assert set(derivation.saved_form.values()) == {None}
    assert derivation.saved_names == []
    assert "def backward(dout, X, W, b):" in derivation.backward_source


def test_show_json_has_saved_forms_for_every_input(tmp_path):
    env = dict(os.environ, DERIVE_CACHE_DIR=str(tmp_path), DERIVE_NO_CACHE="1")
    result = subprocess.run(
        [sys.executable, "-m", "derive", "show", "--formula", "sigmoid(W @ X + b)",
         "--shape", "W=n,m", "--shape", "X=m,k", "--shape", "b=n,1", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["saved_form"]) == {"X", "W", "b"}
    assert all(form is not None and "out" in form for form in data["saved_form"].values())
    assert data["saved_values"] == ["out"]
    namespace = {}
    exec(data["backward_source"], namespace)  # noqa: S102 - generated by derive
    W, X, b = np.full((2, 3), 0.1), np.ones((3, 4)), np.zeros((2, 1))
    out = 1 / (1 + np.exp(-(W @ X + b)))
    dout = np.ones((2, 4))
    saved = namespace["backward"](dout, W=W, X=X, b=b, out=out)
    plain = namespace["backward"](dout, W=W, X=X, b=b)
    for name in "WXb":
        np.testing.assert_allclose(saved[name], plain[name], rtol=1e-12)
