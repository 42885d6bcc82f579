"""Recurrences over time in index notation: the step's VJP derived, run back through time;
against cs231n's loops and finite differences, formulas in no catalog, the generated code's
shape, and bad input."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numgrad import numerical_gradient

import derive
from derive.errors import DeriveError
from derive.index import derive_index
from derive.index.printing import program_text
from derive.verify.targets import load_target

RNN_SHAPES = {"x": ("N", "T", "D"), "h0": ("N", "H"), "Wx": ("D", "H"), "Wh": ("H", "H"),
              "b": ("H",)}
GRU = """h[n,-1,k] = h0[n,k]
z[n,t,k] = sigmoid(sum(x[n,t,d]*Wz[d,k], d) + sum(h[n,t-1,j]*Uz[j,k], j))
r[n,t,k] = sigmoid(sum(x[n,t,d]*Wr[d,k], d) + sum(h[n,t-1,j]*Ur[j,k], j))
g[n,t,k] = tanh(sum(x[n,t,d]*Wg[d,k], d) + sum(r[n,t,j]*h[n,t-1,j]*Ug[j,k], j))
h[n,t,k] = (1 - z[n,t,k])*h[n,t-1,k] + z[n,t,k]*g[n,t,k]"""
GRU_SHAPES = ["x=N,T,D", "h0=N,H", *(f"{w}=D,H" for w in ("Wz", "Wr", "Wg")),
              *(f"{u}=H,H" for u in ("Uz", "Ur", "Ug"))]


def _values(rng, shapes: dict, sizes: dict) -> dict:
    return {n: rng.standard_normal(tuple(sizes[d] if isinstance(d, str) else d for d in dims))
            for n, dims in shapes.items()}


def _fd_error(forward, values, grads, dout, names) -> float:
    worst = 0.0
    for name in names:
        def loss(v, name=name):
            return float(np.sum(dout * forward(**{**values, name: v})))
        numeric = numerical_gradient(loss, values[name])
        worst = max(worst, float(np.max(np.abs(grads[name] - numeric)))
                    / max(1.0, float(np.abs(numeric).max())))
    return worst


@pytest.fixture(scope="module")
def cs231n():
    return load_target("tests/zoo/cs231n_rnn.py").namespace


@pytest.mark.parametrize("op", ["rnn", "lstm"])
@pytest.mark.parametrize("sizes", [{"N": 2, "T": 3, "D": 4, "H": 3},
                                   {"N": 3, "T": 1, "D": 2, "H": 2},
                                   {"N": 1, "T": 5, "D": 3, "H": 4}])
def test_rnn_and_lstm_over_time_match_cs231n_and_finite_differences(cs231n, op, sizes):
    d = derive.derive(op)
    forward, backward = d.functions()
    rng = np.random.default_rng(sizes["T"] * 7 + sizes["H"])
    multiple = 4 if op == "lstm" else 1
    values = _values(rng, RNN_SHAPES, {**sizes, "H": sizes["H"]})
    H = sizes["H"]
    values.update({"Wx": rng.standard_normal((sizes["D"], multiple * H)),
                   "Wh": rng.standard_normal((H, multiple * H)),
                   "b": rng.standard_normal(multiple * H)})
    h, cache = cs231n[f"{op}_forward"](*(values[n] for n in ("x", "h0", "Wx", "Wh", "b")))
    np.testing.assert_allclose(forward(**values), h, rtol=1e-12, atol=1e-14)
    dh = rng.standard_normal(h.shape)
    grads = backward(dh, **values)
    hand = cs231n[f"{op}_backward"](dh, cache)
    for name, want in zip(("x", "h0", "Wx", "Wh", "b"), hand):
        np.testing.assert_allclose(grads[name], want, rtol=1e-10, atol=1e-12, err_msg=name)
    assert _fd_error(forward, values, grads, dh, d.inputs) < 1e-7
    assert d.checks[0]["max_error"] < 1e-6


def test_the_generated_code_loops_over_time_only_and_carries_the_state_gradient():
    d = derive.derive("lstm")
    loops = re.findall(r"^\s*for (.*):$", d.backward_source, flags=re.MULTILINE)
    assert loops == ["t in range(T)", "t in reversed(range(T))"]
    assert "einsum" in d.backward_source
    assert "_step_backward(dout[:, t] + dprev_h, dprev_c," in d.backward_source
    assert re.findall(r"^\s*for ", d.forward_source, flags=re.MULTILINE) == ["    for "]
    step = d.to_json()["steps"]
    assert [s["rule"] for s in step].count("back-propagation through time") == 2


def test_a_gru_in_no_catalog_from_the_command_line(tmp_path):
    from cli_harness import assert_contract_keys, check_sources, run_cli

    result = run_cli("show", "--formula", GRU, *(a for s in GRU_SHAPES for a in ("--shape", s)),
                     "--json", cache_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert_contract_keys(doc)
    assert doc["inputs"] == ["h0", "x", "Wz", "Uz", "Wr", "Ur", "Wg", "Ug"]
    assert doc["output_shapes"] == {"h": ["N", "T", "H"]}
    assert check_sources(doc, np.random.default_rng(4)) < 1e-6
    shown = run_cli("show", "--formula", GRU, *(a for s in GRU_SHAPES for a in ("--shape", s)),
                    cache_dir=tmp_path)
    assert shown.returncode == 0 and "back-propagation through time" in shown.stdout


def test_a_leaky_recurrence_with_a_scalar_constant_against_loops_and_differences():
    text = ("s[n,-1,k] = s0[n,k]; "
            "s[n,t,k] = (1 - alpha)*s[n,t-1,k] + alpha*tanh(sum(u[n,t,d]*W[d,k], d))")
    d = derive.derive(formula=text, shapes={"u": ("N", "T", "D"), "s0": ("N", "K"),
                                             "W": ("D", "K")}, constants=("alpha",))
    forward, backward = d.functions()
    rng = np.random.default_rng(8)
    values = {"s0": rng.standard_normal((2, 3)), "u": rng.standard_normal((2, 4, 5)),
              "W": rng.standard_normal((5, 3)), "alpha": 0.3}
    s, state = np.zeros((2, 4, 3)), values["s0"]
    for t in range(4):
        state = 0.7 * state + 0.3 * np.tanh(values["u"][:, t] @ values["W"])
        s[:, t] = state
    np.testing.assert_allclose(forward(**values), s, rtol=1e-12)
    dout = rng.standard_normal(s.shape)
    assert _fd_error(forward, values, backward(dout, **values), dout, d.inputs) < 1e-7


def test_time_major_and_an_output_read_out_at_every_step():
    text = ("h[t,n,k] = 0; h[t,n,k] = tanh(sum(x[t,n,d]*W[d,k], d) + h[t-1,n,k]); "
            "y[t,n] = sum(h[t,n,k]*v[k], k)")
    d = derive_index(text.replace("h[t,n,k] = 0", "h[-1,n,k] = 0"),
                     {"x": ("T", "N", "D"), "W": ("D", "K"), "v": ("K",)}, {})
    forward, backward = d.functions()
    rng = np.random.default_rng(9)
    values = {"x": rng.standard_normal((3, 2, 4)), "W": rng.standard_normal((4, 5)),
              "v": rng.standard_normal(5)}
    h, ys = np.zeros((2, 5)), []
    for t in range(3):
        h = np.tanh(values["x"][t] @ values["W"] + h)
        ys.append(h @ values["v"])
    np.testing.assert_allclose(forward(**values), np.stack(ys), rtol=1e-12)
    dout = rng.standard_normal((3, 2))
    assert _fd_error(forward, values, backward(dout, **values), dout, d.inputs) < 1e-7


def test_an_initial_state_read_from_the_first_input_gets_both_gradients():
    text = "h[n,-1,k] = x[n,0,k]; h[n,t,k] = tanh(x[n,t,k] + h[n,t-1,k])"
    d = derive_index(text, {"x": ("N", "T", "H")}, {})
    forward, backward = d.functions()
    rng = np.random.default_rng(10)
    values = {"x": rng.standard_normal((2, 3, 4))}
    dout = rng.standard_normal((2, 3, 4))
    assert _fd_error(forward, values, backward(dout, **values), dout, ["x"]) < 1e-7


def test_the_printed_recurrence_reads_back_to_the_same_program():
    d = derive.derive("lstm")
    again = derive_index(d.formula, dict(derive.catalog.get("lstm").shapes), {})
    assert program_text(again.program) == d.formula


@pytest.mark.parametrize("text, message", [
    ("h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t,k] + h[n,t-2,k])", "at t - 1"),
    ("h[n,-1,k] = h0[n,k]; a[n,t,k] = h[n,t,k]; h[n,t,k] = tanh(x[n,t,k] + a[n,t,k])",
     "at t - 1"),
    ("h[n,-1,k] = h0[n,k]; a[n,t,k] = tanh(x[n,t,k] + h[n,t-1,k])", "no statement computing"),
    ("h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t,k])", "not a recurrence"),
    ("h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t+1,k] + h[n,t-1,k])", "time index t itself"),
    ("h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t,k] + h[n,t-1,k] + x[n,0,k])", "along time"),
    ("h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(h0[n,k] + h[n,t-1,k])", "number of steps"),
    ("h[n,-1,k] = h0[n,k]; w[n,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t,k] + h[n,t-1,k])",
     "does not run over the time index"),
])
def test_what_is_not_a_recurrence_is_refused_in_one_line(text, message):
    shapes = {"x": ("N", "T", "H"), "h0": ("N", "H")}
    with pytest.raises(DeriveError, match=re.escape(message)):
        derive_index(text, shapes, {})


def test_a_bad_recurrence_from_the_command_line_is_one_line_and_exit_2(tmp_path):
    from cli_harness import assert_usage_error, run_cli

    bad = run_cli("show", "--formula", "h[n,-1,k] = h0[n,k]; h[n,t,k] = tanh(x[n,t,k] + "
                  "h[n,t-2,k])", "--shape", "x=N,T,H", "--shape", "h0=N,H", cache_dir=tmp_path)
    assert "t - 1" in assert_usage_error(bad)


@settings(max_examples=15, deadline=None)
@given(N=st.integers(1, 4), T=st.integers(1, 6), D=st.integers(1, 4), H=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_the_derived_rnn_is_cs231n_loops_at_any_sizes(N, T, D, H, seed):
    cs231n = load_target("tests/zoo/cs231n_rnn.py").namespace
    forward, backward = _RNN.functions()
    rng = np.random.default_rng(seed)
    values = _values(rng, RNN_SHAPES, {"N": N, "T": T, "D": D, "H": H})
    h, cache = cs231n["rnn_forward"](*(values[n] for n in ("x", "h0", "Wx", "Wh", "b")))
    np.testing.assert_allclose(forward(**values), h, rtol=1e-12, atol=1e-14)
    dh = rng.standard_normal(h.shape)
    grads = backward(dh, **values)
    for name, want in zip(("x", "h0", "Wx", "Wh", "b"), cs231n["rnn_backward"](dh, cache)):
        np.testing.assert_allclose(grads[name], want, rtol=1e-10, atol=1e-12, err_msg=name)


_RNN = derive.derive("rnn")
