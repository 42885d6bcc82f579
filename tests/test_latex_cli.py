"""LaTeX through the command line: `derive show --latex` derives what was read, shows it in
both notations, and `--log10` changes how \\log is read."""

from __future__ import annotations

import json

import pytest
from test_latex_corpus import CORPUS, _shapes

from derive.cli import main
from derive.read.formula import parse_formula
from derive.serialize import expr_text

CLI = [e for e in CORPUS if e.get("cli")]


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")


@pytest.mark.parametrize("entry", CLI, ids=lambda e: e["latex"])
def test_show_derives_the_formula_as_read(entry, capsys):
    argv = ["show", "--latex", entry["latex"], "--json"]
    for name, dims in entry.get("shapes", {}).items():
        argv += ["--shape", f"{name}={dims}"]
    for name in entry.get("const", []):
        argv += ["--const", name]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    meant = parse_formula(entry["means"], _shapes(entry))
    assert data["formula"] == expr_text(meant.expr)
    assert data["formula_as_typed"] == entry["latex"]
    assert set(data["inputs"]) == set(meant.names) - set(entry.get("const", []))
    assert set(data["gradients"]) == set(data["inputs"])


def test_cli_entries_cover_scalars_sums_and_matrices():
    assert len(CLI) >= 4 and any("shapes" in e for e in CLI)


def test_show_prints_the_formula_as_read(capsys):
    assert main(["show", "--latex", r"\sigma(x) = \frac{1}{1+e^{-x}}"]) == 0
    out = capsys.readouterr().out
    assert r"typed:   \sigma(x) = \frac{1}{1+e^{-x}}" in out
    assert r"read as: 1/(1 + exp(-x))   (LaTeX: \frac{1}{1 + e^{- x}})" in out
    assert "dL/dx" in out


def test_show_json_has_both_notations_and_the_log_convention(capsys):
    assert main(["show", "--latex", r"-t \log y", "--const", "t", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["formula"] == "-t*log(y)"
    assert data["formula_as_typed"] == r"-t \log y"
    assert data["latex"] == r"- t \log{\left(y \right)}"
    assert data["gradients"] == {"y": "-dout*t/y"}
    assert any("natural logarithm" in c for c in data["conventions"])


def test_log10_flag_reads_log_in_base_10(capsys):
    assert main(["show", "--latex", r"\log x", "--log10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["formula"] == "log(x)/log(10)"
    assert any("base-10" in c for c in data["conventions"])
    assert main(["show", "--formula", "log(x)", "--log10"]) == 2
    assert "--log10 applies to --latex" in capsys.readouterr().err
