"""Bad input of any kind, for every command: exit code 2, exactly one line on stderr, no
traceback, no partial output file (DESIGN.md, "Command line"). Plus fuzzing of the formula
parser and engine with Hypothesis: random text gives a result or a DeriveError, never another
exception; random formulas from the supported vocabulary derive and pass finite differences.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from cli_harness import assert_usage_error, describe, numerical_vjp, run_batch, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive.errors import DeriveError
from derive.pipeline import derive

DEEP = "(" * 5000 + "x" + ")" * 5000

# (label, argv); "{tmp}" is replaced by a folder holding the files made by `bad_files`.
SHOW = [
    ("unknown operator", ["show", "nosuch"]),
    ("operator in the wrong case", ["show", "Sigmoid"]),
    ("syntax error", ["show", "--formula", "x +"]),
    ("unbalanced bracket", ["show", "--formula", "exp(x"]),
    ("unknown function", ["show", "--formula", "foo(x)"]),
    ("__import__", ["show", "--formula", "__import__('os').system('echo hacked')"]),
    ("dunder attribute", ["show", "--formula", "x.__class__.__bases__"]),
    ("module attribute", ["show", "--formula", "np.exp(x)"]),
    ("power tower of numbers", ["show", "--formula", "9**9**9**9"]),
    ("huge exponent", ["show", "--formula", "x**100000"]),
    ("huge integer", ["show", "--formula", "1" * 400 + "*x"]),
    ("number beyond float", ["show", "--formula", "1e400*x"]),
    ("5000-deep brackets", ["show", "--formula", DEEP]),
    ("5000 unary minus", ["show", "--formula", "-" * 5000 + "x"]),
    ("100-deep calls", ["show", "--formula", "exp(" * 100 + "x" + ")" * 100]),
    ("very long formula", ["show", "--formula", "x" + "+x" * 20000]),
    ("empty formula", ["show", "--formula", ""]),
    ("blank formula", ["show", "--formula", "   "]),
    ("no variable", ["show", "--formula", "1 + 2"]),
    ("division by zero", ["show", "--formula", "x/0"]),
    ("log of zero", ["show", "--formula", "log(0*x)"]),
    ("never real", ["show", "--formula", "sqrt(-x*x - 1)"]),
    ("complex power", ["show", "--formula", "(-1)**x"]),
    ("overflowing constant", ["show", "--formula", "1e308*x*10"]),
    ("not finite on arrays", ["show", "--formula", "sum(acos(sum(x)))"]),
    ("lambda", ["show", "--formula", "lambda: 1"]),
    ("list", ["show", "--formula", "[x]"]),
    ("tuple", ["show", "--formula", "(x, y)"]),
    ("set", ["show", "--formula", "{x}"]),
    ("conditional expression", ["show", "--formula", "x if x else y"]),
    ("two statements", ["show", "--formula", "x; y"]),
    ("import statement", ["show", "--formula", "import os"]),
    ("walrus", ["show", "--formula", "(x := 1)"]),
    ("subscript", ["show", "--formula", "x[0]"]),
    ("slice", ["show", "--formula", "x[::-1]"]),
    ("string", ["show", "--formula", "'abc'"]),
    ("f-string", ["show", "--formula", "f'{x}'"]),
    ("bytes", ["show", "--formula", "b'x'"]),
    ("complex literal", ["show", "--formula", "1j*x"]),
    ("boolean", ["show", "--formula", "True*x"]),
    ("None", ["show", "--formula", "None"]),
    ("Ellipsis", ["show", "--formula", "..."]),
    ("null byte", ["show", "--formula", "x\x00"]),
    ("newline", ["show", "--formula", "x\ny"]),
    ("non-letter symbol in a name", ["show", "--formula", "€*x"]),  # 大米, é are names now
    ("reserved name dout", ["show", "--formula", "dout*x"]),
    ("reserved name out", ["show", "--formula", "out + x"]),
    ("and", ["show", "--formula", "x and y"]),
    ("bitwise or", ["show", "--formula", "x | y"]),
    ("floor division", ["show", "--formula", "x // y"]),
    ("modulo", ["show", "--formula", "x % y"]),
    ("invert", ["show", "--formula", "~x"]),
    ("not", ["show", "--formula", "not x"]),
    ("equality", ["show", "--formula", "x == y"]),
    ("chained comparison", ["show", "--formula", "where(0 < x < 1, x, 0)"]),
    ("where without comparison", ["show", "--formula", "where(x, 1, 2)"]),
    ("bare comparison", ["show", "--formula", "x > y"]),
    ("comparison always true", ["show", "--formula", "exp(x) > 0"]),
    ("comparison in arithmetic", ["show", "--formula", "(x > y)*2"]),
    ("comparison as a value of where", ["show", "--formula", "where(x > y, x > y, 1)"]),
    ("comparison of a where", ["show", "--formula", "where(x > 0, x, y) > 1"]),
    ("condition on a sum of relu", ["show", "--formula", "relu(relu(x) - mean(relu(x)))"]),
    ("comparison outside where", ["show", "--formula", "exp(x > 0)"]),
    ("function without call", ["show", "--formula", "sigmoid"]),
    ("call of a call", ["show", "--formula", "f(x)(y)"]),
    ("too many arguments", ["show", "--formula", "exp(x, y)"]),
    ("too few arguments", ["show", "--formula", "max(x)"]),
    ("no arguments", ["show", "--formula", "exp()"]),
    ("unknown keyword", ["show", "--formula", "exp(x=1)"]),
    ("starred argument", ["show", "--formula", "exp(*x)"]),
    ("keyword splat", ["show", "--formula", "exp(**{})"]),
    ("variable axis", ["show", "--formula", "sum(x, axis=y)"]),
    ("axis out of range", ["show", "--formula", "sum(X, axis=5)", "--shape", "X=2,3"]),
    ("@ of scalars", ["show", "--formula", "x @ y"]),
    (".T of a scalar", ["show", "--formula", "x.T"]),
    ("softmax of a scalar", ["show", "--formula", "softmax(x)"]),
    ("other attribute", ["show", "--formula", "x.real"]),
    ("--const not in formula", ["show", "--formula", "x*y", "--const", "z"]),
    ("every name constant", ["show", "--formula", "log(x)", "--const", "x"]),
    ("--shape without =", ["show", "--formula", "x", "--shape", "x"]),
    ("--shape three dims", ["show", "--formula", "x", "--shape", "x=a,b,c"]),
    ("--shape zero", ["show", "--formula", "x", "--shape", "x=0,1"]),
    ("--shape negative", ["show", "--formula", "x", "--shape", "x=-1,2"]),
    ("--shape no name", ["show", "--formula", "x", "--shape", "=2,2"]),
    ("--shape empty dims", ["show", "--formula", "x", "--shape", "x=,"]),
    ("--shape semicolon", ["show", "--formula", "x", "--shape", "x=2;3"]),
    ("--shape too large", ["show", "--formula", "x", "--shape", "x=99999,2"]),
    ("--shape name not in formula", ["show", "--formula", "x", "--shape", "y=2,2"]),
    ("--shape twice", ["show", "--formula", "x", "--shape", "x=2,2", "--shape", "x=3,3"]),
    ("incompatible @", ["show", "--formula", "W @ x", "--shape", "W=2,3", "--shape", "x=2,1"]),
    ("incompatible symbolic @", ["show", "--formula", "W @ x + b", "--shape", "W=n,m",
                                 "--shape", "x=k,1", "--shape", "b=n,1"]),
    ("incompatible +", ["show", "--formula", "W + b", "--shape", "W=2,3", "--shape", "b=3,2"]),
    ("OP with --const", ["show", "sigmoid", "--const", "x"]),
    ("OP with --shape", ["show", "sigmoid", "--shape", "x=2,2"]),
    ("OP and --formula", ["show", "sigmoid", "--formula", "x"]),
    ("--formula and --latex", ["show", "--latex", "x", "--formula", "x"]),
    ("nothing to show", ["show"]),
    ("--formula without value", ["show", "--formula"]),
    ("--shape without value", ["show", "--shape"]),
    ("--formula followed by an option", ["show", "--formula", "--json"]),
    ("--out followed by an option", ["report", "sigmoid", "--out", "--all"]),
    ("unknown option", ["show", "--bogus"]),
    ("--log10 without --latex", ["show", "--formula", "log(x)", "--log10"]),
    ("LaTeX unclosed brace", ["show", "--latex", r"\frac{1}{"]),
    ("LaTeX unknown command", ["show", "--latex", r"\foo{x}"]),
    ("LaTeX \\input", ["show", "--latex", r"\input{/etc/passwd}"]),
    ("LaTeX \\def", ["show", "--latex", r"\def\x{1}"]),
    ("LaTeX division by zero", ["show", "--latex", r"\frac{x}{0}"]),
    ("LaTeX dangling superscript", ["show", "--latex", "x^{^}"]),
    ("LaTeX unclosed \\left", ["show", "--latex", r"\left( x"]),
    ("LaTeX empty", ["show", "--latex", ""]),
]

OTHER = [
    ("no command", []),
    ("unknown command", ["bogus"]),
    ("unknown top-level option", ["--bogus"]),
    ("list: unknown option", ["list", "--bogus"]),
    ("list: extra argument", ["list", "extra"]),
    ("graph: no --at", ["graph", "x*y"]),
    ("graph: --at missing a name", ["graph", "x*y", "--at", "x=2"]),
    ("graph: --at not a number", ["graph", "x*y", "--at", "x=2,y=abc"]),
    ("graph: --at name not in formula", ["graph", "x*y", "--at", "x=2,y=3,w=4"]),
    ("graph: --at without =", ["graph", "x*y", "--at", "x2,y=3"]),
    ("graph: --at without name", ["graph", "x*y", "--at", "=1"]),
    ("graph: --at empty", ["graph", "x*y", "--at", ""]),
    ("graph: --at infinite", ["graph", "x*y", "--at", "x=1e999,y=1"]),
    ("graph: --at NaN", ["graph", "x*y", "--at", "x=nan,y=1"]),
    ("graph: syntax error", ["graph", "x +", "--at", "x=1"]),
    ("graph: hostile formula", ["graph", "__import__('os')", "--at", "x=1"]),
    ("graph: matrix formula", ["graph", "W.T", "--at", "W=1"]),
    ("graph: bad --format", ["graph", "x*y", "--at", "x=1,y=2", "--format", "docx"]),
    ("graph: no formula", ["graph"]),
    ("verify: no target", ["verify"]),
    ("verify: nonexistent file", ["verify", "{tmp}/nonexistent.py"]),
    ("verify: nonexistent module", ["verify", "nosuchmodule_xyz"]),
    ("verify: nonexistent submodule", ["verify", "layers.nosuch"]),
    ("verify: nonexistent class", ["verify", "layers:NoSuchClass"]),
    ("verify: nonexistent class in a file", ["verify", "{tmp}/boom_free.py:Nope"]),
    ("verify: empty class name", ["verify", "layers:"]),
    ("verify: empty module name", ["verify", ":Sigmoid"]),
    ("verify: two colons", ["verify", "layers:Sigmoid:Extra"]),
    ("verify: syntax error in file", ["verify", "{tmp}/syntax_error.py"]),
    ("verify: file raising on import", ["verify", "{tmp}/boom.py"]),
    ("verify: binary file", ["verify", "{tmp}/binary.py"]),
    ("verify: nonexistent Markdown", ["verify", "{tmp}/nonexistent.md"]),
    ("verify: unknown --op", ["verify", "layers:Sigmoid", "--op", "nosuchop"]),
    ("verify: empty --op", ["verify", "layers:Sigmoid", "--op", ""]),
    ("verify: --seed not a number", ["verify", "layers", "--seed", "abc"]),
    ("verify: unknown option", ["verify", "layers:Sigmoid", "--bogus"]),
    ("verify: negative --seed", ["verify", "layers:Sigmoid", "--seed", "-5"]),
]

# (label, argv, output folder that must stay empty)
REPORT = [
    ("report: unknown operator", ["report", "nosuch", "--format", "md", "--out", "{tmp}/r1"]),
    ("report: one unknown among known", ["report", "sigmoid", "nosuch", "--format", "md",
                                         "--out", "{tmp}/r2"]),
    ("report: bad --format", ["report", "sigmoid", "--format", "docx", "--out", "{tmp}/r3"]),
    ("report: --out is a file", ["report", "sigmoid", "--format", "md", "--out",
                                 "{tmp}/afile"]),
    ("report: --out under a file", ["report", "sigmoid", "--format", "md", "--out",
                                    "{tmp}/afile/sub"]),
    ("report: syntax error", ["report", "--formula", "x +", "--format", "md", "--out",
                              "{tmp}/r4"]),
    ("report: formula never real", ["report", "--formula", "(-1)**x", "--format", "md",
                                    "--out", "{tmp}/r5"]),
    ("report: nothing to report", ["report", "--format", "md", "--out", "{tmp}/r6"]),
    ("report: OP and --formula", ["report", "sigmoid", "--formula", "x", "--format", "md",
                                  "--out", "{tmp}/r7"]),
    ("report: --formula and --latex", ["report", "--formula", "x", "--latex", "x",
                                       "--format", "md", "--out", "{tmp}/r8"]),
    ("report: OP with --shape", ["report", "sigmoid", "--shape", "x=2,2", "--format", "md",
                                 "--out", "{tmp}/r9"]),
    ("report: OP with --name", ["report", "sigmoid", "--name", "foo", "--format", "md",
                                "--out", "{tmp}/r10"]),
    ("report: --const not in formula", ["report", "--formula", "x", "--const", "t",
                                        "--format", "md", "--out", "{tmp}/r11"]),
    ("new: name starting with a digit", ["new", "1abc", "--formula", "x*x", "--format", "md",
                                         "--out", "{tmp}/n1"]),
    ("new: name with a path", ["new", "../evil", "--formula", "x*x", "--format", "md",
                               "--out", "{tmp}/n2"]),
    ("new: name of a standard module", ["new", "os", "--formula", "x*x", "--format", "md",
                                        "--out", "{tmp}/n3"]),
    ("new: syntax error", ["new", "foo", "--formula", "x +", "--format", "md", "--out",
                           "{tmp}/n4"]),
    ("new: no formula", ["new", "foo", "--format", "md", "--out", "{tmp}/n5"]),
    ("new: --formula and --latex", ["new", "foo", "--formula", "x*x", "--latex", "x",
                                    "--format", "md", "--out", "{tmp}/n6"]),
    ("new: --out is a file", ["new", "foo", "--formula", "x*x", "--format", "md", "--out",
                              "{tmp}/afile"]),
    ("new: --out under a file", ["new", "foo", "--formula", "x*x", "--format", "md", "--out",
                                 "{tmp}/afile/sub"]),
    ("new: formula never real", ["new", "foo", "--formula", "(-1)**x", "--format", "md",
                                 "--out", "{tmp}/n7"]),
    ("new: bad --format", ["new", "foo", "--formula", "x*x", "--format", "docx", "--out",
                           "{tmp}/n8"]),
    ("new: --param not in formula", ["new", "foo", "--formula", "x*x", "--param", "W",
                                     "--format", "md", "--out", "{tmp}/n9"]),
    ("new: --const not in formula", ["new", "foo", "--formula", "x*y", "--const", "z",
                                     "--format", "md", "--out", "{tmp}/n10"]),
]

# Bugs first found here and fixed where they lived: (label, argv, what used to go wrong).
ROUTED = [
    ("verify: a .txt file", ["verify", "{tmp}/notes.txt"],
     ("derive/verify: a target that is an existing file but neither .py nor .md (notes.txt) "
      "is not a TARGET the contract knows, yet verify exits 0 with an empty table (nothing "
      "verified, nothing said); it should be refused in one line naming the file, exit 2")),
]


def _fill(argv, tmp):
    return [a.replace("{tmp}", str(tmp)) for a in argv]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_input")
    (tmp / "syntax_error.py").write_text("def f(:\n    pass\n")
    (tmp / "boom.py").write_text("raise RuntimeError('boom')\n")
    (tmp / "boom_free.py").write_text("X = 1\n")
    (tmp / "binary.py").write_bytes(b"\x00\xff\xfe\x00")
    (tmp / "notes.txt").write_text("just some notes\n")
    (tmp / "afile").write_text("a file, not a folder\n")
    (tmp / "adir").mkdir()
    return tmp


@pytest.fixture(scope="module")
def outcomes(bad_files):
    cases = [*SHOW, *OTHER, *REPORT, *[(label, argv) for label, argv, _ in ROUTED]]
    results = run_batch([_fill(argv, bad_files) for _, argv in cases], bad_files / "batch",
                        processes=2)
    return {label: result for (label, _), result in zip(cases, results)}


def _assert_clean_refusal(result, label):
    line = assert_usage_error(result, label)
    assert "internal error" not in line, f"{label}: a bug in derive, not a refusal: {line}"
    assert result["seconds"] < 20, f"{label}: took {result['seconds']:.1f} s to refuse"
    return line


@pytest.mark.parametrize("label", [label for label, _ in SHOW])
def test_show_refuses_bad_input_in_one_line(outcomes, label):
    _assert_clean_refusal(outcomes[label], label)


@pytest.mark.parametrize("label", [label for label, _ in OTHER])
def test_other_commands_refuse_bad_input_in_one_line(outcomes, label):
    _assert_clean_refusal(outcomes[label], label)


@pytest.mark.parametrize("label", [label for label, _, in REPORT])
def test_report_and_new_refuse_bad_input_and_write_nothing(outcomes, bad_files, label):
    _assert_clean_refusal(outcomes[label], label)
    argv = dict(REPORT)[label]
    out = bad_files / _fill([argv[argv.index("--out") + 1]], bad_files)[0]
    if out.name != "afile" and out.parent.name != "afile":
        assert not out.exists() or not any(out.iterdir()), f"{label}: left {list(out.iterdir())}"
    assert (bad_files / "afile").read_text() == "a file, not a folder\n"


@pytest.mark.parametrize("label", [label for label, _, _ in ROUTED])
def test_bugs_found_here_stay_fixed(outcomes, label):
    _assert_clean_refusal(outcomes[label], label)


def test_messages_name_what_was_wrong(outcomes):
    """The one line names the culprit, so the user knows what to change."""
    expected = {
        "unknown operator": "nosuch", "unknown function": "foo", "--const not in formula": "z",
        "--shape three dims": "x=a,b,c", "incompatible @": "(2, 3)",
        "graph: --at missing a name": "y", "verify: nonexistent file": "nonexistent.py",
        "verify: nonexistent class": "NoSuchClass", "report: bad --format": "docx",
        "unknown option": "--bogus", "huge exponent": "100000",
    }
    for label, word in expected.items():
        line = outcomes[label]["stderr"]
        assert word in line, f"{label}: '{word}' not in {line!r}"


def test_no_command_is_one_line_from_a_real_process(tmp_path):
    for argv in ([], ["show", "--formula", DEEP], ["show", "--formula", "9**9**9**9"],
                 ["verify", str(tmp_path / "missing.py")]):
        result = run_cli(*argv, cache_dir=tmp_path / "cache")
        line = assert_usage_error(result, " ".join(argv)[:40])
        assert "internal error" not in line


def test_hostile_but_valid_formulas_finish_quickly(bad_files):
    """Formulas that are legal yet hard (power towers, nested exponentials) either derive or
    are refused in one line — within seconds, never hanging."""
    formulas = ["x**x**x**x**x**x", "2**x**2**x", "exp(exp(exp(exp(x))))",
                "x ** y ** z ** w", "sigmoid(sigmoid(sigmoid(sigmoid(sigmoid(x)))))",
                "+".join(f"x**{k}" for k in range(1, 40))]
    results = run_batch([["show", "--formula", f, "--json"] for f in formulas],
                        bad_files / "hostile")
    for formula, result in zip(formulas, results):
        assert result["seconds"] < 20, f"{formula}: {result['seconds']:.1f} s"
        assert "Traceback" not in result["stdout"] + result["stderr"], describe(result)
        if result["code"] != 0:
            assert "internal error" not in _assert_clean_refusal(result, formula)


# ----------------------------------------------------------------------------------- fuzzing

TOKENS = ["x", "y", "t", "W", "1", "2", "0", "0.5", "1e3", "+", "-", "*", "/", "**", "@", "(",
          ")", ",", ".T", " ", ">", "<", "=", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
          "max", "min", "abs", "where", "sum", "mean", "softmax", "erf", "softplus", "axis",
          "__", "[", "]", "'", ":", "lambda", "pi", "e", "out", "dout", "9**9", "."]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join))
def test_random_text_gives_a_result_or_a_derive_error(text):
    try:
        derivation = derive(formula=text)
    except DeriveError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()
        return
    assert derivation.inputs


LEAVES = st.sampled_from(["x", "y", "0.5", "2", "3"])
BOUNDED = ["tanh", "sigmoid", "sin", "cos", "atan", "erf"]


def _formulas(children):
    bounded = st.tuples(st.sampled_from(BOUNDED), children).map(lambda a: f"{a[0]}({a[1]})")
    return st.one_of(
        bounded,
        bounded.map(lambda b: f"exp({b})"),
        children.map(lambda c: f"softplus({c})"),
        children.map(lambda c: f"({c})**2"),
        children.map(lambda c: f"sqrt(1 + ({c})**2)"),
        children.map(lambda c: f"relu({c})"),
        children.map(lambda c: f"sum({c})"),
        children.map(lambda c: f"({c}) - mean({c})"),
        st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
            lambda a: f"({a[0]}) {a[1]} ({a[2]})"),
    )


FORMULAS = st.recursive(LEAVES, _formulas, max_leaves=3).filter(
    lambda f: re.search(r"\b[xy]\b", f) is not None)


@settings(max_examples=20, deadline=None, derandomize=True,  # same cost on every run
          suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_random_formulas_from_the_vocabulary_derive_and_match_finite_differences(formula):
    try:
        derivation = derive(formula=formula)
    except DeriveError as exc:  # the one documented gap: relu(u - mean(relu(u)))
        assume("not supported yet" not in str(exc))
        raise
    forward, backward = derivation.functions()
    rng = np.random.default_rng(0)
    values = derivation.sample(rng)
    dout = rng.standard_normal(np.shape(forward(**values)))
    grads = backward(dout, **values)
    for name in derivation.inputs:
        numeric = numerical_vjp(forward, values, name, dout)
        scale = max(1.0, float(np.max(np.abs(numeric))))
        error = float(np.max(np.abs(grads[name] - numeric))) / scale
        assert error < 1e-5, f"d/d{name} of {formula}: relative error {error:.2e}"
