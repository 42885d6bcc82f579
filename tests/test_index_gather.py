"""A tensor of integer indices inside an index (embedding: out[n,t,d] = W[ids[n,t],d]): the
layer takes integer ids, the gradient scatter-adds with numpy.add.at so repeated ids
accumulate, checked against a loop and finite differences; misuse is refused in one line."""

from __future__ import annotations

import numpy as np
import pytest
from numgrad import numerical_gradient

import derive
from derive.errors import DeriveError
from derive.index import derive_index


@pytest.fixture(scope="module")
def embedding():
    return derive.derive("embedding")


def test_embedding_takes_integer_ids_and_its_gradient_adds_repeated_ids(embedding):
    assert embedding.inputs == ["W"] and embedding.constants == ["ids"]
    assert "numpy.add.at(dW, ids, dout)" in embedding.backward_source
    assert "W[ids]" in embedding.forward_source
    forward, backward = embedding.functions()
    rng = np.random.default_rng(1)
    W = rng.standard_normal((5, 3))
    ids = np.array([[0, 4, 0], [2, 0, 4]])  # 0 three times, 4 twice, 1 and 3 never
    np.testing.assert_array_equal(forward(W=W, ids=ids), W[ids])
    dout = rng.standard_normal((2, 3, 3))
    dW = backward(dout, W=W, ids=ids)["W"]
    expected = np.zeros_like(W)
    for n in range(2):
        for t in range(3):
            expected[ids[n, t]] += dout[n, t]
    np.testing.assert_allclose(dW, expected, atol=1e-15)
    numeric = numerical_gradient(lambda w: float(np.sum(dout * forward(W=w, ids=ids))), W)
    np.testing.assert_allclose(dW, numeric, atol=1e-8)
    assert not dW[[1, 3]].any()


def test_the_derivation_sums_the_positions_with_that_id(embedding):
    assert embedding.gradients["W"] == "dW[h,d] += sum(where(h == ids[n,t], dout[n,t,d], 0), n, t)"
    assert embedding.to_json()["gradients_latex"]["W"][0].startswith(
        r"\mathrm{dW}_{h,d} \mathrel{+}= \sum_{n,t} [h = \mathrm{ids}_{n,t}]")


def test_a_gather_along_a_later_axis_and_a_float32_table():
    d = derive_index("out[i,n] = W[i,ids[n]]*s[i]", {"W": ("D", "V"), "ids": ("N",),
                                                     "s": ("D",)}, {"ids": None})
    forward, backward = d.functions()
    W, s, ids = np.ones((2, 4), np.float32), np.arange(2.0, dtype=np.float32), np.array([3, 3])
    np.testing.assert_array_equal(forward(W=W, ids=ids, s=s), W[:, ids] * s[:, None])
    dW = backward(np.ones((2, 2), np.float32), W=W, ids=ids, s=s)["W"]
    assert dW.dtype == np.float32  # the integer ids do not promote the gradient
    np.testing.assert_array_equal(dW[:, 3], 2 * s)


@pytest.mark.parametrize("formula, words", [
    ("out[n,d] = W[ids[n] + 1, d]", "an index on its own"),
    ("out[n,d] = W[x[n], d]", "only a constant integer tensor"),
    ("out[n,d] = W[ids[2*n], d]", "loop indices only"),
    ("out[ids[n],d] = W[n, d]", "loop indices only"),
    ("out[n,d] = W[ids[n], d] * ids[n]", "both as indices and as a value"),
])
def test_misused_index_tensors_are_refused(formula, words):
    shapes = {"W": ("V", "D"), "ids": ("N",), "x": ("N",)}
    with pytest.raises(DeriveError, match=words):
        derive_index(formula, shapes, {"ids": None})
