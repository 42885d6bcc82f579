"""The HTML reports as a reader's browser shows them: headless Chromium (Debian's `chromium`,
installed by scripts/ensure-chromium.sh) opens each page at a desktop and a phone width, and
the test checks that the maths was laid out (every <math> has a size, no <merror>), the graph is
drawn in SVG with its labels, the page fits the phone's width, nothing was requested but the
file itself and nothing was logged. Screenshots go to $DERIVE_SCREENSHOTS if set (to look at
them), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from browser import Browser, chromium
from cli_harness import run_batch
from conftest import tex_required

WIDTHS = {"desktop": 1000, "phone": 390}
# what a page shows, measured in it: sizes of the maths, the graphs and their labels
MEASURE = """(() => {
  const sized = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const maths = [...document.querySelectorAll('math')];
  const labels = [...document.querySelectorAll('svg.graph foreignObject math')];
  return {
    maths: maths.length, unsized: maths.filter(m => !sized(m)).map(m => m.outerHTML.slice(0, 80)),
    merrors: document.querySelectorAll('merror').length,
    graphs: [...document.querySelectorAll('svg.graph')].filter(sized).length,
    labels: labels.length, unsized_labels: labels.filter(m => !sized(m)).length,
    coloured: document.querySelectorAll('.code pre span[style*="color"]').length,
    page_width: document.documentElement.scrollWidth, screen_width: innerWidth,
    text: document.body.innerText, mode: document.compatMode,
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    if chromium() is None:
        if tex_required():
            pytest.fail("chromium is missing: run scripts/ensure-chromium.sh")
        pytest.skip("chromium is missing (scripts/ensure-chromium.sh installs it)")
    with Browser() as running:
        yield running


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The HTML documents, written by the real command line: three operator reports and the
    index, a Chinese report and the Chinese tutorial, a typed formula with a Chinese name."""
    out = tmp_path_factory.mktemp("html")
    zh = out / "zh"
    cases = [["report", "sigmoid", "softmax_cross_entropy", "affine", "--format", "html",
              "--out", str(out)],
             ["report", "sigmoid", "--format", "html", "--lang", "zh", "--out", str(zh)],
             ["report", "--tutorial", "--format", "html", "--lang", "zh", "--out", str(zh)],
             ["report", "--formula", "大米*x + exp(-x)/2", "--name", "rice", "--format", "html",
              "--out", str(out)]]
    for result in run_batch(cases, out / "work"):
        assert result["code"] == 0, result["stderr"]
    from derive.cache import cached_derive
    from reports.model import build_report
    from reports.write import write_index

    index = write_index([(build_report(cached_derive(op=op)), out / f"{op}.html")
                         for op in ("sigmoid", "softmax_cross_entropy", "affine")], "html", out)
    return {"sigmoid": out / "sigmoid.html", "softmax_cross_entropy":
            out / "softmax_cross_entropy.html", "affine": out / "affine.html",
            "index": index, "formula": out / "rice.html", "sigmoid_zh": zh / "sigmoid.html",
            "tutorial_zh": zh / "tutorial.html"}


def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("DERIVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("name", ["sigmoid", "softmax_cross_entropy", "affine", "index",
                                  "formula", "sigmoid_zh", "tutorial_zh"])
def test_page_renders_its_maths_and_graphs_and_fetches_nothing(browser, pages, name, tmp_path):
    start = time.perf_counter()
    for size, width in WIDTHS.items():
        page = browser.open(pages[name], width=width)
        seen = page.evaluate(MEASURE)
        shot = page.screenshot(screenshots(tmp_path) / f"{name}-{size}.png", 0,
                               2400 if size == "desktop" else 1600)
        assert shot.stat().st_size > 10_000
        assert page.requests == [page.url], f"{name}: requests beyond its own file"
        assert page.problems == [], f"{name} ({size}): {page.problems}"
        assert seen["mode"] == "CSS1Compat", "the page is in quirks mode"
        assert seen["maths"] > 5 and seen["unsized"] == [] and seen["merrors"] == 0, seen
        assert seen["page_width"] <= seen["screen_width"], (
            f"{name} at {width}px is {seen['page_width']}px wide: the reader must scroll sideways")
        if name != "index":
            assert seen["graphs"] >= 1 and seen["labels"] >= 2 and seen["unsized_labels"] == 0
    assert time.perf_counter() - start < 30
    text = seen["text"]
    expected = {"sigmoid": ["Sigmoid", "pass", "Generated NumPy backward"],
                "softmax_cross_entropy": ["SoftmaxWithLoss", "pass"],
                "affine": ["The 2 × 2 case, entry by entry"],
                "index": ["sigmoid", "softmax_cross_entropy", "affine", "checked"],
                "formula": ["大米"],
                "sigmoid_zh": ["计算图", "反向传播"],
                "tutorial_zh": ["计算图", "反向传播", "大米", "面粉"]}[name]
    for words in expected:
        assert words in text, f"{name}: {words!r} not on the page"
    if name in ("sigmoid", "softmax_cross_entropy", "affine", "formula"):
        assert seen["coloured"] > 10, "the generated code is not coloured"


def test_the_checks_see_a_request_a_console_error_and_a_hidden_formula(browser, tmp_path):
    """The browser checks themselves, on a page that does everything wrong."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>x</p>'
                   '<math style="display:none"><mi>x</mi></math>'
                   '<img src="http://127.0.0.1:9/missing.png">'
                   '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    page = browser.open(bad)
    seen = page.evaluate(MEASURE)
    assert "http://127.0.0.1:9/missing.png" in page.requests
    assert any("boom" in p for p in page.problems)
    assert seen["unsized"] and seen["graphs"] == 0


def test_the_reports_own_policy_blocks_any_request(browser, pages, tmp_path):
    """A report page with something that would fetch added: the page's own
    Content-Security-Policy refuses it, and the refusal is reported."""
    html = pages["sigmoid"].read_text(encoding="utf-8").replace(
        "</main>", '<img src="http://127.0.0.1:9/tracker.png"></main>')
    tampered = tmp_path / "tampered.html"
    tampered.write_text(html, encoding="utf-8")
    page = browser.open(tampered)
    assert page.blocked == {"http://127.0.0.1:9/tracker.png": "csp"}
    assert any("Content Security Policy" in p for p in page.problems), page.problems


GRIDS = """(() => [...document.querySelectorAll('svg.grid')].filter(g => {
  const r = g.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length)()"""


@pytest.fixture(scope="module")
def index_pages(tmp_path_factory):
    """Index-notation reports in HTML: conv2d in English, attention in Chinese, and a typed
    1-D dilated convolution, written by the real command line."""
    out = tmp_path_factory.mktemp("index_html")
    cases = [["report", "conv2d", "max_pool2d", "--format", "html", "--out", str(out)],
             ["report", "attention", "--format", "html", "--lang", "zh", "--out",
              str(out / "zh")],
             ["report", "--formula", "out[n,f,i] = sum(w[f,c,k]*x[n,c,3*i+2*k], c, k)",
              "--shape", "x=N,C,L", "--shape", "w=F,C,K", "--name", "dilated", "--format",
              "html", "--out", str(out)]]
    for result in run_batch(cases, out / "work"):
        assert result["code"] == 0, result["stderr"]
    return {"conv2d": out / "conv2d.html", "max_pool2d": out / "max_pool2d.html",
            "attention_zh": out / "zh" / "attention.html", "dilated": out / "dilated.html"}


@pytest.mark.parametrize("name", ["conv2d", "max_pool2d", "attention_zh", "dilated"])
def test_index_report_page_lays_out_its_maths_and_worked_case(browser, index_pages, name,
                                                               tmp_path):
    for size, width in WIDTHS.items():
        page = browser.open(index_pages[name], width=width)
        seen = page.evaluate(MEASURE)
        page.screenshot(screenshots(tmp_path) / f"index-{name}-{size}.png", 0, 2400)
        assert page.requests == [page.url] and page.problems == [], page.problems
        assert seen["mode"] == "CSS1Compat"
        assert seen["maths"] >= 6 and seen["unsized"] == [] and seen["merrors"] == 0, seen
        assert seen["page_width"] <= seen["screen_width"], (
            f"{name} at {width}px is {seen['page_width']}px wide: the reader must scroll sideways")
        assert page.evaluate(GRIDS) >= 3, "the worked case is not drawn"
        assert seen["coloured"] > 10, "the generated code is not coloured"
    expected = {"conv2d": ["Kronecker", "A worked case", "dx", "dw"],
                "max_pool2d": ["arg-max", "A worked case"],
                "attention_zh": ["反向传播", "克罗内克", "算例"],
                "dilated": ["3*i + 2*k", "A worked case"]}[name]
    for words in expected:
        assert words in seen["text"], f"{name}: {words!r} not on the page"
