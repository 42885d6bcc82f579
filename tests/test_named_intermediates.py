"""Formulas with named intermediates, and the compact gradients written in them."""

import numpy as np
import pytest
import sympy as sp

from derive.errors import DeriveError
from derive.pipeline import derive
from derive.printers.text import formula_text as matrix_text
from derive.read.formula import parse_formula

BN = ("mu = mean(x, axis=0); var = mean((x - mu)**2, axis=0); "
      "xhat = (x - mu)/sqrt(var + eps); out = gamma*xhat + beta")
ROWS = {"x": ("N", "D"), "gamma": (1, "D"), "beta": (1, "D")}


def test_definitions_are_read_in_order_and_inlined():
    parsed = parse_formula(BN, ROWS)
    assert list(parsed.definitions) == ["mu", "var", "xhat"]
    assert parsed.names == ["x", "eps", "gamma", "beta"]  # intermediates are not inputs
    assert matrix_text(parsed.named["xhat"]) == "(x - mu)*1/sqrt(var + eps)"
    one_line = parse_formula("gamma*((x - mean(x, axis=0))/sqrt(mean((x - mean(x, axis=0))**2, "
                             "axis=0) + eps)) + beta", ROWS)
    assert parsed.expr == one_line.expr
    x = sp.Symbol("x", real=True)
    assert parse_formula("a = x + 1\nb = a*a\nb - 1").expr == (x + 1) ** 2 - 1


@pytest.mark.parametrize("text, words", [
    ("a = x; a = 2*x; a", "'a' is already defined"),
    ("y = x + 1; x = 2*y; x", "'x' is already an input"),
    ("exp = x; exp", "'exp' is a function"),
    ("dout = x; dout", "reserved"),
    ("import os", "definitions 'name = expression'"),
    ("a = x; a + ; a", "syntax error"),
    ("a, b = x, y; a", "definitions 'name = expression'"),
    ("; ".join(["a0 = x + 1", *(f"a{i} = a{i - 1}*a{i - 1} + a{i - 1}" for i in range(1, 41)),
                "a40"]), "too large to derive"),
])
def test_bad_definitions_are_refused_in_one_line(text, words):
    with pytest.raises(DeriveError) as info:
        parse_formula(text)
    assert words in str(info.value)


def _hand_batchnorm(x, gamma, eps, dout, axis):
    mu = x.mean(axis=axis, keepdims=True)
    inv_std = 1 / np.sqrt(((x - mu) ** 2).mean(axis=axis, keepdims=True) + eps)
    xhat = (x - mu) * inv_std
    dxhat = dout * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=axis, keepdims=True)
                    - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True))
    return dx, (dout * xhat).sum(axis=0, keepdims=True), dout.sum(axis=0, keepdims=True)


@pytest.mark.parametrize("op, axis, text", [
    ("batchnorm", 0, ("gamma*1/sqrt(eps + var)*(dout - mean(dout, axis=0) - "
                      "xhat*mean(dout*xhat, axis=0))")),
    ("layernorm", 1, ("1/sqrt(eps + var)*(dout*gamma - mean(dout*gamma, axis=1) - "
                      "xhat*mean(dout*gamma*xhat, axis=1))")),
])
def test_batch_and_layer_norm_reach_the_textbook_form(op, axis, text):
    d = derive(op)
    assert matrix_text(d.saved_form["x"]) == text
    assert matrix_text(d.saved_form["gamma"]) == "sum(dout*xhat, axis=0)"
    assert matrix_text(d.gradients["beta"]) == "sum(dout, axis=0)"
    assert [s.title for s in d.rewrites][-1] == "collect"
    assert {n.name for n in d.graph.nodes} >= {"mu", "var", "xhat"}
    rng = np.random.default_rng(1)
    x, gamma = rng.standard_normal((6, 4)), rng.standard_normal((1, 4))
    beta = rng.standard_normal((1, 4))
    dout = rng.standard_normal((6, 4))
    _, backward = d.functions()
    found = backward(dout, x=x, gamma=gamma, beta=beta, eps=1e-3)
    for name, expected in zip(("x", "gamma", "beta"), _hand_batchnorm(x, gamma, 1e-3, dout, axis)):
        assert np.allclose(found[name], expected, rtol=1e-10, atol=1e-12), name


def test_the_inlined_gradient_is_short_not_the_sweeps_long_form():
    d = derive(formula=BN, shapes=ROWS, constants=["eps"])
    long_form = derive(formula="gamma*(x - mean(x, axis=0))/sqrt(mean((x - mean(x, axis=0))**2, "
                       "axis=0) + eps) + beta", shapes=ROWS, constants=["eps"])
    assert sp.count_ops(d.gradients["x"]) < sp.count_ops(long_form.raw_gradients["x"]) / 2
    assert all(c.max_error < 1e-6 for c in d.checks)


