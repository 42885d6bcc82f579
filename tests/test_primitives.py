"""The primitives table: one row per primitive a formula can name. Each row is derived as a
formula of its own (through the graph, the registry's local rule, the self-check against
sympy.diff and finite differences) and, elementwise, on a declared matrix (the registry's
differential, the explicit-matrix check). Adding a primitive is one registry entry and one
row here."""

import re

import numpy as np
import pytest
import sympy as sp

from derive.errors import DeriveError
from derive.graph import build_graph
from derive.pipeline import derive
from derive.primitives import UnknownPrimitive

# (formula of x, rule name of its node, the domain derive should infer for x, None: any)
PRIMITIVES = [
    ("exp(x)", "exp", (-3.0, 3.0)),
    ("log(x)", "log", (0.2, 3.0)),
    ("sqrt(x)", "power", (0.2, 3.0)),
    ("1/x", "reciprocal", (-3.0, 3.0)),
    ("x**3", "power", (-3.0, 3.0)),
    ("2**x", "exponential", (-3.0, 3.0)),
    ("sin(x)", "trig", (-3.0, 3.0)),
    ("cos(x)", "trig", (-3.0, 3.0)),
    ("tan(x)", "trig", None),  # finite at random points of (-3, 3), poles and all
    ("asin(x)", "trig", (-1.0, 1.0)),
    ("acos(x)", "trig", (-1.0, 1.0)),
    ("atan(x)", "trig", (-3.0, 3.0)),
    ("sinh(x)", "hyperbolic", (-3.0, 3.0)),
    ("cosh(x)", "hyperbolic", (-3.0, 3.0)),
    ("tanh(x)", "hyperbolic", (-3.0, 3.0)),
    ("asinh(x)", "inverse hyperbolic", (-3.0, 3.0)),
    ("atanh(x)", "inverse hyperbolic", (-1.0, 1.0)),
    ("erf(x)", "erf", (-3.0, 3.0)),
    ("abs(x)", "max/piecewise", (-3.0, 3.0)),
    ("max(x, 0.5)", "max/piecewise", (-3.0, 3.0)),
    ("min(x, 0.5)", "max/piecewise", (-3.0, 3.0)),
    ("where(x > 0, x, 0)", "max/piecewise", (-3.0, 3.0)),
    ("sum(x)", "broadcast-sum", (-3.0, 3.0)),
]


def _function_of(formula: str) -> str:
    return formula.split("(")[0] if "(" in formula and formula[0].isalpha() else ""


@pytest.mark.parametrize("formula, rule, domain", PRIMITIVES, ids=[p[0] for p in PRIMITIVES])
def test_each_primitive_derives_checks_and_names_its_rule(formula, rule, domain):
    d = derive(formula=formula)
    assert d.steps[0].rule == rule
    assert domain is None or d.domains["x"] == domain
    assert {c.name for c in d.checks} == {"sympy.diff", "finite_difference"}
    x = sp.Symbol("x", real=True)
    if not formula.startswith(("sum", "where", "max", "min", "abs")):  # kinks, sums: FD only
        expected = sp.diff(d.expr, x) * sp.Symbol("dout", real=True)
        assert sp.simplify(d.gradients["x"] - expected) == 0


ELEMENTWISE = [p for p in PRIMITIVES
               if _function_of(p[0]) not in ("", "max", "min", "where", "sum", "sqrt")]


@pytest.mark.parametrize("formula, rule, domain", ELEMENTWISE, ids=[p[0] for p in ELEMENTWISE])
def test_each_function_applies_elementwise_to_a_matrix(formula, rule, domain):
    on_matrix = re.sub(r"\bx\b", "X", formula)
    d = derive(formula=f"sum({on_matrix})", shapes={"X": ("n", "m")})
    assert "elementwise" in {s.rule for s in d.steps}
    assert [c.name for c in d.checks] == ["explicit_matrices", "finite_difference"]
    forward, backward = d.functions()
    X = np.random.default_rng(0).uniform(*d.domains["X"], size=(3, 2))
    assert np.all(np.isfinite(backward(1.0, X=X)["X"]))


def test_a_node_with_no_registry_entry_is_refused_by_name():
    x = sp.Symbol("x", real=True)
    with pytest.raises(UnknownPrimitive, match="no primitive is registered for 'gamma'"):
        build_graph(sp.gamma(x) + x)
    assert issubclass(UnknownPrimitive, DeriveError)  # one line on stderr, exit 2


def test_a_function_without_a_primitive_is_unknown_to_the_reader():
    with pytest.raises(DeriveError, match="unknown function 'gamma'"):
        derive(formula="gamma(x)")
