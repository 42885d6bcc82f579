"""Every hand-written layer against independent reference formulas and finite differences."""

import ast
import copy
import inspect
import pathlib
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest
from numgrad import directional_derivative, numerical_gradient

import layers
from layers import (
    AddLayer,
    Affine,
    AffineRows,
    BatchNorm,
    Dropout,
    ExpLayer,
    LayerNorm,
    LeakyRelu,
    Log,
    MSELoss,
    MulLayer,
    ReciprocalLayer,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    SoftmaxWithLossRows,
    Softplus,
    Sqrt,
    Square,
    Tanh,
)

REPO = pathlib.Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- input domains


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):  # log, sqrt
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):  # reciprocal; relu-like kinks stay far from the FD step
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, shape)


def distribution(rng, n_classes, n_samples=None, axis=0):
    """Targets: probability vectors (each sums to 1) along ``axis``."""
    if n_samples is None:
        return rng.dirichlet(np.ones(n_classes))
    t = rng.dirichlet(np.ones(n_classes), size=n_samples)  # (samples, classes)
    return t.T if axis == 0 else t


# ---------------------------------------------------------------- independent references


def log_softmax_ref(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


def softplus_ref(x):
    return np.log1p(np.exp(x))


# ---------------------------------------------------------------- the table of layers


@dataclass
class Case:
    """One layer: how to build it, sample its arguments, and what its forward must equal."""

    cls: type
    inputs: callable  # (rng, kind) -> list of differentiable inputs
    reference: callable  # (*inputs, **params[, t]) -> forward value
    kinds: tuple = ("batch", "single", "scalar")
    params: callable = None  # (rng, kind) -> {"W": ..., "b": ...}
    target: callable = None  # (rng, kind, x) -> t   (loss layers only)
    extra: dict = field(default_factory=dict)

    @property
    def is_loss(self):
        return self.target is not None

    @property
    def name(self):
        return self.cls.op


ELEMENTWISE_SHAPES = {"batch": (4, 3), "single": (5,), "scalar": ()}


def unary(domain):
    return lambda rng, kind: [domain(rng, ELEMENTWISE_SHAPES[kind])]


def binary(rng, kind):
    if kind == "broadcast":  # (4, 3) with a (4, 1) column, as for a bias
        return [normal(rng, (4, 3)), normal(rng, (4, 1))]
    shape = ELEMENTWISE_SHAPES[kind]
    return [normal(rng, shape), normal(rng, shape)]


def affine_params(rng, kind):
    b_shape = (3,) if kind == "b_vector" else (3, 1)
    return {"W": normal(rng, (3, 4)), "b": normal(rng, b_shape)}


def affine_inputs(rng, kind):
    shape = {"batch": (4, 5), "b_vector": (4, 5), "column": (4, 1), "single": (4,)}[kind]
    return [normal(rng, shape)]


def affine_ref(x, W, b):
    if x.ndim == 1:
        return W @ x + b.reshape(-1)
    return W @ x + b.reshape(-1, 1)


def affine_rows_params(rng, kind):
    b_shape = (1, 3) if kind == "b_row" else (3,)
    return {"W": normal(rng, (4, 3)), "b": normal(rng, b_shape)}


def affine_rows_inputs(rng, kind):
    return [normal(rng, (4,) if kind == "single" else (5, 4))]


def softmax_inputs(rng, kind):  # classes along axis 0
    return [3 * normal(rng, (4,) if kind == "single" else (4, 5))]


def softmax_target(rng, kind, x):
    return distribution(rng, 4) if kind == "single" else distribution(rng, 4, 5, axis=0)


def softmax_rows_inputs(rng, kind):  # one sample per row
    return [3 * normal(rng, (4,) if kind == "single" else (5, 4))]


def softmax_rows_target(rng, kind, x):
    return distribution(rng, 4) if kind == "single" else distribution(rng, 4, 5, axis=1)


def softmax_rows_ref(x, t):
    n = x.shape[0] if x.ndim == 2 else 1
    return -np.sum(t * log_softmax_ref(x, axis=-1)) / n


def norm_params(rng, kind):
    shape = (1, 4) if kind == "row_params" else (4,)
    return {"gamma": 1 + 0.5 * normal(rng, shape), "beta": normal(rng, shape)}


def norm_inputs(rng, kind):
    return [normal(rng, (6, 4))]


def normalised_ref(axis):
    def ref(x, gamma, beta):
        mu = x.mean(axis=axis, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)
        return gamma.reshape(1, -1) * (x - mu) / np.sqrt(var + 1e-5) + beta.reshape(1, -1)
    return ref


CASES = [
    Case(AddLayer, binary, lambda x, y: x + y, kinds=("batch", "single", "scalar", "broadcast")),
    Case(MulLayer, binary, lambda x, y: x * y, kinds=("batch", "single", "scalar", "broadcast")),
    Case(ReciprocalLayer, unary(nonzero), lambda x: 1.0 / x),
    Case(ExpLayer, unary(normal), np.exp),
    Case(Sigmoid, unary(normal), lambda x: 1.0 / (1.0 + np.exp(-x))),
    Case(Relu, unary(nonzero), lambda x: np.maximum(x, 0.0)),
    Case(Tanh, unary(normal), lambda x: (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1)),
    Case(LeakyRelu, unary(nonzero), lambda x: np.where(x > 0, x, 0.01 * x)),
    Case(Softplus, unary(normal), softplus_ref),
    Case(Square, unary(normal), lambda x: x**2),
    Case(Sqrt, unary(positive), lambda x: x**0.5),
    Case(Log, unary(positive), np.log),
    Case(
        Affine,
        affine_inputs,
        affine_ref,
        kinds=("batch", "b_vector", "column", "single"),
        params=affine_params,
    ),
    Case(
        AffineRows,
        affine_rows_inputs,
        lambda x, W, b: x @ W + b.reshape(-1),
        kinds=("batch", "b_row", "single"),
        params=affine_rows_params,
    ),
    Case(
        SoftmaxWithLoss,
        softmax_inputs,
        lambda x, t: -np.sum(t * log_softmax_ref(x, axis=0)),
        kinds=("batch", "single"),
        target=softmax_target,
    ),
    Case(
        SoftmaxWithLossRows,
        softmax_rows_inputs,
        softmax_rows_ref,
        kinds=("batch", "single"),
        target=softmax_rows_target,
    ),
    Case(BatchNorm, norm_inputs, normalised_ref(0), kinds=("batch", "row_params"),
         params=norm_params),
    Case(LayerNorm, norm_inputs, normalised_ref(1), kinds=("batch", "row_params"),
         params=norm_params),
    Case(
        MSELoss,
        unary(normal),
        lambda x, t: 0.5 * np.sum((x - t) ** 2),
        kinds=("batch", "single"),
        target=lambda rng, kind, x: normal(rng, np.shape(x)),
    ),
]

CASE_KINDS = [pytest.param(c, k, id=f"{c.name}-{k}") for c in CASES for k in c.kinds]


# ---------------------------------------------------------------- running a layer


@dataclass
class Sample:
    xs: list
    params: dict
    t: object
    dout: object


def make_sample(case, kind, seed=0):
    rng = np.random.default_rng(seed)
    xs = case.inputs(rng, kind)
    params = case.params(rng, kind) if case.params else {}
    t = case.target(rng, kind, xs[0]) if case.is_loss else None
    out = case.reference(*xs, *params.values(), *([t] if case.is_loss else []))
    dout = 1.7 if case.is_loss else normal(rng, np.shape(out))
    return Sample(xs, params, t, dout)


def as_dtype(sample, dtype):
    cast = lambda a: np.asarray(a, dtype=dtype)
    return Sample(
        [cast(x) for x in sample.xs],
        {k: cast(v) for k, v in sample.params.items()},
        None if sample.t is None else cast(sample.t),
        cast(sample.dout)[()] if np.ndim(sample.dout) == 0 else cast(sample.dout),
    )


def build(case, params):
    return case.cls(*params.values())


def forward(case, layer, xs, t):
    return layer.forward(*xs, t) if case.is_loss else layer.forward(*xs)


def run(case, s):
    """forward + backward; returns (out, input grads tuple, param grads dict)."""
    layer = build(case, s.params)
    out = forward(case, layer, s.xs, s.t)
    grads = layer.backward(s.dout)
    grads = grads if isinstance(grads, tuple) else (grads,)
    pgrads = {name: getattr(layer, "d" + name) for name in s.params}
    return out, grads, pgrads


def objective(case, s):
    """Scalar functions ⟨dout, forward(...)⟩ of each input and parameter, the rest held fixed."""

    def value(xs, params):
        return float(np.sum(s.dout * forward(case, build(case, params), xs, s.t)))

    fs = {}
    for i in range(len(s.xs)):
        fs[f"x{i}"] = lambda a, i=i: value(s.xs[:i] + [a] + s.xs[i + 1 :], s.params)
    for name in s.params:
        fs[name] = lambda a, name=name: value(s.xs, {**s.params, name: a})
    return fs


def analytic(case, s):
    _, grads, pgrads = run(case, s)
    named = {f"x{i}": g for i, g in enumerate(grads)}
    named.update(pgrads)
    return named


def points(s):
    named = {f"x{i}": x for i, x in enumerate(s.xs)}
    named.update(s.params)
    return named


# ---------------------------------------------------------------- tests over the table


def test_numgrad_helper_is_right():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    f = lambda a: float(np.sum(a**3))
    np.testing.assert_allclose(numerical_gradient(f, x), 3 * x**2, rtol=1e-7)
    v = np.array([[1.0, 0.0], [2.0, -1.0]])
    assert directional_derivative(f, x, v) == pytest.approx(np.sum(3 * x**2 * v), rel=1e-7)


def test_numgrad_tolerances_catch_a_slightly_wrong_derivative():
    """A ×1.001 error in a gradient must not pass the tolerances the layer tests use."""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    f = lambda a: float(np.sum(np.sin(a) * a))
    wrong = 1.001 * (np.cos(x) * x + np.sin(x))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(wrong, numerical_gradient(f, x), rtol=1e-6, atol=1e-8)
    v = np.array([[1.0, 0.0], [2.0, -1.0]])
    assert np.sum(wrong * v) != pytest.approx(directional_derivative(f, x, v), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("case, kind", CASE_KINDS)
def test_forward_matches_reference(case, kind):
    s = make_sample(case, kind)
    out, _, _ = run(case, s)
    expected = case.reference(*s.xs, *s.params.values(), *([s.t] if case.is_loss else []))
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case, kind", CASE_KINDS)
def test_gradient_shapes(case, kind):
    s = make_sample(case, kind)
    grads = analytic(case, s)
    for name, point in points(s).items():
        assert np.shape(grads[name]) == np.shape(point), name


@pytest.mark.parametrize("case, kind", CASE_KINDS)
def test_backward_entrywise_finite_differences(case, kind):
    s = make_sample(case, kind)
    grads = analytic(case, s)
    for name, f in objective(case, s).items():
        numeric = numerical_gradient(f, points(s)[name])
        np.testing.assert_allclose(
            grads[name],
            numeric,
            rtol=1e-6,
            atol=1e-8,
            err_msg=f"{case.name}-{kind}: backward dL/d{name} vs entrywise finite differences",
        )


@pytest.mark.parametrize("case, kind", CASE_KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backward_random_directions(case, kind, seed):
    s = make_sample(case, kind, seed=seed)
    grads = analytic(case, s)
    rng = np.random.default_rng(100 + seed)
    for name, f in objective(case, s).items():
        point = points(s)[name]
        v = rng.standard_normal(np.shape(point))
        v /= max(np.linalg.norm(v), 1e-12)
        numeric = directional_derivative(f, point, v)
        assert np.sum(grads[name] * v) == pytest.approx(numeric, rel=1e-6, abs=1e-8), (
            f"{case.name}-{kind}: ⟨dL/d{name}, v⟩ vs finite difference along v (seed {seed})"
        )


@pytest.mark.parametrize("case, kind", CASE_KINDS)
def test_float32_in_float32_out(case, kind):
    s64 = make_sample(case, kind)
    s32 = as_dtype(s64, np.float32)
    out32, grads32, pgrads32 = run(case, s32)
    out64, grads64, pgrads64 = run(case, s64)
    assert np.asarray(out32).dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    for g32, g64 in zip(
        list(grads32) + list(pgrads32.values()), list(grads64) + list(pgrads64.values())
    ):
        assert np.asarray(g32).dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case, kind", CASE_KINDS)
def test_no_argument_is_modified(case, kind):
    s = make_sample(case, kind)
    before = copy.deepcopy(s)
    _, grads, pgrads = run(case, s)
    for x, x0 in zip(s.xs, before.xs):
        np.testing.assert_array_equal(x, x0)
    for name in s.params:
        np.testing.assert_array_equal(s.params[name], before.params[name])
    if case.is_loss:
        np.testing.assert_array_equal(s.t, before.t)
    np.testing.assert_array_equal(s.dout, before.dout)
    # the returned gradients are new arrays: writing into them touches nothing we passed in
    for g in list(grads) + list(pgrads.values()):
        if isinstance(g, np.ndarray) and g.ndim > 0:
            g[...] = 12345.0
    for x, x0 in zip(s.xs, before.xs):
        np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(s.dout, before.dout)


# ---------------------------------------------------------------- conventions and edge cases


def test_dropout_keeps_the_expectation_reuses_its_mask_and_is_the_identity_at_test():
    np.random.seed(0)
    layer = Dropout(dropout_ratio=0.25)
    x = np.ones((200, 50))
    out = layer.forward(x)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02 and np.allclose(out[kept], 1 / 0.75)
    assert abs(out.mean() - 1.0) < 0.03  # inverted dropout: E[out] = x
    dout = np.arange(x.size, dtype=float).reshape(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout * out)  # the same mask
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    with pytest.raises(ValueError, match="dropout_ratio"):
        Dropout(1.0)


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
def test_normalisation_refuses_the_wrong_width(cls):
    layer = cls(np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        layer.forward(np.ones((3, 5)))


def test_batchnorm_test_mode_uses_the_running_averages():
    rng = np.random.default_rng(5)
    layer = BatchNorm(np.ones(3), np.zeros(3), momentum=0.5)
    x = 2 + 3 * rng.standard_normal((8, 3))
    layer.forward(x)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0))
    expected = (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), expected)


def test_relu_derivative_is_zero_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    layer = Relu()
    np.testing.assert_array_equal(layer.forward(x), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.0, 0.0, 1.0])


