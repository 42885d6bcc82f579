"""Index formulas in LaTeX (derive.read.latex.index): each formula of
tests/index_latex_corpus.toml gives the same derivation as its text form, or is refused in one
line naming the place; the CLI takes them wherever it takes --latex."""

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.cli import main
from derive.errors import DeriveError
from derive.pipeline import derive
from derive.read.latex.index import index_latex, is_index_latex

CORPUS = tomllib.loads((Path(__file__).parent / "index_latex_corpus.toml").read_text())["formula"]
READ = [e for e in CORPUS if "text" in e]
REFUSED = [e for e in CORPUS if "refused" in e]


def _id(entry):
    return entry["latex"][:50]


def test_corpus_covers_conv_pool_attention_and_dilated_conv():
    assert len(READ) >= 10 and len(REFUSED) >= 8
    texts = " ".join(e["text"] for e in READ)
    assert "pad(x, pad)" in texts and "max(" in texts and "softmax(" in texts
    assert "3*i+2*k" in texts and "sqrt(D)" in texts


@pytest.mark.parametrize("entry", READ, ids=_id)
def test_latex_gives_the_same_derivation_as_the_text_form(entry):
    typed = derive(latex=entry["latex"], shapes=entry["shapes"], constants=entry.get("const", ()))
    text = derive(formula=entry["text"], shapes=entry["shapes"],
                  constants=entry.get("const", ()))
    assert typed.formula == text.formula
    assert typed.gradients == text.gradients
    assert typed.inputs == text.inputs and typed.constants == text.constants
    assert typed.text == entry["latex"].strip()  # reports show the LaTeX as typed
    rng = np.random.default_rng(1)
    values = text.sample(rng)
    forward_typed, backward_typed = typed.functions()
    forward_text, backward_text = text.functions()
    np.testing.assert_allclose(forward_typed(**values), forward_text(**values))
    dout = np.random.default_rng(2).normal(size=np.shape(forward_text(**values)))
    got, want = backward_typed(dout, **values), backward_text(dout, **values)
    for name in text.inputs:
        np.testing.assert_allclose(got[name], want[name])


@pytest.mark.parametrize("entry", REFUSED, ids=_id)
def test_bad_latex_is_refused_in_one_line_naming_the_place(entry, capsys):
    with pytest.raises(DeriveError) as info:
        derive(latex=entry["latex"], shapes=entry["shapes"], constants=entry.get("const", ()))
    assert entry["refused"] in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("--latex")
    argv = ["show", "--latex", entry["latex"]]
    for item in entry["shapes"]:
        argv += ["--shape", item]
    for item in entry.get("const", ()):
        argv += ["--const", item]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and entry["refused"] in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


def test_a_column_the_index_reader_names_is_mapped_back_to_the_latex():
    tex = r"out_{n,i} = \sum_{k} w_{k} z_{n,i+k}"
    with pytest.raises(DeriveError) as info:
        derive(latex=tex, shapes=["x=N,L", "w=K"])
    assert f"column {tex.index('z_') + 1} of the LaTeX" in str(info.value)


def test_letters_together_are_one_name_and_side_by_side_multiply():
    assert index_latex(r"y_{n,i} = x_{n, s i + 2k} ab").text == "y[n, i] = x[n, s*i + 2*k]*ab"
    assert index_latex(r"y_{i} = W1_{i,j}").text == "y[i] = W1[i, j]"


def test_index_latex_is_told_from_the_other_latex():
    assert is_index_latex(r"out_{n,i} = \sum_k x_{n,i+k}")
    assert is_index_latex(r"\begin{aligned} xp &= \mathrm{pad}(x, 1) \\ y &= xp \end{aligned}")
    for other in (r"\frac{1}{1+e^{-x}}", r"x_{k+1}", r"y = \sum_k x_k", r"\sigma(x) = x_1"):
        assert not is_index_latex(other)


def test_user_text_never_reaches_eval_or_sympify(monkeypatch):
    import sympy

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached sympify")

    monkeypatch.setattr(sympy, "sympify", refuse)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", refuse)
    hostile = r"y_{i,j} = \mathrm{__import__}(x_{i,j})"
    with pytest.raises(DeriveError):
        derive(latex=hostile, shapes=["x=N,D"])
    derive(latex=READ[0]["latex"], shapes=READ[0]["shapes"], constants=READ[0].get("const", ()))


def test_show_json_of_a_latex_conv_keeps_the_latex_as_typed(capsys):
    entry = READ[1]
    argv = ["show", "--latex", entry["latex"], "--json"]
    for item in entry["shapes"]:
        argv += ["--shape", item]
    for item in entry["const"]:
        argv += ["--const", item]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "index" and data["formula_as_typed"] == entry["latex"]
    assert data["inputs"] == ["x", "w", "b"] and "pad" in data["constants"]


PIECES = [r"\sum_{k}", r"\sum_{k<K}", r"\max_{p,q}", r"\max", "x_{n,i+k}", "w_k", "+", "-",
          "{", "}", "(", ")", "_", "^", "2", r"\frac", r"\sqrt", "[", "]", ",", "=", r"\left(",
          r"\right)", r"\mathrm{pad}", "e", "e^{", r"\begin{aligned}", r"\end{aligned}",
          r"\\", "&", "<", "s i", r"\operatorname{softmax}_k", r"\sum_{j=0}^{K-1}", r"\cdot",
          " ", r"\,", "|", "'", r"\sigma", r"\log", "x_{n,e}", "0.5", r"\alpha", "$"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12))
def test_any_jumble_of_index_latex_is_read_or_refused_in_one_line(parts):
    tex = "out_{n,i} = " + "".join(parts)
    try:
        derive(latex=tex, shapes=["x=N,L", "w=K"], constants=["K", "s"])
    except DeriveError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("--")


def test_log_is_natural_unless_log10_says_otherwise_and_the_report_says_so():
    tex = r"y_{n,i} = \log(1 + x_{n,i}^2)"
    natural = derive(latex=tex, shapes=["x=N,D"])
    assert natural.formula == "y[n,i] = log(x[n,i]**2 + 1)"
    assert any("natural logarithm" in c for c in natural.conventions)
    ten = derive(latex=tex, shapes=["x=N,D"], log_base=10)
    assert "log10" in ten.formula and any("base-10" in c for c in ten.conventions)
