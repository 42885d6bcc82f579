"""HTML reports without a browser: user text is escaped, the page is self-contained (no
address to fetch, no script, a policy refusing requests), the maths is MathML, the graph SVG,
and the command line writes the files (and refuses what it should)."""

from __future__ import annotations

import re

import pytest
from cli_harness import run_batch

from derive.pipeline import derive
from reports.html import report_html
from reports.mathml import math_ml, prose_html
from reports.model import build_report


@pytest.fixture(scope="module")
def hostile():
    d = derive(formula="x*y + exp(x)")
    d.name = '<script>alert("x")</script>'
    d.description = "a & b < c > d"
    return report_html(build_report(d))


def test_user_text_is_escaped(hostile):
    assert "<script" not in hostile
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in hostile
    assert "a &amp; b &lt; c &gt; d" in hostile


def test_the_page_fetches_nothing_and_carries_its_maths_and_graph(hostile):
    assert "default-src 'none'" in hostile
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", hostile)
    assert "@import" not in hostile and "url(" not in hostile.replace("url(#head", "")
    assert hostile.count("<math") > 20 and "<merror" not in hostile
    assert hostile.count('<svg class="graph"') >= 3  # the graph, the numbers, each step


def test_mathml_of_the_printers_latex():
    assert 'mathvariant="normal">d</mi>' in math_ml(r"\mathrm{d}\,Z")
    fenced = math_ml(r"\log{\left(x \right)}")
    assert 'stretchy="false"' in fenced and 'stretchy="true"' not in fenced
    assert 'stretchy="true"' in math_ml(r"\left(1 - \frac{1}{x}\right)")
    assert str(math_ml("")) == ""
    with pytest.raises(ValueError, match="cannot write as MathML"):
        math_ml(r"\left( x")


def test_prose_keeps_its_markup_and_maths_and_escapes_the_rest():
    html = prose_html(r"A \textbf{$1/x$} node & an \emph{other} input\textquoteright{}s value")
    assert html.startswith("A <strong><math") and "</math></strong>" in html
    assert "&amp; an <em>other</em> input’s value" in html


def test_cli_writes_html_documents_and_refuses_a_bad_format(tmp_path):
    out = tmp_path / "out"
    cases = [["report", "relu", "--format", "html", "--out", str(out)],
             ["report", "--formula", "x**2", "--name", "square_me", "--format", "html",
              "--lang", "zh", "--out", str(out)],
             ["graph", "x*y + z", "--at", "x=2,y=3,z=1", "--format", "html", "--out", str(out)],
             ["report", "relu", "--format", "htm", "--out", str(out)]]
    relu, formula, graph, bad = run_batch(cases, tmp_path / "work")
    assert relu["code"] == formula["code"] == graph["code"] == 0, relu["stderr"]
    assert sorted(p.name for p in out.iterdir()) == ["graph.html", "relu.html", "square_me.html"]
    assert '<html lang="zh-Hans">' in (out / "square_me.html").read_text(encoding="utf-8")
    assert "<svg" in (out / "graph.html").read_text(encoding="utf-8")
    assert bad["code"] == 2 and "htm" in bad["stderr"] and "Traceback" not in bad["stderr"]
