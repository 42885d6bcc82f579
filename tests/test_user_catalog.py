"""User catalogs: operators in the user's own TOML file, seen by every command beside the
built-ins (from `--catalog FILE` or a pyproject.toml's [tool.derive] catalog), refused with
file, line and reason when malformed or clashing, and written by `derive new --add-to`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from derive import catalog, usercatalog
from derive.errors import DeriveError

OPS = """\
# two operators of my own
[swish_beta]
formula = "x*sigmoid(beta*x)"
inputs = ["x"]
constants = ["beta"]
layer = "SwishBeta"

[hardtanh]
formula = "clip(x, -1, 1)"
inputs = ["x"]
layer = "Hardtanh"
aliases = ["HardTanh"]
"""

LAYER = """\
import numpy as np

class HardTanh:
    def forward(self, x):
        self.x = x
        return np.clip(x, -1, 1)

    def backward(self, dout):
        return dout * ((self.x > -1) & (self.x < 1)){wrong}
"""


def derive_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "derive", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300, check=False)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mine"\n\n[tool.derive]\n'
                                             'catalog = "ops.toml"\n')
    (tmp_path / "ops.toml").write_text(OPS)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mylayers.py").write_text(LAYER.format(wrong=""))
    (tmp_path / "src" / "wrong.py").write_text(LAYER.format(wrong=" * 1.01"))
    return tmp_path


def test_a_pyproject_catalog_is_seen_by_every_command(project):
    cwd = project / "src"  # found from a folder below the pyproject.toml
    listed = json.loads(derive_cli("list", "--json", cwd=cwd).stdout)["operators"]
    assert [o["name"] for o in listed][-2:] == ["swish_beta", "hardtanh"]
    shown = json.loads(derive_cli("show", "hardtanh", "--json", cwd=cwd).stdout)
    assert shown["formula"] == "min(1, max(-1, x))"
    assert {c["name"] for c in shown["checks"]} == {"sympy.diff", "finite_difference"}
    verified = derive_cli("verify", "mylayers.py", "--json", cwd=cwd)
    result = json.loads(verified.stdout)["results"][0]
    assert (verified.returncode, result["op"], result["status"]) == (0, "hardtanh", "pass")
    wrong = derive_cli("verify", "wrong.py", cwd=cwd)
    assert wrong.returncode == 1
    report = derive_cli("report", "swish_beta", "--format", "md", "--out", "out", cwd=cwd)
    assert report.returncode == 0, report.stderr
    assert "beta" in (cwd / "out" / "swish_beta.md").read_text()
    elsewhere = derive_cli("show", "hardtanh", cwd=project.parent)
    assert elsewhere.returncode == 2 and "unknown operator 'hardtanh'" in elsewhere.stderr


def test_catalog_option_names_the_file(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    done = derive_cli("show", "swish_beta", "--catalog", str(project / "ops.toml"), cwd=other)
    assert done.returncode == 0 and "x/(1 + exp(-beta*x))" in done.stdout


@pytest.mark.parametrize("text, line, reason", [
    ('[softsign]\nformula = "x"\ninputs = ["x"]\n', 1, "clashes with the built-in operator"),
    ('[a]\nformula = "x**2"\ninputs = ["x"]\n\n[b]\nformula = "x +* 2"\ninputs = ["x"]\n', 6,
     "syntax error"),
    ('[a]\nformula = "x**2"\ninputs = ["x"]\ncolour = "red"\n', 4, "unknown key 'colour'"),
    ('[a]\nformula = "x**2"\n', 1, "'inputs' is missing"),
    ('[a]\nformula = "x*y"\ninputs = ["x"]\n', 3, "'y' occurs in the formula"),
    ('[a]\nformula = "x**2"\ninputs = ["z"]\n', 3, "input 'z' does not occur"),
    ('[a]\nformula = "x**2"\ninputs = ["x"]\nlayer = "Sigmoid"\n', 4, "binds the built-in"),
    ('[a]\nformula = "x**2\n', 2, "not valid TOML"),
    ('[a]\nformula = "x**2"\ninputs = ["x"]\ndomain = {x = [3, 1]}\n', 4, "low < high"),
])
def test_a_malformed_or_clashing_entry_is_refused_with_file_line_and_reason(
        tmp_path, text, line, reason):
    path = tmp_path / "ops.toml"
    path.write_text(text)
    done = derive_cli("list", "--catalog", str(path), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"{path}:{line}:" in done.stderr and reason in done.stderr


def test_new_add_to_appends_an_entry_that_every_command_then_sees(tmp_path):
    ops = tmp_path / "cat" / "ops.toml"
    done = derive_cli("new", "softsign2", "--latex", r"\frac{x}{1+|x|}", "--format", "md",
                      "--out", "build", "--add-to", str(ops), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entry = usercatalog.read_user_catalog(ops, catalog.builtin())["softsign2"]
    assert (entry.formula, entry.inputs, entry.layer) == ("x/(abs(x) + 1)", ("x",), "Softsign2")
    again = derive_cli("new", "softsign2", "--formula", "x", "--add-to", str(ops), cwd=tmp_path)
    assert again.returncode == 2 and "already declared there" in again.stderr
    builtin = derive_cli("new", "softsign", "--formula", "x", "--add-to", str(ops), cwd=tmp_path)
    assert builtin.returncode == 2 and "built-in operator" in builtin.stderr
    shown = derive_cli("show", "softsign2", "--catalog", str(ops), cwd=tmp_path)
    assert shown.returncode == 0 and "abs(x)" in shown.stdout


def test_append_keeps_what_the_file_holds(tmp_path):
    path = tmp_path / "ops.toml"
    path.write_text(textwrap.dedent(OPS))
    usercatalog.append_entry(path, {"name": "cube", "formula": "x**3", "inputs": ["x"],
                                    "description": 'says "cube"'})
    names = list(usercatalog.read_user_catalog(path, catalog.builtin()))
    assert names == ["swish_beta", "hardtanh", "cube"]
    with pytest.raises(DeriveError, match="clashes with the built-in"):
        usercatalog.append_entry(path, {"name": "relu", "formula": "x", "inputs": ["x"]})


def test_pyproject_without_a_derive_table_adds_nothing(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert usercatalog.discover(None, tmp_path) == []
    assert usercatalog.discover(["a.toml"], tmp_path) == [Path("a.toml")]


def test_the_rerun_line_keeps_the_catalog_it_was_given(project):
    verified = derive_cli("verify", "src/wrong.py", "--catalog", "ops.toml", "--seed", "3",
                          "--json", cwd=project)
    rerun = json.loads(verified.stdout)["summary"]["rerun"]
    assert rerun == "derive verify src/wrong.py --catalog ops.toml --seed 3"
