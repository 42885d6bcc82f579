"""Reports that teach, read back from the PDFs: familiar final forms, named arrows, no lost
characters, no overfull boxes; the Chinese edition and the tutorial chapter."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from derive.pipeline import derive
from reports.breaking import WIDTH, display, lines
from reports.layout import visible_width
from reports.model import build_report
from reports.write import write_report

needs_tex = pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("xelatex") is None,
                               reason="TeX Live with xelatex is needed")


def _compile(tex_path):
    """Compile a .tex written by derive with the engine derive uses; (text, log)."""
    from reports.language import tex_engine

    source = tex_path.read_text(encoding="utf-8")
    engine = tex_engine("zh" if "ctex" in source else "en", source)
    subprocess.run(["latexmk", engine, "-interaction=nonstopmode", "-quiet", tex_path.name],
                   cwd=tex_path.parent, capture_output=True, check=True, timeout=300)
    pdf = tex_path.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text, tex_path.with_suffix(".log").read_text(errors="replace")


def _report(op, tmp_path, lang="en"):
    _, path = write_report(derive(op), "tex", tmp_path, lang=lang)
    return _compile(path)


def _flat(text):
    return re.sub(r"\s+", "", text)


@needs_tex
@pytest.mark.parametrize("op, forms", [
    ("sigmoid", ["dout·y·(1−y)"]),
    ("tanh", ["dout·1−y2"]),  # pdftotext drops \\left( \\right)
    ("softmax_cross_entropy", ["dout·(y−t)", "t11+t21+t31=1"]),
    ("affine", ["WT·dout", "dout·XT", "dout·1"]),
])
def test_familiar_forms_in_the_pdf(op, forms, tmp_path):
    text, log = _report(op, tmp_path)
    flat = _flat(text)
    for form in forms:
        assert form in flat, (op, form)
    assert "(step" not in text
    assert "?" not in text.replace("?)", "")  # no character lost on the way to the PDF
    assert "Overfull \\hbox" not in log


@needs_tex
def test_svm_hinge_long_results_break_across_lines_instead_of_shrinking(tmp_path):
    text, log = _report("svm_hinge", tmp_path)
    assert "derive: display scaled" not in log and "Overfull \\hbox" not in log
    assert "simplified" in text and "otherwise" in text


def test_a_piece_too_wide_breaks_inside_its_brackets_and_keeps_them_paired():
    term = r"\frac{a_{1}}{b_{1}} \cdot \left(\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}\right)"
    tex = r"\left(\frac{d}{N}\right) \cdot \left(" + " - ".join([term] * 6) + r"\right) \cdot t"
    rows = lines(tex)
    assert len(rows) > 1 and all(visible_width(r) <= WIDTH + 10 for r in rows)
    for row in rows:  # every line is a formula of its own: \left and \right pair up in it
        assert row.count(r"\left") == row.count(r"\right")
    assert rows[0].endswith(r"\right.") and rows[-1].endswith(r"\right) \cdot t")
    framed = display(r"\boxed{" + tex + "}")
    assert framed.count(r"\boxed{\begin{aligned}") == 1  # one frame around all the lines
    assert lines(r"\boxed{" + tex + "}") == [r"\boxed{" + tex + "}"]  # a box alone stays whole


@needs_tex
def test_affine_pdf_shows_the_transposes(tmp_path):
    text, _ = _report("affine", tmp_path)
    assert "cyclic trace" in text
    assert "=WT·dout" in _flat(text) and "=dout·XT" in _flat(text)


@needs_tex
def test_chinese_report_and_tutorial(tmp_path):
    from reports.tutorial import write_tutorial

    text, _ = _report("sigmoid", tmp_path, lang="zh")
    assert "计算图" in text and "反向传播" in text
    tex = write_tutorial("tex", tmp_path, "zh")
    text, log = _compile(tex)
    assert "Overfull \\hbox" not in log
    flat = _flat(text)
    for word in ("计算图", "反向传播", "大米", "局部导数", "dout·(y−t)"):
        assert word in flat, word
    assert "(step" not in text


def test_chinese_names_are_read_and_printed(tmp_path):
    derivation = derive(formula="大米*数量 + 苹果")
    _, path = write_report(derivation, "tex", tmp_path)
    source = path.read_text(encoding="utf-8")
    assert "大米" in source and "?" not in source.split("begin{lstlisting}")[0].split(
        "\\begin{document}")[1].replace("?)", "")


@needs_tex
def test_index_of_piecewise_and_long_formulas_compiles(tmp_path):
    from reports.model import build_report
    from reports.write import write_index

    entries = [(build_report(derive(op)), tmp_path / f"{op}.pdf")
               for op in ("elu", "leaky_relu", "sigmoid", "mse_mean")]
    tex = write_index(entries, "tex", tmp_path)
    text, log = _compile(tex)
    assert "dout·y·(1−y)" in _flat(text) and "Overfull \\hbox" not in log


def test_cli_lang_tutorial_and_graph_markdown(tmp_path):
    from cli_harness import run_batch

    out = tmp_path / "out"
    cases = [["report", "--tutorial", "sigmoid", "--out", str(out)],
             ["report", "sigmoid", "--lang", "fr", "--out", str(out)],
             ["report", "sigmoid", "--lang", "zh", "--format", "md", "--out", str(out)],
             ["graph", "rice*rice_num + flour*flour_num", "--format", "md", "--out", str(out),
              "--at", "rice=2.6,rice_num=10,flour=2.4,flour_num=10"]]
    tutorial, language, chinese, graph = run_batch(cases, tmp_path / "work")
    for refused in (tutorial, language):
        assert refused["code"] == 2 and len(refused["stderr"].strip().splitlines()) == 1
    assert "--tutorial" in tutorial["stderr"] and "'fr'" in language["stderr"]
    assert chinese["code"] == 0 and (out / "sigmoid.md").is_file()
    assert graph["code"] == 0
    chart = (out / "graph.md").read_text()
    assert '-- "2.6 / 10" -->' in chart and '-- "26 / 1" -->' in chart


def test_a_difference_is_one_subtraction_node_with_plus_and_minus_one():
    d = derive(formula="x*y - t")
    inner = [n for n in d.graph.nodes if not n.is_leaf]
    assert [n.label for n in inner] == ["×", "−"]
    difference = [s for s in d.steps if s.rule == "difference"]
    assert {str(s.input): s.local for s in difference} == {"x*y": 1, "t": -1}
    assert str(d.gradients["t"]) == "-dout"
    # a lone negation is still the tutorial's ×(−1) node, and mse's x − t one − node
    assert [s.text for s in build_report(derive("sigmoid")).steps][-1] == "×(−1)"
    assert [n.label for n in derive("mse").graph.nodes if not n.is_leaf][0] == "−"


def test_a_matrix_difference_is_one_subtraction_node_with_plus_and_minus_identity():
    d = derive(formula="sum(X@W - T)", shapes={"X": ("n", "k"), "W": ("k", "m"),
                                                "T": ("n", "m")})
    assert [n.label for n in d.graph.nodes if not n.is_leaf] == ["@", "−", "sum"]
    difference = {str(s.input): str(s.local) for s in d.steps if s.rule == "difference"}
    assert difference == {"X*W": "d(X @ W)", "T": "-dT"}
    T = np.arange(6.0).reshape(3, 2)
    _, backward = d.functions()
    grads = backward(1.0, X=np.ones((3, 4)), W=np.ones((4, 2)), T=T)
    np.testing.assert_allclose(grads["T"], -np.ones((3, 2)))
    # x − μ (μ a row broadcast down the rows) is one − node; the broadcast sums the −G back
    nodes = derive("batchnorm").graph.nodes
    minus = [n for n in nodes if n.label == "−"]
    assert len(minus) == 1 and [nodes[a].label for a in minus[0].args] == ["x", "broadcast"]
    assert "×(−1)" not in [n.label for n in nodes]
    # the hinge's x − Σ t⊙x likewise; 1 − t (a lone negation beside a constant) stays ×(−1)
    labels = [n.label for n in derive("svm_hinge").graph.nodes]
    assert labels.count("−") == 1 and labels.count("×(−1)") == 1
    # X − c, a number broadcast over the matrix: one − node after the broadcast of c
    d = derive(formula="sum((X - c)**2)", shapes={"X": ("n", "m")})
    assert [n.label for n in d.graph.nodes if not n.is_leaf] == ["broadcast", "−", "**2", "sum"]


def test_subtraction_node_reads_as_minus_in_the_report(tmp_path):
    source = write_report(derive("mse"), "tex", tmp_path)[1].read_text()
    headings = [line for line in source.splitlines() if line.startswith(r"\subsection*{Step")]
    assert any(r"\fbox{$-$} (difference rule)" in h for h in headings)
    assert not any("times(-1)" in h for h in headings)
    assert r"\partial(a - b)/\partial b = -1" in source


@pytest.mark.parametrize("op, sides", [("relu", ["1", "0"]), ("leaky_relu", ["1", "0.01"])])
def test_a_kink_gets_a_numeric_example_on_each_side(op, sides):
    report = build_report(derive(op))
    assert [e.gradients[0][2] for e in report.examples] == sides
    assert [float(e.point[0][1]) > 0 for e in report.examples] == [True, False]
    assert len(build_report(derive("sigmoid")).examples) == 1  # no kink, one example


@needs_tex
def test_relu_pdf_shows_the_masked_and_the_passed_input(tmp_path):
    text, log = _report("relu", tmp_path)
    assert "x = 0.6" in text and "x = −0.6" in text and "other side of the kink" in text
    assert "Overfull \\hbox" not in log


def test_chinese_report_translates_catalog_texts_and_messages():
    """--lang zh: the catalog's description and conventions, the engine's checks and the
    verifier's verdicts in Chinese; English keeps the English."""
    from derive.commands.report_jobs import verification_for

    derivation = derive("relu")
    zh = build_report(derivation, verification_for(derivation), "zh")
    assert zh.description == "线性整流单元 max(0, x)。"
    assert zh.notes == ("relu'(0) = 0（在折点处的通用约定）",)
    assert all(not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", c.message)
               for c in (*zh.checks, *zh.verification)), [c.message for c in zh.verification]
    kink = next(c for c in zh.verification if c.name == "kink_convention")
    assert "遵循约定：relu'(0) = 0（在折点处的通用约定）" in kink.message
    assert build_report(derivation).description == "Rectified linear unit max(0, x)."


