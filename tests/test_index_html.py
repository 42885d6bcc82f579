"""HTML reports of index derivations: one self-contained page (CSP, no script), the
derivation in MathML, the worked case drawn as SVG grids whose numbers are the derived
gradients, in English and Chinese, user text escaped."""

import re

import numpy as np

from derive.index.worked import worked_case
from derive.pipeline import derive
from reports.index_report import build_index_report, index_report_html, matrix_rows
from reports.write import write_report


def test_conv2d_page_is_self_contained_mathml_and_svg(tmp_path):
    _, path = write_report(derive("conv2d"), "html", tmp_path)
    page = path.read_text(encoding="utf-8")
    assert path.name == "conv2d.html"
    assert "<script" not in page and "default-src 'none'" in page
    assert page.count("<math") > 20 and "<merror" not in page
    assert "<mo>+=</mo>" in page  # dA += ..., one relation
    assert page.count('<svg class="grid') == 8  # x, w, b, out, dout, dx, dw, db


def test_worked_case_grids_hold_the_derived_numbers():
    derivation = derive("conv2d")
    case = worked_case(derivation)
    page = index_report_html(build_index_report(derivation))
    labels = dict(re.findall(r'<svg class="grid [a-z]+"[^>]*aria-label="(\w+): ([^"]*)"', page))
    for name, value in [("x", case["values"]["x"]), ("dx", case["gradients"]["x"]),
                        ("dw", case["gradients"]["w"]), ("out", case["outputs"]["out"])]:
        assert labels[name] == "; ".join(" ".join(row) for row in matrix_rows(value))
    # the dx grid is the full correlation of dout with the flipped kernel, by hand
    w, dout = case["values"]["w"][0, 0], case["upstream"]["dout"][0, 0]
    full = np.pad(dout, 1)
    by_hand = [[np.sum(full[i:i + 2, j:j + 2] * w[::-1, ::-1]) for j in range(3)]
               for i in range(3)]
    assert labels["dx"] == "; ".join(" ".join(f"{v:.4g}" if v else "0" for v in row)
                                     for row in by_hand)


def test_chinese_page_translates_the_prose_and_the_rules(tmp_path):
    _, path = write_report(derive("max_pool2d"), "html", tmp_path, lang="zh")
    page = path.read_text(encoding="utf-8")
    assert 'lang="zh-Hans"' in page and "反向传播，逐个读取" in page
    assert "最大值：传给第一个最大元素" in page and "算例" in page
    assert "The reverse sweep" not in page


def test_typed_formula_text_is_escaped(tmp_path):
    derivation = derive(formula="out[n,i] = max(x[n,i+k], k < K)", shapes=["x=N,L"],
                        constants=["K"])
    _, path = write_report(derivation, "html", tmp_path, stem="window")
    page = path.read_text(encoding="utf-8")
    assert "k &lt; K" in page and "k < K" not in page


def test_a_generated_layers_report_carries_its_verification_table(tmp_path):
    from cli_harness import run_batch

    out = tmp_path / "o"
    result = run_batch([["new", "win", "--formula", "out[n,i] = max(x[n,2*i+k], k < 2)",
                         "--shape", "x=N,L", "--format", "md", "--out", str(out)]],
                       tmp_path / "work")[0]
    assert result["code"] == 0, result["stderr"]
    text = (out / "win.md").read_text(encoding="utf-8")
    assert "### Verification of the generated layer" in text
    assert "| backward | pass |" in text and "| finite\\_difference | pass |" in text
