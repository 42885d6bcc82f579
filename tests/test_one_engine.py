"""One engine: the statement kinds of index formulas are entries of the primitives registry
(one row per kind here, as tests/test_primitives.py has one per primitive), and an index
derivation offers what the verifier, the reports and the layer generator read of any
derivation."""

import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive.errors import DeriveError
from derive.pipeline import derive
from derive.primitives import REGISTRY, UnknownPrimitive, statement_primitive
from derive.vocab.statements import STATEMENT_TYPES, IndexMax, IndexMean

# (statement kind, an index formula using it, its shapes, the rule its reads are derived by)
KINDS = [
    ("map", "out[n,i] = tanh(x[n,i])", ["x=N,D"], "elementwise: chain rule"),
    ("sum", "out[n,j] = sum(x[n,i]*w[i,j], i)", ["x=N,D", "w=D,M"],
     "sum of products: Kronecker delta"),
    ("mean", "out[n,i] = mean(x[n,2*i+k], k < 2)", ["x=N,L"], "mean: spread over the reduction"),
    ("max", "out[n,i] = max(x[n,2*i+k], k < 2)", ["x=N,L"], "max: route to the first arg-max"),
    ("min", "out[n,i] = min(x[n,2*i+k], k < 2)", ["x=N,L"], "min: route to the first arg-min"),
    ("pad", "xp = pad(x, 1, 1); out[n,i] = sum(xp[n,i+k]*w[k], k)", ["x=N,L", "w=K"],
     "pad: crop the border"),
]


def test_every_statement_kind_has_one_registry_entry_and_one_row_here():
    assert sorted(STATEMENT_TYPES) == sorted(k for k, *_ in KINDS)
    assert all(STATEMENT_TYPES[k] in REGISTRY for k in STATEMENT_TYPES)


@pytest.mark.parametrize("kind, formula, shapes, rule", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_derived_by_its_registry_rule_and_checked(kind, formula, shapes, rule):
    d = derive(formula=formula, shapes=shapes)
    assert statement_primitive(kind).rule == rule
    assert rule in {step["rule"] for step in d.steps()}
    assert d.checks[0]["name"] == "finite_difference" and d.checks[0]["max_error"] < 1e-6


@pytest.mark.parametrize("kind, formula", [
    (IndexMean, "out[n,i] = mean(x[n,2*i+k], k < 2)"),  # the upstream not divided by 2
    (IndexMax, "out[n,i] = max(x[n,2*i+k], k < 2)"),  # sent to every element of the window
])
def test_a_wrong_registry_entry_is_caught_by_the_finite_difference_check(monkeypatch, kind,
                                                                         formula):
    """The generated backward takes the upstream's weight from the registry entry (the same
    one the printed derivation shows), so a wrong entry gives wrong code, which the check
    refuses."""
    wrong = dataclasses.replace(REGISTRY[kind], weight=lambda statement, up: up)
    monkeypatch.setitem(REGISTRY, kind, wrong)
    with pytest.raises(DeriveError, match="finite"):
        derive(formula=formula, shapes=["x=N,L"])


def test_a_statement_kind_without_an_entry_is_refused_by_name():
    with pytest.raises(UnknownPrimitive, match="statement kind 'scan'"):
        statement_primitive("scan")


READ_BY_EVERYONE = ["name", "text", "inputs", "constants", "params", "shapes", "saved_form",
                    "saved_names", "conventions", "assumptions", "checks", "layer",
                    "description", "gradients", "forward_source", "backward_source", "kinks",
                    "domains"]
JSON_KEYS = {"name", "formula", "inputs", "constants", "gradients", "saved_form",
             "forward_source", "backward_source", "steps"}


@pytest.mark.parametrize("op", ["sigmoid", "affine", "conv2d", "max_pool2d"])
def test_both_kinds_of_derivation_offer_the_same_reading_interface(op):
    d = derive(op)
    for member in READ_BY_EVERYONE:
        assert hasattr(d, member), f"{op}: no {member}"
    assert set(d.params) == {*d.inputs, *d.constants}
    assert JSON_KEYS <= set(d.to_json())
    rng = np.random.default_rng(0)
    values = d.sample(rng)
    forward, backward = d.functions()
    out = forward(**values)
    grads = backward(np.ones_like(np.asarray(out, dtype=float)), **values)
    assert set(grads) == set(d.inputs)
    for name in d.inputs:
        assert np.shape(grads[name]) == np.shape(values[name])
    assert all(isinstance(k, str) for k in d.saved_form)
    assert not any(isinstance(v, sp.Basic) for v in d.saved_names)
