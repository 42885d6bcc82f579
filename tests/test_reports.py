"""Reports without TeX: the plain-data model, golden .tex/.md, determinism, escaping of user
text, atomic writes, and the `derive report` / `derive graph` commands.

Golden files: regenerate with `.venv/bin/python tests/golden.py` (or UPDATE_GOLDEN=1).
"""

import os
import subprocess
import sys

import pytest
from golden import GOLDEN_DIR, GOLDEN_OPS, golden_documents

from derive.cli import main
from derive.pipeline import derive
from reports.build import write_atomic
from reports.markdown import report_md
from reports.model import build_report
from reports.render import report_tex
from reports.texfmt import escape_md, escape_tex

HOSTILE_NAME = r"\input{/etc/hostname}"
HOSTILE_TEXT = r"x \write18{touch /tmp/derive-pwned} $\input{/etc/passwd}$ # % & ~ ^ _"


@pytest.fixture(scope="module")
def sigmoid():
    return build_report(derive("sigmoid"))


@pytest.mark.parametrize("op", GOLDEN_OPS)
def test_golden_documents(op):
    fresh = golden_documents(op)
    for suffix, text in fresh.items():
        path = GOLDEN_DIR / f"{op}.{suffix}"
        if os.environ.get("UPDATE_GOLDEN") == "1":
            write_atomic(path, text)
        assert text == path.read_text(encoding="utf-8"), (
            f"{path.name} differs from the golden file; if the change is intended, run "
            "`.venv/bin/python tests/golden.py` and review the diff")


def test_sigmoid_walks_the_tutorials_four_steps(sigmoid):
    assert [s.text for s in sigmoid.steps] == ["/", "+1", "exp", "×(−1)"]
    assert [s.rule for s in sigmoid.steps] == ["reciprocal", "sum", "exp", "constant multiple"]
    # the / node's local derivative, written through its own output: −1/u² = −out²
    assert r"- \mathrm{out}^{2}" in sigmoid.steps[0].local_forms
    # the exp node passes on its own output
    assert "u_{2}" in sigmoid.steps[2].local_forms
    chain = sigmoid.gradients[0].chain
    assert chain[0].tex == (r"\mathrm{dout} \cdot \left(- \mathrm{out}^{2}\right) \cdot 1 "
                            r"\cdot u_{2} \cdot (-1)")
    assert chain[-1].tex == r"\mathrm{dout} \cdot \mathrm{out} \cdot \left(1 - \mathrm{out}\right)"
    assert chain[-1].note == "in the saved output"


def test_sigmoid_graph_is_a_chain_with_values_above_and_gradients_below(sigmoid):
    drawing = sigmoid.drawing
    ops = [n.text for n in drawing.nodes if n.kind == "op"]
    assert ops == ["×(−1)", "exp", "+1", "/"]
    assert len({n.y for n in drawing.nodes}) == 1  # one row, like the tutorial's figure
    arrows = {(s.text, t.text): e for s, t, e in drawing.arrows()}
    assert arrows[("exp", "+1")].above == r"e^{- x}"
    assert arrows[("exp", "+1")].below == r"- \frac{\mathrm{dout}}{u_{3}^{2}}"
    assert arrows[("/", "output")].below == r"\mathrm{dout}"


def test_output_is_deterministic():
    first = build_report(derive("silu"))
    second = build_report(derive("silu"))
    assert report_tex(first) == report_tex(second)
    assert report_md(first) == report_md(second)


def test_escape_filters_neutralise_tex_and_markdown():
    assert escape_tex(HOSTILE_NAME) == r"\textbackslash{}input\{/etc/hostname\}"
    escaped = escape_tex(HOSTILE_TEXT)
    assert "\\write" not in escaped and "\\input" not in escaped
    assert escaped.count("\\textbackslash{}") == 2
    assert escape_md("a*b_[c](d)") == r"a\*b\_\[c\]\(d\)"


def test_hostile_name_and_formula_text_never_reach_tex_unescaped():
    derivation = derive(formula="x*y", name=HOSTILE_NAME)
    derivation.text = HOSTILE_TEXT
    derivation.description = HOSTILE_TEXT
    derivation.conventions = [HOSTILE_TEXT]
    tex = report_tex(build_report(derivation))
    before, listing = tex.split(r"\begin{lstlisting}[language=Python]")
    listing, after = listing.split(r"\end{lstlisting}")  # verbatim: TeX runs nothing in it
    for part in (before, after):
        assert "\\input{" not in part and "\\write18" not in part
    assert r"\textbackslash{}input\{/etc/hostname\}" in tex
    md = report_md(build_report(derivation))
    assert "`" + HOSTILE_NAME + "`" in md  # literal inside a code span
    assert "\\write18{" not in md.replace("`" + HOSTILE_TEXT + "`", "")


def test_write_atomic_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "report.tex"

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomic(target, "x" * 100_000)
    assert list(tmp_path.iterdir()) == []


