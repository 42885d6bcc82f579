"""Reports of index derivations: the Kronecker-delta step written out, the worked case (a 3×3
input and a 2×2 kernel for conv2d) with numbers a reader can check by hand, and a real PDF."""

import subprocess

import numpy as np
import pytest

from derive.index.worked import worked_case
from derive.pipeline import derive
from reports.index_report import build_index_report, index_report_md, matrix_tex
from reports.write import write_report


def test_conv2d_worked_case_is_a_3x3_input_and_a_2x2_kernel_whose_dx_is_the_flipped_correlation():
    case = worked_case(derive("conv2d"))
    assert case["sizes"]["H"] == case["sizes"]["W"] == 3 and case["sizes"]["HH"] == 2
    assert case["constants"] == {"pad": 0, "stride": 1}
    x, w = case["values"]["x"][0, 0], case["values"]["w"][0, 0]
    dout = case["upstream"]["dout"][0, 0]
    full = np.pad(dout, 1)
    flipped = w[::-1, ::-1]
    by_hand = np.array([[np.sum(full[i:i + 2, j:j + 2] * flipped) for j in range(3)]
                        for i in range(3)])
    np.testing.assert_allclose(case["gradients"]["x"][0, 0], by_hand)
    assert case["outputs"]["out"].shape == (1, 1, 2, 2) and x.shape == (3, 3)


def test_markdown_report_writes_out_the_delta_and_its_elimination():
    text = index_report_md(build_index_report(derive("conv2d")))
    assert r"\delta_{h,\,i stride + p}" in text  # the sum with its Kronecker delta
    assert "Solving the delta: `i = (h - p)/stride" in text and "stride divides h - p" in text
    assert "## A worked case" in text and r"\begin{bmatrix}" in text


def test_matrices_drop_axes_of_length_one():
    assert matrix_tex(np.eye(2)[None, None]) == r"\begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}"


def test_lstm_report_names_both_outputs(tmp_path):
    _, path = write_report(derive("lstm_step"), "md", tmp_path)
    text = path.read_text()
    assert "Outputs: `next_h`, `next_c`" in text and "dnext_c" in text


@pytest.mark.requires_tex
def test_conv2d_pdf_builds_with_the_worked_case(tmp_path):
    _, path = write_report(derive("conv2d"), "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    assert "Backward pass of conv2d" in text and "A worked case" in text


ENGLISH_HEADINGS = ("The formula", "The reverse sweep", "The gradients", "A worked case",
                    "Generated NumPy backward", "Backward pass of", "Solving the delta",
                    "Nothing to solve", "Checked.")


def test_chinese_markdown_index_report_is_translated_and_english_stays(tmp_path):
    _, zh = write_report(derive("max_pool2d"), "md", tmp_path / "zh", lang="zh")
    _, en = write_report(derive("max_pool2d"), "md", tmp_path / "en")
    chinese, english = zh.read_text(), en.read_text()
    assert "## 反向传播，逐个读取" in chinese and "最大值：传给第一个最大元素" in chinese
    assert "最大池化" in chinese and "**约定。** max/min：梯度传给" in chinese  # catalog and engine notes
    assert not [h for h in ENGLISH_HEADINGS if h in chinese]
    assert all(h in english for h in ENGLISH_HEADINGS[:6])


@pytest.mark.requires_tex
def test_chinese_conv2d_pdf_is_translated_with_no_lost_glyph_or_overfull_line(tmp_path):
    _, tex = write_report(derive("conv2d"), "tex", tmp_path, lang="zh")
    assert r"\usepackage[fontset=none]{ctex}" in tex.read_text()
    _, path = write_report(derive("conv2d"), "pdf", tmp_path, lang="zh")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    joined = "".join(text.split())  # xeCJK sets no space between δ and Chinese
    assert "反向传播，逐个读取" in joined and "解δ的方程" in joined and "算例" in joined
    assert not [h for h in ENGLISH_HEADINGS if h in text] and "\ufffd" not in text
    log = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tmp_path, capture_output=True, text=True, check=False,
                         timeout=120).stdout
    assert "Overfull" not in log and "Missing character" not in (tmp_path / "conv2d.log").read_text()