def test_saved_intermediates_passed_in_give_the_same_gradient_and_test_mode_forward():
    d = derive("batchnorm")
    forward, backward = d.functions()
    rng = np.random.default_rng(2)
    values = {"x": rng.standard_normal((5, 3)), "gamma": rng.standard_normal((1, 3)),
              "beta": rng.standard_normal((1, 3)), "eps": 1e-5}
    dout = rng.standard_normal((5, 3))
    mu = values["x"].mean(axis=0, keepdims=True)
    var = values["x"].var(axis=0, keepdims=True)
    xhat = (values["x"] - mu) / np.sqrt(var + 1e-5)
    plain = backward(dout, **values)
    saved = backward(dout, **values, mu=mu, var=var, xhat=xhat)
    for name in plain:
        assert np.allclose(plain[name], saved[name], rtol=1e-12)
    running_mean, running_var = np.full((1, 3), 0.5), np.full((1, 3), 2.0)
    test_mode = forward(**values, mu=running_mean, var=running_var)
    assert np.allclose(test_mode, values["gamma"] * (values["x"] - 0.5) / np.sqrt(2.0 + 1e-5)
                       + values["beta"])


@pytest.mark.parametrize("op, names", [("rmsnorm", {"rms", "xhat"}), ("l2_normalize", {"norm"})])
def test_rms_and_l2_normalisation_use_their_names(op, names):
    d = derive(op)
    used = {m.name for m in d.saved_form["x"].atoms(sp.MatrixSymbol)}
    assert names <= used
    assert all(c.max_error < 1e-6 for c in d.checks)


def test_a_formula_whose_reductions_mix_axes_keeps_its_names_in_the_graph():
    d = derive(formula="h = W @ x; out = sum(sigmoid(h))", shapes={"W": ("m", "n"), "x": ("n", 1)})
    assert any(n.name == "h" for n in d.graph.nodes)
    assert all(c.max_error < 1e-6 for c in d.checks)


def test_a_latex_aligned_block_is_the_same_as_the_sympy_definitions():
    from derive.read.latex import parse_latex

    shapes = {"W": ("m", "n"), "x": ("n",), "b": ("m",)}
    tex = parse_latex(r"\begin{aligned} h &= W x + b \\ s &= \sigma(h) \\ y &= s \odot h "
                      r"\end{aligned}", shapes)
    text = parse_formula("h = W @ x + b; s = sigmoid(h); y = s*h", shapes)
    assert tex.expr == text.expr and tex.names == text.names == ["W", "x", "b"]
    assert list(tex.definitions) == ["h", "s"] and tex.shapes == shapes
    d = derive(latex=r"$$\begin{aligned} \hat{u} &= x^2 \\ y &= e^{\hat{u}} + \hat{u} "
               r"\end{aligned}$$")
    assert [n.name for n in d.graph.nodes if n.name] == ["u_hat"]
    assert all(c.max_error < 1e-9 for c in d.checks)


@pytest.mark.parametrize("tex, words", [
    (r"\begin{aligned} a &= x \\ a &= 2 x \\ a \end{aligned}", "already defined"),
    (r"\begin{aligned} a^2 &= x \\ y &= a \end{aligned}", "must be one name"),
    (r"\begin{aligned} a &= x \\ y &= a", "never ended"),
    (r"\begin{aligned} a &= x = y \\ b &= a \end{aligned}", "one definition"),
    (r"\begin{matrix} a &= x \end{matrix}", "environment"),
    (r"\begin{aligned} a_0 &= x + 1 \\ " + r" \\ ".join(
        f"a_{i} &= a_{i - 1} (a_{i - 1} + 1) + a_{i - 1}" for i in range(1, 9))
     + r" \end{aligned}",
     "too large to derive"),
])
def test_bad_latex_blocks_are_refused_in_one_line(tex, words):
    from derive.read.latex import parse_latex

    with pytest.raises(DeriveError) as info:
        parse_latex(tex)
    assert words in str(info.value)


def test_the_batchnorm_report_walks_the_named_graph_to_the_compact_form(tmp_path):
    import contextlib
    import io

    from derive.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["report", "batchnorm", "--format", "md", "--out", str(tmp_path)])
    assert code == 0
    text = (tmp_path / "batchnorm.md").read_text()
    rewriting = text[text.index("## From the long form to the compact one"):]
    stages = [line for line in rewriting.splitlines() if line.startswith("Stage ")]
    assert stages[0] == "Stage 1: entry by entry, with means along the axis."
    assert stages[-1] == "Stage 6: collect." and len(stages) == 6
    final = rewriting[rewriting.index("Stage 6"):]
    assert (r"\left(\mathrm{dout} - \mathit{xhat} \cdot \overline{\mathrm{dout} \cdot "
            r"\mathit{xhat}} - \overline{\mathrm{dout}}\right)") in final
    graph = text[text.index("## The computational graph"):text.index("## The reverse sweep")]
    assert all(name in graph for name in (r"\mu", r"\mathit{var}", r"\mathit{xhat}"))