def test_every_catalog_entry_has_its_chinese_texts():
    from derive import catalog

    for entry in catalog.builtin().values():
        assert entry.chinese.get("description"), entry.name
        for key in ("conventions", "assumptions"):
            if key in entry.chinese:
                assert len(entry.chinese[key]) == len(getattr(entry, key)), (entry.name, key)


def test_an_unknown_message_stays_english_and_patterns_translate_their_parts():
    from reports.language import translate

    assert translate("something new", "zh") == "something new"
    assert translate("4 random points and directions", "en") == "4 random points and directions"
    assert translate("Stage 2: name the statistics.", "zh") == "第 2 步：给统计量命名。"


def test_matrix_worked_case_never_prints_an_overlong_entry():
    from reports.model import build_report as report_of

    for section in report_of(derive("svm_hinge")).matrix_sections:
        for kind, content in section.lines:
            assert len(content) < 2500, content[:200]
            assert "Piecewise((" not in content


def test_report_all_includes_the_index_notation_operators(tmp_path):
    """--all writes every catalog operator in pdf/tex/md, index notation too (conv2d, lstm_step,
    ...), each listed in the index; html leaves out what it has no renderer for."""
    from cli_harness import run_batch

    from derive import catalog
    from derive.index import is_index_formula
    from reports.write import INDEX_NOTATION_FORMATS

    md, html = tmp_path / "md", tmp_path / "html"
    done_md, done_html = run_batch(
        [["report", "--all", "--format", "md", "--out", str(md)],
         ["report", "--all", "--format", "html", "--out", str(html)]], tmp_path / "work")
    assert done_md["code"] == 0 and done_html["code"] == 0, (done_md, done_html)
    names = catalog.builtin()
    index = (md / "index.md").read_text()
    for name, entry in names.items():
        assert (md / f"{name}.md").is_file(), name
        assert f"]({name}.md)" in index, name
        written = (html / f"{name}.html").is_file()
        assert written == ("html" in INDEX_NOTATION_FORMATS or not is_index_formula(entry.formula))
    assert r"\mathrm{dx}_{n,c,h,w} \mathrel{+}=" in index  # conv2d's row, as a sum formula


