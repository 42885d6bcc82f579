"""Reports through TeX: real PDFs read back with pdftotext, a page rendered to PNG, the
sandbox (no file outside the build folder is read, nothing is run), TeX failures reported with
the log's lines and no partial file left behind."""

import shutil
import subprocess
from pathlib import Path

import pytest

from derive.cli import main
from derive.errors import DeriveError
from derive.pipeline import derive
from reports.build import build_pdf
from reports.write import write_report

pytestmark = pytest.mark.requires_tex

MINIMAL = r"""\documentclass{article}
\begin{document}
%s
\end{document}
"""


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_sigmoid_pdf_names_the_operator_rules_and_result(tmp_path):
    assert main(["report", "sigmoid", "--format", "pdf", "--out", str(tmp_path)]) == 0
    pdf = tmp_path / "sigmoid.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Backward pass of sigmoid" in text
    for step in ("Step 1: node / (reciprocal rule)", "Step 2: node +1 (sum rule)",
                 "Step 3: node exp (exp rule)", "Step 4: node ×(−1) (constant multiple rule)"):
        assert step in text
    assert "= dout · y · (1 − y)" in text  # the lesson's final form, y the saved output
    assert "Verification of the hand-written layer Sigmoid" in text
    assert [p.name for p in tmp_path.iterdir()] == ["sigmoid.pdf"]  # no TeX leftovers

    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = (tmp_path / "page-1.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi
    assert len(png) > 15_000  # a page with a drawn graph and formulas, not a blank one


def test_graph_pdf_reproduces_the_supermarket_figure(tmp_path):
    assert main(["graph", "rice*rice_num + flour*flour_num", "--at",
                 "rice=2.6,rice_num=10,flour=2.4,flour_num=10", "--format", "pdf",
                 "--out", str(tmp_path)]) == 0
    text = pdf_text(tmp_path / "graph.pdf")
    assert "= 50" in text
    rows = [" ".join(line.split()) for line in text.splitlines()]
    assert "rice → × [u_1] 2.6 10" in rows
    assert "rice_num → × [u_1] 10 2.6" in rows
    assert "flour → × [u_2] 2.4 10" in rows
    assert "flour_num → × [u_2] 10 2.4" in rows
    assert "+ [out] → output 50 1" in rows


def test_hostile_name_and_formula_are_printed_not_run(tmp_path):
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() \
        else ""
    marker = tmp_path / "pwned"
    derivation = derive(formula="x*y", name=r"\input{/etc/hostname}")
    derivation.text = rf"\immediate\write18{{touch {marker}}} \input{{/etc/hostname}}"
    _, pdf = write_report(derivation, "pdf", tmp_path)
    text = pdf_text(pdf)
    assert r"\input{/etc/hostname}" in text
    if len(hostname) >= 4:
        assert hostname not in text
    assert not marker.exists()


def test_tex_cannot_read_files_outside_its_folder(tmp_path):
    pdf = tmp_path / "out.pdf"
    with pytest.raises(DeriveError) as caught:
        build_pdf(MINIMAL % r"\input{/etc/hostname}", pdf, "sandbox test")
    message = str(caught.value)
    assert "pdflatex failed" in message and "/etc/hostname" in message
    assert not pdf.exists() and list(tmp_path.iterdir()) == []


def test_shell_escape_is_off(tmp_path):
    marker = tmp_path / "pwned"
    build_pdf(MINIMAL % rf"\immediate\write18{{touch {marker}}} ok", tmp_path / "ok.pdf")
    assert (tmp_path / "ok.pdf").is_file()
    assert not marker.exists()


def test_tex_error_is_reported_with_the_log_line(tmp_path):
    with pytest.raises(DeriveError) as caught:
        build_pdf(MINIMAL % r"\undefinedmacro", tmp_path / "bad.pdf", "report bad")
    message = str(caught.value)
    assert message.startswith("report bad: pdflatex failed:")
    assert "Undefined control sequence" in message
    assert list(tmp_path.iterdir()) == []


def test_tools_are_present(tex):
    assert shutil.which("pdftoppm")
