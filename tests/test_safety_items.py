"""The smaller items of issue 12, each as a user meets it: module-shadowing names, a variable
named like a module, overflow-free generated code (softplus's saved form, sinh/cosh,
exp(x)/exp(x − 1)), det's gradient at a singular matrix, `x__y` in show --json's LaTeX."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pytest
import sympy as sp

from derive.cli import main
from derive.pipeline import derive


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["rich", "sympy", "derive", "jinja2", "numpy", "scipy",
                                  "pytest", "reports", "layers", "json", "os"])
def test_new_refuses_a_name_that_would_hide_a_module(tmp_path, name):
    code, _, err = run("new", name, "--formula", "x*x", "--format", "md", "--out",
                         str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and f"NAME '{name}'" in err
    assert list(tmp_path.iterdir()) == []


def test_new_may_use_a_name_already_in_the_folder(tmp_path, monkeypatch):
    """A previous run's own sq.py (in --out or the current folder) is not a module to avoid."""
    monkeypatch.chdir(tmp_path)
    argv = ["new", "sq", "--formula", "x**2", "--format", "md"]
    assert run(*argv)[0] == 0
    assert run(*argv)[0] == 0


@pytest.mark.parametrize("name", ["scipy", "numpy", "np", "math"])
def test_a_variable_named_like_a_module_is_refused_in_one_line(name):
    code, _, err = run("show", "--formula", f"erf({name})*x")
    assert code == 2 and err.count("\n") == 1 and f"'{name}' is reserved" in err


def _finite(function, **values):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(**values)


def test_softplus_saved_form_is_finite_far_out():
    forward, backward = derive("softplus").functions()
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 709.0, 710.0, 800.0, 1000.0])
    out = forward(x=x)
    saved = _finite(backward, dout=np.ones_like(x), x=x, out=out)["x"]
    np.testing.assert_allclose(saved, 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-15)


def test_new_softplus_passes_and_writes_its_files(tmp_path):
    code, out, err = run("new", "soft", "--formula", "log(1 + exp(x))", "--format", "md",
                         "--out", str(tmp_path))
    assert code == 0, out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["soft.md", "soft.py",
                                                           "soft.verify.json"]


@pytest.mark.parametrize("formula, exact", [
    ("sinh(x)/cosh(x)", np.tanh),
    ("cosh(x)/sinh(x)", lambda x: 1 / np.tanh(x)),
    ("exp(x)/exp(x - 1)", lambda x: np.full_like(x, np.e)),
    ("exp(2*x)/(exp(x) + exp(2*x))", lambda x: 1 / (1 + np.exp(-x))),
    ("sinh(x)*exp(-x)", lambda x: (1 - np.exp(-2 * x)) / 2),
])
def test_overflowing_parts_give_a_finite_forward_and_backward(formula, exact):
    d = derive(formula=formula)
    forward, backward = d.functions()
    x = np.array([-800.0, -3.0, 0.7, 3.0, 800.0])
    if formula.startswith("sinh(x)*"):
        x = x[1:]  # -inf is the right value at -800
    values = np.broadcast_to(_finite(forward, x=x), x.shape)
    np.testing.assert_allclose(values, exact(x), rtol=1e-12)
    grads = _finite(backward, dout=np.ones_like(x), x=x)["x"]
    assert np.all(np.isfinite(grads)), grads
    f = sp.lambdify(sp.Symbol("x"), sp.diff(sp.sympify(formula), "x"), "mpmath")
    import mpmath

    expected = np.array([float(f(mpmath.mpf(v))) for v in x])
    np.testing.assert_allclose(grads, expected, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("shape", [("n", "n"), (3, 3)])
def test_det_gradient_is_the_adjugate_even_at_a_singular_matrix(shape):
    d = derive(formula="det(X)", shapes={"X": shape})
    forward, backward = d.functions()
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    adjugate_t = np.array(sp.Matrix(singular.tolist()).adjugate().T.tolist(), dtype=float)
    for kwargs in ({}, {"out": forward(X=singular)}):
        grad = backward(np.array(2.0), X=singular, **kwargs)["X"]
        np.testing.assert_allclose(grad, 2 * adjugate_t, atol=1e-12)
    rng = np.random.default_rng(3)
    for _ in range(5):
        X = rng.normal(size=(3, 3))
        np.testing.assert_allclose(backward(np.array(1.0), X=X)["X"],
                                   np.linalg.det(X) * np.linalg.inv(X).T, rtol=1e-9)
    rank_one = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])  # adjugate 0: the gradient too
    np.testing.assert_allclose(backward(np.array(1.0), X=rank_one)["X"], 0, atol=1e-12)


def test_show_json_latex_keeps_double_underscore_names():
    code, out, _ = run("show", "--formula", "x__y*exp(a_1)", "--json")
    latex = json.loads(out)["latex"]
    assert code == 0 and r"\mathrm{x\_\_y}" in latex and "^{y}" not in latex