def test_chinese_index_names_each_status_in_chinese(tmp_path):
    from reports.write import write_index

    entries = [(build_report(derive("sigmoid"), None, "zh"), tmp_path / "sigmoid.pdf")]
    source = write_index(entries, "tex", tmp_path, "zh").read_text(encoding="utf-8")
    assert "已检查" in source and "checked" not in source


def test_a_matrix_steps_upstream_is_never_an_unbreakable_wall():
    from reports.breaking import WIDTH, lines
    from reports.layout import visible_width

    report = build_report(derive("batchnorm"))
    uppers = [s.product_tex for s in report.steps if s.kind == "differential"]
    assert all(max(visible_width(line) for line in lines(u)) <= WIDTH for u in uppers)
    assert any(u.startswith(r"\frac{\partial L}{\partial") for u in uppers)


@needs_tex
def test_no_catalog_report_runs_into_the_margin(tmp_path):
    from derive.cli import main

    assert main(["report", "--all", "--format", "tex", "--out", str(tmp_path)]) == 0
    overfull = {}
    from reports.language import tex_engine

    for tex in sorted(tmp_path.glob("*.tex")):
        engine = {"-pdf": "pdflatex", "-xelatex": "xelatex"}[tex_engine("en", tex.read_text())]
        subprocess.run([engine, "-interaction=nonstopmode", "-no-shell-escape", tex.name],
                       cwd=tmp_path, capture_output=True, check=False, timeout=300)
        log = tex.with_suffix(".log").read_text(errors="replace")
        found = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)
        if found:
            overfull[tex.stem] = found
    assert len(list(tmp_path.glob("*.pdf"))) == len(list(tmp_path.glob("*.tex"))) >= 45
    assert overfull == {}