def test_leaky_relu_slope_at_zero_follows_relu_mask():
    layer = LeakyRelu()
    np.testing.assert_allclose(layer.forward(np.array([-1.0, 0.0, 2.0])), [-0.01, 0.0, 2.0])
    np.testing.assert_allclose(layer.backward(np.ones(3)), [0.01, 0.01, 1.0])


def test_relu_backward_leaves_dout_alone():
    """The tutorial's ReLU wrote zeros into dout; this one must not."""
    layer = Relu()
    layer.forward(np.array([-1.0, 2.0]))
    dout = np.array([5.0, 7.0])
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, [5.0, 7.0])
    np.testing.assert_array_equal(dx, [0.0, 7.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_softplus_tanh_stable_at_1000(dtype):
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype)
    dout = np.ones_like(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        sig, sp, th = Sigmoid(), Softplus(), Tanh()
        y_sig, y_sp, y_th = sig.forward(x), sp.forward(x), th.forward(x)
        d_sig, d_sp, d_th = sig.backward(dout), sp.backward(dout), th.backward(dout)
    for a in (y_sig, y_sp, y_th, d_sig, d_sp, d_th):
        assert np.all(np.isfinite(a)) and a.dtype == dtype
    np.testing.assert_allclose(y_sig[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(y_sp[[0, 2, 4]], [0.0, np.log(2.0), 1000.0], rtol=1e-6)
    np.testing.assert_allclose(d_sp[[0, 2, 4]], [0.0, 0.5, 1.0])  # softplus′ = σ
    np.testing.assert_allclose(d_sig[[0, 2, 4]], [0.0, 0.25, 0.0])
    np.testing.assert_allclose(y_th[[0, 4]], [-1.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_with_loss_stable_at_1000(dtype):
    # classes along axis 0; sample 0 is confidently wrong, sample 1 confidently right
    x = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 0.0]], dtype=dtype)
    t = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]], dtype=dtype)
    layer = SoftmaxWithLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = layer.forward(x, t)
        dx = layer.backward()
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    assert float(loss) == pytest.approx(2000.0, rel=1e-6)  # −log σ = 1000 − (−1000)
    np.testing.assert_allclose(dx, [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_with_loss_rows_stable_at_1000(dtype):
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]], dtype=dtype)
    t = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    layer = SoftmaxWithLossRows()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = layer.forward(x, t)
        dx = layer.backward()
    assert float(loss) == pytest.approx(1000.0, rel=1e-6)  # (2000 + 0) / 2
    np.testing.assert_allclose(dx, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


def test_softmax_with_loss_single_vector_and_dout():
    x = np.array([2.0, 1.0, 0.1])
    t = np.array([1.0, 0.0, 0.0])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    p = np.exp(x) / np.exp(x).sum()
    assert loss == pytest.approx(-np.log(p[0]))
    np.testing.assert_allclose(layer.backward(3.0), 3.0 * (p - t))


def test_softmax_columns_are_independent_samples():
    """The seed normalised over the whole matrix; each column is its own distribution."""
    x = np.array([[1.0, 5.0], [2.0, 5.0]])
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    np.testing.assert_allclose(layer.sigma.sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(layer.sigma[:, 1], [0.5, 0.5])


def test_affine_single_sample_is_not_broadcast_to_a_matrix():
    W, b = np.arange(12.0).reshape(3, 4), np.array([[1.0], [2.0], [3.0]])
    out = Affine(W, b).forward(np.ones(4))
    assert out.shape == (3,)
    np.testing.assert_allclose(out, W.sum(axis=1) + b.ravel())


def test_add_mul_scalars_like_the_tutorial():
    add, mul = AddLayer(), MulLayer()
    assert mul.forward(2.6, 10) == pytest.approx(26.0)
    assert mul.backward(1) == pytest.approx((10, 2.6))
    assert add.forward(26.0, 24.0) == 50.0
    assert add.backward(1) == (1, 1)


# ---------------------------------------------------------------- wrong shapes


def _shapes_in(message, *shapes):
    return all(str(tuple(s)) in message for s in shapes)


@pytest.mark.parametrize(
    "make, call, shapes",
    [
        (
            lambda: Affine(np.ones((3, 4)), np.ones((3, 1))),
            lambda l: l.forward(np.ones((5, 2))),
            [(3, 4), (5, 2)],
        ),
        (
            lambda: Affine(np.ones((3, 4)), np.ones((3, 1))),
            lambda l: l.forward(np.ones((2, 4))),
            [(3, 4), (2, 4)],
        ),
        (lambda: Affine(np.ones((3, 4)), np.ones((4, 1))), None, [(3, 4), (4, 1)]),
        (
            lambda: AffineRows(np.ones((4, 3)), np.ones(3)),
            lambda l: l.forward(np.ones((5, 3))),
            [(4, 3), (5, 3)],
        ),
        (lambda: AffineRows(np.ones((4, 3)), np.ones((3, 1))), None, [(4, 3), (3, 1)]),
        (SoftmaxWithLoss, lambda l: l.forward(np.ones((3, 4)), np.ones((3, 2))), [(3, 4), (3, 2)]),
        (SoftmaxWithLoss, lambda l: l.forward(np.ones((3, 4)), np.ones(3)), [(3, 4), (3,)]),
        (
            SoftmaxWithLossRows,
            lambda l: l.forward(np.ones((5, 3)), np.ones((1, 3))),
            [(5, 3), (1, 3)],
        ),
        (MSELoss, lambda l: l.forward(np.ones((3, 4)), np.ones(4)), [(3, 4), (4,)]),
    ],
    ids=[
        "affine-x",
        "affine-x-transposed",
        "affine-b",
        "affine_rows-x",
        "affine_rows-b",
        "softmax-t",
        "softmax-t-vector",
        "softmax_rows-t",
        "mse-t",
    ],
)
def test_wrong_shapes_raise_value_error_naming_both(make, call, shapes):
    with pytest.raises(ValueError) as err:
        layer = make()
        call(layer)
    assert _shapes_in(str(err.value), *shapes), str(err.value)


@pytest.mark.parametrize("case", [c for c in CASES if not c.is_loss], ids=lambda c: c.name)
def test_wrong_dout_shape_raises(case):
    s = make_sample(case, "batch")
    layer = build(case, s.params)
    out = forward(case, layer, s.xs, s.t)
    bad = np.ones(np.shape(out) + (2,))
    with pytest.raises(ValueError) as err:
        layer.backward(bad)
    assert _shapes_in(str(err.value), np.shape(bad), np.shape(out)), str(err.value)


@pytest.mark.parametrize("cls", [SoftmaxWithLoss, SoftmaxWithLossRows, MSELoss])
def test_loss_dout_must_be_scalar(cls):
    layer = cls()
    layer.forward(np.ones((3, 2)), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        layer.backward(np.ones((3, 2)))


# ---------------------------------------------------------------- the package itself

EXPECTED_OPS = {
    "AddLayer": "add",
    "MulLayer": "mul",
    "ReciprocalLayer": "reciprocal",
    "ExpLayer": "exp",
    "Sigmoid": "sigmoid",
    "Relu": "relu",
    "Tanh": "tanh",
    "Affine": "affine",
    "AffineRows": "affine_rows",
    "SoftmaxWithLoss": "softmax_cross_entropy",
    "SoftmaxWithLossRows": "softmax_cross_entropy_rows",
    "MSELoss": "mse",
    "LeakyRelu": "leaky_relu",
    "Softplus": "softplus",
    "Square": "square",
    "Sqrt": "sqrt",
    "Log": "log",
    "BatchNorm": "batchnorm",
    "LayerNorm": "layernorm",
    "Dropout": "dropout",
}
RANDOM = {"Dropout"}  # draws a mask: tested on its own below


def test_every_class_exported_with_its_op_and_table_covers_it():
    assert set(layers.__all__) == set(EXPECTED_OPS)
    for name, op in EXPECTED_OPS.items():
        cls = getattr(layers, name)
        assert cls.op == op
        assert cls.__doc__ and cls.__doc__.strip()
    assert {c.cls.__name__ for c in CASES} == set(EXPECTED_OPS) - RANDOM


@pytest.mark.parametrize("name", sorted(EXPECTED_OPS))
def test_backward_has_a_math_comment(name):
    source = inspect.getsource(getattr(layers, name).backward)
    assert "# dL/d" in source


def test_layers_never_import_derive():
    for path in (REPO / "layers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "derive" or n.startswith("derive.") for n in names), path
    code = "import sys, layers, layers.supermarket; print('derive' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
