"""derive in a real Jupyter notebook: nbclient runs a notebook on an IPython kernel (ipykernel,
a dev dependency) that imports derive, derives sigmoid, checks a student's cs231n-style file
with a deliberate bug, and draws a graph at a point; the outputs must be the rich views (HTML
with MathML and SVG, LaTeX, Markdown). The same notebook, which also defines a layer class,
is then checked by `derive verify notebook.ipynb`."""

from __future__ import annotations

import json
import time

import nbformat
from cli_harness import run_cli
from nbclient import NotebookClient

STUDENT = '''import numpy as np


def relu_forward(x):
    out = np.maximum(0, x)
    return out, x


def relu_backward(dout, cache):
    x = cache
    return dout * (x >= 0) * 2          # the student's bug: a factor 2
'''

LAYER_CELL = '''import numpy as np

class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)
'''


def _run(tmp_path, monkeypatch):
    (tmp_path / "student_layers.py").write_text(STUDENT, encoding="utf-8")
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    cells = ["import derive\nfrom derive.verify import verify",
             'derive.derive("sigmoid")',
             'verify(["student_layers.py"])',
             'derive.graph("x*y + z", x=2, y=3, z=1)',
             LAYER_CELL]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    start = time.perf_counter()
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - start
    path = tmp_path / "course.ipynb"
    nbformat.write(nb, str(path))
    return nb, path, seconds


def _data(cell) -> dict:
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors[0].evalue if errors else ""
    assert len(results) == 1, cell.outputs
    return results[0]["data"]


def test_a_notebook_shows_derivations_verifications_and_graphs(tmp_path, monkeypatch):
    nb, path, seconds = _run(tmp_path, monkeypatch)
    assert seconds < 60

    derivation = _data(nb.cells[1])
    html = derivation["text/html"]
    assert html.startswith('<div class="derive notebook">') and "<svg" in html
    assert html.count("<math") > 10 and "<merror" not in html and "<script" not in html
    assert "sigmoid" in html and "Generated NumPy backward" in html
    assert r"\frac{\partial L}{\partial x}" in derivation["text/latex"]
    assert r"y \cdot \left(1 - y\right)" in derivation["text/latex"]

    verification = _data(nb.cells[2])
    html = verification["text/html"]
    assert "student_layers.py:relu" in html and 'class="status fail"' in html
    assert "backward" in html and "factor" in html  # the finding names the tensor and cause
    markdown = verification["text/markdown"]
    assert "| backward | fail |" in markdown

    graph = _data(nb.cells[3])
    assert "<svg" in graph["text/html"] and "7" in graph["text/html"]  # x*y + z at (2, 3, 1)
    assert "```mermaid" in graph["text/markdown"]

    # the same notebook, read as a tutorial: its layer class is verified
    result = run_cli("verify", str(path), "--json", cache_dir=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(r["target"].rsplit(":", 1)[-1], r["op"], r["status"])
            for r in report["results"]] == [("Sigmoid", "sigmoid", "pass")]


def test_derive_graph_is_the_public_function_and_refuses_a_missing_value(tmp_path, monkeypatch):
    import pytest

    import derive
    from derive.errors import DeriveError
    from derive.graph import build_graph  # the engine's module is still there

    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    assert callable(derive.graph) and callable(build_graph)
    values = derive.graph("x*y + z", at={"x": 2}, y=3, z=1)
    assert values.output == "7" and "<svg" in values._repr_html_()
    with pytest.raises(DeriveError, match="no value for z"):
        derive.graph("x*y + z", x=2, y=3)
