"""Budgets: every expression "bomb" is refused at once, in one line naming the limit and how to
raise it, through --formula, --latex and `derive graph`; time and memory limits hold; what
derive should derive (the catalog, a flat sum of 241 names, a 600-character LaTeX formula)
still does under the defaults.

Times are CPU seconds of the command in this process (the machine may be busy: wall-clock
time would measure the neighbours)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time

import pytest
from cli_harness import REPO, cli_env

from derive import catalog
from derive.cli import main
from derive.pipeline import derive

MATRICES = [f"A{i}" for i in range(16)]
TANH_200 = "*".join(f"tanh(x{i})" for i in range(200))

BOMBS = {
    "nested powers": ["show", "--formula", "(x**64)**64"],
    "five nested powers": ["show", "--formula", "((((x**64)**64)**64)**64)**64"],
    "a power of a sum": ["show", "--formula", "(a+b+c+d)**64"],
    "16 matrices": ["show", "--formula", "sum(" + " @ ".join(MATRICES) + ")",
                    *[f"--shape={m}=3,3" for m in MATRICES]],
    "16 symbolic matrices": ["show", "--formula", "sum(" + " @ ".join(MATRICES) + ")",
                             *[f"--shape={m}=n,n" for m in MATRICES]],
    "200 tanh": ["show", "--formula", TANH_200],
    "a huge --shape": ["show", "--formula", "sum(W @ x)", "--shape", "W=9999,9999", "--shape",
                       "x=9999,1"],
    "LaTeX nested powers": ["show", "--latex", "(x^{64})^{64}"],
    "LaTeX power of a sum": ["show", "--latex", "(a+b+c+d)^{64}"],
    "graph nested powers": ["graph", "(x**64)**64", "--at", "x=1"],
    "graph power of a sum": ["graph", "(a+b+c+d)**64", "--at", "a=1,b=1,c=1,d=1"],
    "graph 200 tanh": ["graph", TANH_200, "--at", ",".join(f"x{i}=0.5" for i in range(200))],
    "report nested powers": ["report", "--formula", "(x**64)**64", "--format", "md"],
    "new power of a sum": ["new", "bomb", "--formula", "(a+b+c+d)**64", "--format", "md"],
}


def run(argv, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    start = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), time.process_time() - start


@pytest.mark.parametrize("argv", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_refused_in_under_a_second(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    if argv[0] in ("report", "new"):
        argv = [*argv, "--out", str(tmp_path / "out")]
    run(["show", "--formula", "x"])  # imports done: the time below is the refusal alone
    code, out, err, seconds = run(argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "too large" in err and ("DERIVE_MAX_" in err or "--max-nodes" in err)
    assert seconds < 1.0, f"{seconds:.2f} s"
    assert not (tmp_path / "out").exists()


def test_max_nodes_and_the_environment_raise_the_limit(monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    formula = ["show", "--formula", "(a+b+c)**6", "--json"]
    assert run(formula)[0] == 0
    code, _, err, _ = run([*formula, "--max-nodes", "200"])
    assert code == 2 and "limit of 200;" in err and "--max-nodes N" in err
    monkeypatch.setenv("DERIVE_MAX_NODES", "200")
    assert run(formula)[0] == 2
    assert run([*formula, "--max-nodes", "5000"])[0] == 0
    monkeypatch.setenv("DERIVE_MAX_NODES", "lots")
    code, _, err, _ = run(formula)
    assert code == 2 and "DERIVE_MAX_NODES=lots" in err
    code, _, err, _ = run([*formula, "--max-nodes", "0"])
    assert code == 2 and "--max-nodes 0" in err


def test_the_degree_limit_is_named():
    with pytest.raises(Exception, match="DERIVE_MAX_DEGREE"):
        derive(formula="(x**32)**16")
    assert derive(formula="(x**16)**16").gradients["x"] is not None


@pytest.mark.parametrize("op", list(catalog.load()))
def test_every_catalog_operator_derives_under_the_default_budget(op):
    assert derive(op).checks


def test_a_flat_sum_of_241_names_is_not_nested_too_deeply(monkeypatch):
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    formula = " + ".join(f"x{i}" for i in range(241))
    code, _, err, _ = run(["show", "--formula", formula, "--json"])
    assert code == 0, err
    code, _, err, _ = run(["show", "--formula", " - ".join(f"x{i}*y{i}" for i in range(120)),
                             "--json"])
    assert code == 0, err


def test_a_600_character_latex_formula_is_read():
    tex = "+".join(["x"] * 300)
    assert len(tex) == 599
    code, _, err, _ = run(["show", "--latex", tex, "--json"])
    assert code == 0, err
    tex = "+".join(f"x_{{{i}}}" for i in range(86))
    assert len(tex) <= 600 and run(["show", "--latex", tex, "--json"])[0] == 0
    code, _, err, _ = run(["show", "--latex", tex + "+y" * 10])
    assert code == 2 and "limit 600" in err


def _cli(argv, env_extra, cache):
    env = dict(cli_env(cache), DERIVE_NO_CACHE="1", **env_extra)
    return subprocess.run([sys.executable, "-m", "derive", *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_time_limit_ends_a_long_derivation(tmp_path):
    formula = "*".join(f"tanh(x{i})" for i in range(90))  # seconds of work under the defaults
    start = time.monotonic()
    done = _cli(["show", "--formula", formula], {"DERIVE_MAX_SECONDS": "1"}, tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "DERIVE_MAX_SECONDS=N" in done.stderr and "over the limit of 1" in done.stderr
    assert time.monotonic() - start < 60


def test_the_memory_limit_is_a_one_line_refusal_every_time(tmp_path):
    for _ in range(6):  # a bare address-space limit crashed CPython in about 1 run of 4
        done = _cli(["show", "--formula", "(a+b+c)**12"], {"DERIVE_MAX_MEMORY_MB": "1"},
                    tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "DERIVE_MAX_MEMORY_MB=N" in done.stderr
    assert _cli(["show", "sigmoid"], {}, tmp_path).returncode == 0
