"""A channel axis split into groups (shape G*K, read at g*K + k): group norm derived in index
notation, checked against an independent NumPy group norm and finite differences, its code a
reshape (no window, no Python loop), and the shapes that cannot split refused."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from numgrad import numerical_gradient

import derive
from derive.errors import DeriveError
from derive.index import derive_index


def group_norm(x, gamma, beta, G, eps):
    """Group norm written plainly: x (N, C, H, W), gamma and beta (1, C, 1, 1)."""
    N, C, H, W = x.shape
    groups = x.reshape(N, G, C // G, H, W)
    mean = groups.mean(axis=(2, 3, 4), keepdims=True)
    var = ((groups - mean) ** 2).mean(axis=(2, 3, 4), keepdims=True)
    xhat = ((groups - mean) / np.sqrt(var + eps)).reshape(N, C, H, W)
    return gamma * xhat + beta


@pytest.fixture(scope="module")
def groupnorm():
    return derive.derive("groupnorm")


@pytest.mark.parametrize("N, G, K, H, W", [(2, 2, 3, 2, 3), (3, 3, 2, 1, 4), (1, 1, 4, 3, 2),
                                           (2, 4, 1, 2, 2)])
def test_groupnorm_forward_and_every_gradient_match_numpy_and_finite_differences(
        groupnorm, N, G, K, H, W):
    rng = np.random.default_rng(N * 100 + G * 10 + K)
    x = rng.standard_normal((N, G * K, H, W))
    gamma, beta = rng.standard_normal((2, 1, G * K, 1, 1))
    eps, dout = 1e-3, rng.standard_normal((N, G * K, H, W))
    forward, backward = groupnorm.functions()
    out = forward(x=x, gamma=gamma, beta=beta, eps=eps, G=G)
    np.testing.assert_allclose(out, group_norm(x, gamma, beta, G, eps), rtol=1e-12, atol=1e-12)
    grads = backward(dout, x=x, gamma=gamma, beta=beta, eps=eps, G=G)
    values = {"x": x, "gamma": gamma, "beta": beta}
    for name, value in values.items():
        def loss(v, name=name):
            return float(np.sum(dout * group_norm(**{**values, name: v}, G=G, eps=eps)))
        assert grads[name].shape == value.shape
        np.testing.assert_allclose(grads[name], numerical_gradient(loss, value), atol=1e-6)


def test_the_split_is_solved_without_a_sum_and_the_code_is_a_reshape(groupnorm):
    assert groupnorm.constants == ["G", "eps"]
    assert "dx[n,y,h,w] += dout[n,y,h,w]*gamma[0,y,0,0]/sqrt(eps + var[n,(y)//K])" in \
        groupnorm.gradients["x"]
    assert " if " not in groupnorm.gradients["x"]  # no divisibility or range condition left
    for source in (groupnorm.forward_source, groupnorm.backward_source):
        assert "x.reshape((N, G, K, H, W))" in source
        assert "for " not in source and "sliding_window_view" not in source
    assert "K = x.shape[1] // G" in groupnorm.backward_source
    forward, _ = groupnorm.functions()
    with pytest.raises(ValueError, match="not a multiple of G"):
        forward(x=np.ones((2, 5, 2, 2)), gamma=np.ones((1, 5, 1, 1)),
                beta=np.ones((1, 5, 1, 1)), eps=1e-5, G=2)


def test_a_formula_with_a_split_axis_from_the_command_line(tmp_path):
    formula = "out[n,g*K + k] = x[n,g*K + k] - mean(x[n,g*K + j], j)"
    result = subprocess.run(
        [sys.executable, "-m", "derive", "show", "--formula", formula, "--shape", "x=N,G*K",
         "--const", "G", "--json"], capture_output=True, text=True, check=False,
        env={"DERIVE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["constants"] == ["G"]
    namespace = {}
    exec(shown["backward_source"], namespace)  # noqa: S102  (derive's generated code)
    x, dout = np.arange(12.0).reshape(2, 6), np.ones((2, 6))
    dx = namespace["backward"](dout, x=x, G=3)["x"]
    np.testing.assert_allclose(dx, np.zeros((2, 6)), atol=1e-12)  # centring: 1 - mean(1) = 0


@pytest.mark.parametrize("shape", ["x=N,G*", "x=N,*K", "x=N,G*K*L", "x=N,G+K"])
def test_a_malformed_product_shape_is_refused_in_one_line(shape, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "derive", "show", "--formula", "out[n,c] = x[n,c]", "--shape",
         shape], capture_output=True, text=True, check=False,
        env={"DERIVE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "--shape" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_split_whose_step_is_not_the_inner_range_stays_a_window():
    # g*K + k with k < 2 only: overlapping or gapped reads are windows, not a reshape
    d = derive_index("out[n,g] = sum(x[n,g*K + k], k < 2)", {"x": ("N", "G*K")}, {"G": None})
    assert "reshape" not in d.forward_source and "sliding_window_view" in d.forward_source


@pytest.mark.parametrize("op, over", [("batchnorm_spatial", "n2, h2, w2"),
                                      ("groupnorm", "k2, h2, w2")])
def test_spatial_normalisations_have_the_textbook_compact_form(op, over):
    d = derive.derive(op)
    form = d.compact["x"]
    assert form["max_error"] < 1e-12
    last = form["text"].split("; ")[-1]
    assert last.startswith("dx[") and "- mean(dxhat[" in last and f", {over}) - xhat[" in last
    assert "/sqrt(eps + var[" in last
    assert "Σ over" in form["steps"][0] and "= 0 by the definition of mu" in form["steps"][0]
    assert d.to_json()["compact"] == d.compact
    assert r"\operatorname{mean}" in form["latex"][-1]


def test_no_compact_form_where_the_shape_is_not_a_normalisation():
    assert derive.derive("conv2d").compact == {}
    scaled_by_x = derive_index(
        "mu[c] = mean(x[n,c], n); var[c] = mean((x[n,c] - mu[c])**2, n); "
        "out[n,c] = x[n,c]*(x[n,c] - mu[c])/sqrt(var[c] + eps)", {"x": ("N", "C")},
        {"eps": None})
    assert scaled_by_x.compact == {}  # the scale A reads x itself: the textbook form is wrong


def test_the_agreement_check_rejects_a_compact_form_missing_a_term():
    from derive.index import compact

    d = derive.derive("batchnorm_spatial")
    mu, var = compact._statistics(d.program)[0]
    _, read, a, sigma = compact._normalised_output(d.program, mu, var)
    right = compact._compact_text(d.program, mu, var, read, a, sigma, "x")
    wrong = right.replace(" - mean(dxhat[n2,c,h2,w2], n2, h2, w2)", "")
    assert wrong != right
    rng = np.random.default_rng(0)
    assert compact._agreement(d.program, right, "x", d.functions(), rng) < 1e-12
    assert compact._agreement(d.program, wrong, "x", d.functions(), rng) > 1e-3


def test_the_report_walks_to_the_compact_form(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "derive", "report", "groupnorm", "--format", "md", "--out",
         str(tmp_path)], capture_output=True, text=True, check=False,
        env={"DERIVE_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "groupnorm.md").read_text()
    assert "## The compact form of `dx`" in text and "the path through var is" in text


def test_a_product_axis_whose_factors_no_array_gives_is_refused_and_one_given_elsewhere_works():
    with pytest.raises(DeriveError, match="sizes G and K of its axis G\\*K"):
        derive_index("out[n,g*K + k] = x[n,g*K + k]", {"x": ("N", "G*K")}, {})
    d = derive_index("out[n,g*K + k] = x[n,g*K + k]*s[g]", {"x": ("N", "G*K"), "s": ("G",)}, {})
    _, backward = d.functions()
    x, s = np.ones((2, 6)), np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(backward(np.ones((2, 6)), x=x, s=s)["x"],
                                  np.repeat(s, 2)[None, :].repeat(2, axis=0))


@pytest.mark.parametrize("op", ["batchnorm_spatial", "groupnorm"])
def test_the_generated_backward_computes_dx_by_the_compact_form(op):
    d = derive.derive(op)
    source = d.backward_source
    assert "xhat = " in source and "dxhat = " in source and "dvar" not in source
    assert "dmu" not in source and "for " not in source
    assert "'x': dx, 'gamma': dgamma, 'beta': dbeta" in source