def test_report_command_writes_markdown(tmp_path, capsys):
    assert main(["report", "sigmoid", "mul", "--format", "md", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "sigmoid.md").read_text()
    assert text.startswith("# Backward pass of `sigmoid`")
    assert "```mermaid" in text and "$$" in text
    assert (tmp_path / "mul.md").is_file()
    assert f"wrote {tmp_path / 'sigmoid.md'}" in capsys.readouterr().out


def test_report_command_for_a_formula_writes_tex(tmp_path):
    assert main(["report", "--formula", "x*tanh(x)", "--name", "xtanh", "--format", "tex",
                 "--out", str(tmp_path)]) == 0
    tex = (tmp_path / "xtanh.tex").read_text()
    assert r"\begin{tikzpicture}" in tex and r"\title{Backward pass of \texttt{xtanh}}" in tex


def test_report_command_rejects_unknown_operator_with_one_line(tmp_path, capsys):
    assert main(["report", "sigmoid", "nosuchop", "--format", "md", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown operator nosuchop" in err
    assert list(tmp_path.iterdir()) == []


def test_graph_command_reproduces_the_supermarket_figure(capsys):
    code = main(["graph", "rice*rice_num + flour*flour_num",
                 "--at", "rice=2.6,rice_num=10,flour=2.4,flour_num=10"])
    assert code == 0
    out = capsys.readouterr().out
    assert "output = 50" in out
    for name, value in [("rice", "10"), ("rice_num", "2.6"), ("flour", "10"),
                        ("flour_num", "2.4")]:
        assert f"  d/d{name} = {value}\n" in out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "→" in line}
    assert rows["rice → × [u_1]"].split("│")[2].strip() == "2.6"
    assert rows["rice → × [u_1]"].split("│")[3].strip() == "10"
    assert rows["+ [out] → output"].split("│")[2].strip() == "50"


@pytest.mark.parametrize("at, message", [
    ("rice=2.6,rice_num=10", "no value for flour, flour_num"),
    ("rice=2.6,rice_num=ten,flour=1,flour_num=1", "expected NAME=VALUE"),
    ("rice=1,rice_num=1,flour=1,flour_num=1,sugar=3", "'sugar' does not occur"),
])
def test_graph_command_needs_a_value_for_every_name(at, message, capsys):
    assert main(["graph", "rice*rice_num + flour*flour_num", "--at", at]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err


def test_graph_command_error_is_one_line_and_exit_code_2_from_the_shell():
    done = subprocess.run([sys.executable, "-m", "derive", "graph", "a*b", "--at", "a=1"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("derive graph --at: no value for b; give every name a value, such as "
                           "--at a=1,b=1\n")


def test_graph_command_refuses_a_point_outside_the_domain(capsys):
    assert main(["graph", "log(x)", "--at", "x=-1"]) == 2
    assert "not a finite real number" in capsys.readouterr().err


def test_matrix_report_goes_through_differentials_and_the_2x2_case():
    report = build_report(derive("affine"))
    assert report.has_differentials
    matmul = [s for s in report.steps if s.rule == "matrix product"]
    assert {s.input_tex for s in matmul} == {"W", "X"}
    to_x = next(s for s in matmul if s.input_tex == "X")
    assert to_x.local_forms == (r"W \, \mathrm{d}\,X",)
    assert to_x.downstream_forms[0] == r"W^{T} \, \mathrm{dout}"
    (section,) = report.matrix_sections
    entries = [content for kind, content in section.lines if r"\checkmark" in content]
    assert len(entries) == 4 + 4 + 2  # every entry of X, W (2×2) and b (2×1)
    assert entries[0] == (r"\frac{\partial L}{\partial X_{11}} = W_{11} \cdot \mathrm{dout}_{11}"
                          r" + W_{21} \cdot \mathrm{dout}_{21} \quad \checkmark")
    assert "DISAGREES" not in report_tex(report)


def test_file_names_stay_inside_the_output_folder():
    from reports.write import file_stem

    assert file_stem("../../etc/passwd") == "etc_passwd"
    assert file_stem(HOSTILE_NAME) == "input_etc_hostname"
    assert file_stem("///") == "formula"


def test_index_lists_each_report_with_formula_gradients_and_status(tmp_path):
    from reports.write import write_index, write_report

    entries = [write_report(derive(op), "md", tmp_path) for op in ("sigmoid", "mul")]
    index = write_index(entries, "md", tmp_path).read_text()
    assert "| [sigmoid](sigmoid.md) | $\\mathrm{out} = \\frac{1}{1 + e^{- x}}$ |" in index
    assert "\\mathrm{dout} \\cdot \\mathrm{out} \\cdot \\left(1 - \\mathrm{out}\\right)" in index
    assert index.count("| checked |") == 2


def test_graph_json_gives_the_supermarket_numbers_at_full_precision(capsys):
    import json

    code = main(["graph", "rice*rice_num + flour*flour_num", "--json",
                 "--at", "rice=2.6,rice_num=10,flour=2.4,flour_num=10"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["output"] == pytest.approx(50.0, rel=1e-15)
    assert data["gradients"] == pytest.approx(
        {"rice": 10.0, "rice_num": 2.6, "flour": 10.0, "flour_num": 2.4}, rel=1e-15)
    assert len(data["arrows"]) == 7
    main(["graph", "x/3", "--json", "--at", "x=0.1234567"])
    assert json.loads(capsys.readouterr().out)["output"] == pytest.approx(0.1234567 / 3, rel=1e-15)


def test_a_formula_without_an_operation_still_gets_a_report(tmp_path, capsys):
    assert main(["report", "--formula", "x", "--format", "md", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "formula.md").read_text()
    assert "dout" in text
