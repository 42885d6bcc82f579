"""The tutorial's element-by-element 2×2 case, and the matrix steps as data."""

import sympy as sp
from matrix_helpers import derived

from derive.pipeline import derive
from derive.printers.text import formula_text


def test_affine_worked_case_writes_out_every_entry_and_agrees():
    derivation = derived("affine")
    rows = {row["entry"]: row for row in derivation.worked_case}
    assert set(rows) == {f"{n}[{i}, {j}]" for n in "XWb" for i in (0, 1) for j in (0, 1)
                         if not (n == "b" and j == 1)}
    x11 = rows["X[0, 0]"]
    # ∂L/∂x11 = Σ_kl dout_kl ∂y_kl/∂x11 = w11·dout11 + w21·dout21: the first entry of Wᵀ·dout
    expected = sp.Symbol("W_11", real=True) * sp.Symbol("dout_11", real=True) \
        + sp.Symbol("W_21", real=True) * sp.Symbol("dout_21", real=True)
    assert x11["by_entries"] == str(expected)
    assert x11["general"] == "W.T @ dout"
    assert rows["b[1, 0]"]["by_entries"] == "dout_21 + dout_22"
    assert all(row["agrees"] and row["symbolic"] for row in rows.values())


def test_matrix_steps_record_differentials_and_rules():
    derivation = derived("affine")
    by_rule = {}
    for step in derivation.steps:
        by_rule.setdefault(step.rule, []).append(step)
    to_W = next(s for s in by_rule["matrix product"] if formula_text(s.input) == "W")
    assert formula_text(to_W.local) == "dW @ X"  # the differential d(W X) restricted to W
    assert formula_text(to_W.downstream) == "dout @ X.T"
    (broadcast,) = by_rule["broadcast-sum"]
    assert formula_text(broadcast.downstream) == "sum(dout, axis=1)"


def test_trace_and_transpose_rules_appear_in_steps():
    derivation = derive(formula="trace(X.T @ A)", shapes={"X": ("n", "m"), "A": ("n", "m")})
    rules = [s.rule for s in derivation.steps]
    assert "trace" in rules and "transpose" in rules and "matrix product" in rules
    assert formula_text(derivation.gradients["X"]) == "dout*A"
    assert formula_text(derivation.gradients["A"]) == "dout*X"
