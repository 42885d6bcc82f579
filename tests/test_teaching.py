"""The teaching rewrites: each catalog lesson reaches the textbook form, every step is checked,
and a wrong step is caught."""

import pytest
import sympy as sp

from derive.pipeline import derive
from derive.teaching import Checker, Rewrite, TeachingError


def _final(op, name="x"):
    return derive(op).teaching[name].final


def test_sigmoid_factors_then_substitutes_the_output():
    lesson = derive("sigmoid").teaching["x"]
    rules = [r.rule for r in lesson.rewrites]
    assert rules == ["multiply the local derivatives", "factor", "rewrite with the output",
                     "substitute the saved value"]
    y, dout = sp.Symbol("y", real=True), sp.Symbol("dout", real=True)
    assert sp.simplify(lesson.final - dout * y * (1 - y)) == 0


def test_tanh_reaches_one_minus_y_squared():
    y, dout = sp.Symbol("y", real=True), sp.Symbol("dout", real=True)
    assert sp.expand(_final("tanh") - dout * (1 - y**2)) == 0


def test_softmax_cross_entropy_uses_the_assumption_and_reaches_y_minus_t():
    lesson = derive("softmax_cross_entropy").teaching["x"]
    assert [r.rule for r in lesson.rewrites][-1] == "use the assumption"
    assert "t_11 + t_21 + t_31" in str(lesson.rewrites[-1].identity)
    assert str(lesson.final) in ("dout*(-t + y)", "dout*(y - t)")


def test_affine_by_the_cyclic_trace():
    lessons = derive("affine").teaching
    assert [r.rule for r in lessons["W"].rewrites] == [
        "inner product as a trace", "cyclic trace", "read off the gradient"]
    assert str(lessons["W"].final) == "dout*X.T"
    assert str(lessons["X"].final) == "W.T*dout"
    assert lessons["b"].rewrites[-1].rule == "sum of the columns"


def test_a_wrong_step_is_refused():
    x = sp.Symbol("x", real=True)
    check = Checker({"x": (-2.0, 2.0)})
    before = Rewrite("multiply the local derivatives", sp.exp(-x) / (1 + sp.exp(-x)) ** 2)
    with pytest.raises(TeachingError, match="factor"):
        check.step(before, Rewrite("factor", sp.exp(-x) / (1 + sp.exp(-x))))


def test_an_assumption_step_is_checked_under_the_assumption():
    t1, t2, y = sp.symbols("t_1 t_2 y", real=True)
    total = t1 + t2

    def on_the_simplex(point):
        point[t2] = 1 - point[t1]
        return point

    before = Rewrite("collect", y * total - t1)
    after = Rewrite("use the assumption", y - t1)
    assert Checker({}, constrain=on_the_simplex).step(before, after) is after
    with pytest.raises(TeachingError):
        Checker({}).step(before, after)


def test_the_graph_follows_the_formula_as_typed():
    d = derive(formula="sigmoid(w0*x0 + w1*x1 + w2)")
    labels = [n.label for n in d.graph.nodes if not n.is_leaf]
    assert labels.count("×(−1)") == 1 and labels.count("×") == 2  # −1 not pushed into products
    negate = next(n for n in d.graph.nodes if n.label == "×(−1)")
    assert d.graph.node(negate.args[0]).label == "+"


def test_rule_names_fit_the_node():
    d = derive(formula="x*t", constants=["t"])
    assert [s.rule for s in d.steps] == ["constant multiple"]
    assert [s.rule for s in derive(formula="x*t").steps] == ["product", "product"]
    rows = derive("softmax_cross_entropy_rows")
    assert {s.node: s.rule for s in rows.steps}["×(−1)"] == "constant multiple"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_rewrite_rule_has_words_in_each_language(lang):
    from derive.teaching import RULES
    from reports.language import text

    assert set(RULES) <= set(text(lang)["rules"])


def test_every_step_rule_of_every_lesson_is_in_the_vocabulary():
    from derive import catalog
    from derive.teaching import RULES

    for op in catalog.load():
        lessons = getattr(derive(op), "teaching", {})  # index-notation operators have none yet
        for lesson in lessons.values():
            assert {r.rule for r in lesson.rewrites} <= set(RULES), op
