"""The derivation engine, checked against mathematics: sympy.diff, finite differences, mpmath.

Every catalog entry and a table of typed formulas are derived, compiled and compared with
independent answers computed here.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp
from numgrad import numerical_gradient

from derive import catalog
from derive.errors import DeriveError
from derive.pipeline import derive

SCALAR_OPS = [name for name, entry in catalog.load().items() if not entry.shapes]
TYPED = [
    "tanh(x)", "erf(x)", "atan(x)", "x*tanh(softplus(x))", "sin(x)*cos(y)",
    "exp(-x**2/2)", "x/(1 + abs(x))", "log(1 + x**2)", "max(x, y) * y", "sqrt(x**2 + 1)",
    "x**3 - 2*x*y + y**2", "sigmoid(x*y)", "where(x > 0, x**2, -x)", "asin(x/4)",
]


def _check_against_finite_differences(d, seed=0):
    forward, backward = d.functions()
    rng = np.random.default_rng(seed)
    values = d.sample(rng, entries=(4,))
    dout = rng.standard_normal(np.shape(forward(**values)))
    grads = backward(dout, **values)
    for name in d.inputs:
        def loss(v, name=name):
            return float(np.sum(dout * forward(**dict(values, **{name: v}))))
        numeric = numerical_gradient(loss, values[name])
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-7,
                                   err_msg=f"{d.name}: dL/d{name}")


@pytest.mark.parametrize("op", SCALAR_OPS)
def test_catalog_gradients_match_sympy_and_finite_differences(op):
    d = derive(op)
    dout = sp.Symbol("dout", real=True)
    rng = np.random.default_rng(1)
    for name in d.inputs:
        reference = dout * sp.diff(d.expr, sp.Symbol(name, real=True))
        for _ in range(3):
            point = {sp.Symbol(n, real=True): sp.Float(rng.uniform(*d.domains[n]), 50)
                     for n in d.params}
            point[dout] = sp.Float(rng.standard_normal(), 50)
            got, want = _exact(d.gradients[name], point), _exact(reference, point)
            assert abs(got - want) <= 1e-30 * max(1, abs(want)), (op, name)
    _check_against_finite_differences(d)


@pytest.mark.parametrize("formula", TYPED)
def test_typed_formulas_compile_to_correct_gradients(formula):
    _check_against_finite_differences(derive(formula=formula))


def test_sigmoid_walks_the_tutorials_four_steps():
    d = derive("sigmoid")
    assert [s.node for s in d.steps] == ["/", "+1", "exp", "×(−1)"]
    assert [s.rule for s in d.steps] == ["reciprocal", "sum", "exp", "constant multiple"]
    x, out, dout = sp.symbols("x out dout", real=True)
    assert sp.simplify(d.steps[0].local + 1 / (1 + sp.exp(-x)) ** 2) == 0
    assert sp.simplify(d.saved_form["x"] - dout * out * (1 - out)) == 0


@pytest.mark.parametrize("op, saved", [
    ("sigmoid", "out*(1 - out)"), ("tanh", "1 - out**2"), ("exp", "out"),
    ("reciprocal", "-out**2"), ("sqrt", "1/(2*out)"), ("softplus", "1 - exp(-out)"),
])
def test_saved_forms_use_the_output(op, saved):
    d = derive(op)
    out, dout = sp.symbols("out dout", real=True)
    expected = dout * sp.sympify(saved, locals={"out": out})  # test-authored text, not user input
    assert sp.simplify(d.saved_form["x"] - expected) == 0
    forward, backward = d.functions()
    x = d.sample(np.random.default_rng(3))["x"]
    g = np.random.default_rng(4).standard_normal(x.shape)
    np.testing.assert_allclose(backward(g, x=x, out=forward(x=x))["x"], backward(g, x=x)["x"],
                               rtol=1e-12, atol=1e-14)


def test_saved_form_never_uses_inverse_functions():
    for op in SCALAR_OPS:
        for form in derive(op).saved_form.values():
            if form is not None:
                assert not form.has(sp.log, sp.atanh, sp.LambertW, sp.erfinv), op


UNBOUNDED_DOMAIN_OPS = [op for op in SCALAR_OPS
                        if all(low < 0 for low, _ in catalog.get(op).domain.values())]


STABLE_TYPED = ["log(sigmoid(x))", "log(1 - sigmoid(x))", "log(exp(x) + exp(-x))",
                "x*sigmoid(x)", "softplus(-x)", "exp(x)/(1 + exp(x))"]


@pytest.mark.parametrize("op", UNBOUNDED_DOMAIN_OPS + [f"formula:{f}" for f in STABLE_TYPED])
def test_generated_code_is_stable_at_plus_minus_1000(op):
    """No NaN or overflow where the exact value (computed with mpmath) is a finite float."""
    d = derive(formula=op.removeprefix("formula:")) if op.startswith("formula:") else derive(op)
    forward, backward = d.functions()
    xs = np.array([-1000.0, -40.0, 0.5, 40.0, 1000.0])
    values = {n: xs for n in d.params}
    with np.errstate(over="ignore"):
        results = {"out": forward(**values), **backward(np.ones_like(xs), **values)}
    exact_exprs = {"out": d.expr}
    exact_exprs.update({n: sp.diff(d.expr, sp.Symbol(n, real=True)) for n in d.inputs})
    for key, expr in exact_exprs.items():
        got = np.broadcast_to(results[key], xs.shape)
        for i, value in enumerate(xs):
            exact = _exact(expr, {sp.Symbol(n, real=True): sp.Float(value, 50) for n in d.params})
            if abs(exact) < 1e300:
                assert np.isfinite(got[i]), (op, key, value)
                assert abs(got[i] - float(exact)) <= 1e-9 * max(1.0, abs(float(exact))), (op, key)


def _exact(expr, point):
    """The value of `expr` at `point`, computed by mpmath with 600 digits (exp(±1000) fits)."""
    expr = expr.replace(lambda e: e.func.__name__ == "ArraySize", lambda e: 1)
    expr = expr.replace(lambda e: e.func.__name__ == "ArraySum", lambda e: e.args[0])
    symbols = sorted(point, key=str)
    function = sp.lambdify(symbols, expr, modules="mpmath")
    with mpmath.workdps(600):
        value = function(*[mpmath.mpf(str(point[s])) for s in symbols])
        return mpmath.re(value)


def test_float32_in_float32_out_and_broadcasting_undone():
    d = derive("mul")
    forward, backward = d.functions()
    x = np.arange(3, dtype=np.float32).reshape(1, 3)
    y = np.ones((4, 3), dtype=np.float32)
    out = forward(x=x, y=y)
    assert out.dtype == np.float32 and out.shape == (4, 3)
    grads = backward(np.ones((4, 3), dtype=np.float32), x=x, y=y)
    assert grads["x"].shape == (1, 3) and grads["x"].dtype == np.float32
    np.testing.assert_allclose(grads["x"], [[4, 4, 4]])
    assert grads["y"].shape == (4, 3)


def test_relu_convention_at_zero():
    d = derive("relu")
    _, backward = d.functions()
    np.testing.assert_array_equal(backward(np.ones(3), x=np.array([-1.0, 0.0, 2.0]))["x"],
                                  [0.0, 0.0, 1.0])
    assert d.kinks and d.conventions


def test_fan_out_accumulates():
    d = derive(formula="x*exp(x) + x")
    assert len([s for s in d.steps if str(s.input) == "x"]) == 3
    x, dout = sp.symbols("x dout", real=True)
    assert sp.simplify(d.gradients["x"] - dout * ((x + 1) * sp.exp(x) + 1)) == 0


def test_shared_subexpression_is_one_node():
    d = derive(formula="exp(x) + exp(x)*y")
    assert sum(1 for n in d.graph.nodes if n.label == "exp") == 1


def test_source_is_self_contained():
    d = derive("gelu")
    for source in (d.forward_source, d.backward_source):
        imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
        assert all("derive" not in line for line in imports)
        namespace = {}
        exec(compile(source, "<test>", "exec"), namespace)  # generated code, not user text


def test_unknown_operator_and_constants():
    with pytest.raises(DeriveError, match="unknown operator 'sigmoidd'"):
        derive("sigmoidd")
    with pytest.raises(DeriveError, match="'z' does not occur"):
        derive(formula="x*y", constants=("z",))
    d = derive(formula="x*t", constants=("t",))
    assert d.inputs == ["x"] and d.constants == ["t"]


def test_check_before_trust_rejects_a_wrong_gradient(monkeypatch):
    """A sweep that produced a wrong gradient must be refused, not returned."""
    import derive.pipeline as pipeline
    from derive.errors import DerivationMismatch

    real = pipeline.reverse_sweep

    def wrong_sweep(graph, wrt, *rest):
        sweep = real(graph, wrt, *rest)
        sweep.gradients = {n: g * sp.Float(1.001) for n, g in sweep.gradients.items()}
        return sweep

    monkeypatch.setattr(pipeline, "reverse_sweep", wrong_sweep)
    with pytest.raises(DerivationMismatch, match="disagrees"):
        derive("tanh")
