"""Elementwise functions of matrices in generated code: no overflow, no NaN, for
pre-activations in the thousands where the exact value is finite (references from mpmath)."""

import mpmath
import numpy as np
import pytest
from matrix_helpers import derived

PRECISION = 1500  # digits: 1 - sigmoid(3000) is exact at this precision

SHAPES = (("W", ("m", "n")), ("x", ("n", 1)))
# rows give pre-activations W @ x = 1000, -1000, 1.5, -30, 3000
W = np.array([[1000.0, 0.0], [0.0, -1000.0], [1.0, 0.5], [-20.0, -10.0], [2000.0, 1000.0]])
X = np.array([[1.0], [1.0]])


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def softplus(z):
    return mpmath.log(1 + mpmath.exp(z))


# formula -> (f, f') in mpmath, entrywise
REFERENCES = {
    "sigmoid(W @ x)": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "softplus(W @ x)": (softplus, sigmoid),
    "exp(-softplus(W @ x))": (lambda z: mpmath.exp(-softplus(z)),
                              lambda z: -mpmath.exp(-softplus(z)) * sigmoid(z)),
    "W @ x * sigmoid(W @ x)": (lambda z: z * sigmoid(z),
                               lambda z: sigmoid(z) + z * sigmoid(z) * (1 - sigmoid(z))),
    # compositions are fused into one function of W @ x, as the scalar engine sees them
    "log(sigmoid(W @ x))": (lambda z: mpmath.log(sigmoid(z)), lambda z: 1 - sigmoid(z)),
    "log(1 - sigmoid(W @ x))": (lambda z: mpmath.log(1 - sigmoid(z)), lambda z: -sigmoid(z)),
    "log(1 + exp(W @ x))": (softplus, sigmoid),
    "log(exp(W @ x) + exp(-(W @ x)))": (lambda z: mpmath.log(2 * mpmath.cosh(z)), mpmath.tanh),
}


def _entrywise(function, z):
    with mpmath.workdps(PRECISION):
        return np.array([[float(function(mpmath.mpf(v))) for v in row] for row in z])


@pytest.mark.parametrize("formula", list(REFERENCES))
def test_extreme_pre_activations_give_the_exact_float_values(formula):
    derivation = derived(formula=formula, shapes=SHAPES)
    forward, backward = derivation.functions()
    f, slope = REFERENCES[formula]
    z = W @ X
    dout = np.array([[1.0], [-2.0], [0.5], [3.0], [1.0]])
    expected_out = _entrywise(f, z)
    local = dout * _entrywise(slope, z)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = forward(W=W, x=X)
        paths = [backward(dout, W=W, x=X)]
        if derivation.saved_names:
            paths.append(backward(dout, W=W, x=X, out=out))
    np.testing.assert_allclose(out, expected_out, rtol=1e-12, atol=1e-300)
    # the saved path reads 1 - out from a rounded out (as every saved form does): its slope
    # is accurate to a few units of 1e-16 absolute, times dout, not entry by entry
    for grads, atol in zip(paths, (1e-300, 1e-15 * np.abs(dout).max())):
        np.testing.assert_allclose(grads["x"], W.T @ local, rtol=1e-12)
        np.testing.assert_allclose(grads["W"], local @ X.T, rtol=1e-12, atol=atol)


def test_float32_stays_float32_and_finite_far_out():
    derivation = derived(formula="softplus(W @ x)", shapes=SHAPES)
    forward, backward = derivation.functions()
    W32, x32 = W.astype(np.float32), X.astype(np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = forward(W=W32, x=x32)
        grads = backward(np.ones_like(out), W=W32, x=x32)
    assert out.dtype == np.float32 and grads["W"].dtype == np.float32
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grads["x"]))
    np.testing.assert_allclose(out[:2, 0], [1000.0, 0.0], atol=1e-4)


def test_a_shared_elementwise_part_is_computed_once():
    derivation = derived(formula="sigmoid(W @ X + b)",
                         shapes=(("W", ("n", "m")), ("X", ("m", "k")), ("b", ("n", 1))))
    plain_path = derivation.backward_source.split("return {")[-2]
    code = "\n".join(line for line in plain_path.splitlines()  # comments give the formula
                     if not line.strip().startswith("#"))
    assert code.count("W @ X + b") == 1
    assert "scipy.special.expit(" in derivation.forward_source  # the stable sigmoid
