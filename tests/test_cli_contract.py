"""The command-line contract of DESIGN.md, tested from the outside.

Every test runs the real `derive` command (`python -m derive`) in a subprocess — tables of many
command lines share one subprocess (see cli_harness.run_batch) — and checks only what the
contract promises: exit codes, the keys of the JSON documents, and that the generated
forward/backward code, exec'd on its own, computes a backward pass that agrees with finite
differences of the forward pass.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from cli_harness import (
    assert_contract_keys,
    check_sources,
    describe,
    load_pair,
    run_batch,
    run_cli,
)

from derive import catalog

OPERATORS = list(catalog.load())

# Formulas people type: (formula, extra options). Shapes are declared as the contract says.
FORMULAS = [
    ("x*tanh(softplus(x))", []),
    ("x*sigmoid(x)", []),
    ("1/(1 + exp(-x))", []),
    ("max(x, 0)", []),
    ("relu(x)", []),
    ("where(x > 0, x, 0.1*x)", []),
    ("where(x > 0, x, exp(x) - 1)", []),
    ("log(1 + exp(x))", []),
    ("exp(-x**2)", []),
    ("x/(1 + abs(x))", []),
    ("erf(x)", []),
    ("sqrt(x**2 + 1)", []),
    ("x**3 - 2*x", []),
    ("atan(x)", []),
    ("min(x, 1)", []),
    ("log(cosh(x))", []),
    ("0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))", []),
    ("log(x)", []),
    ("sqrt(x)", []),
    ("abs(x)**y", []),
    ("x * y", []),
    ("x / y", []),
    ("x**y", []),
    ("x*y + z", []),
    ("exp(x)*sin(y)", []),
    ("max(x, y)", []),
    ("where(x > y, x, y)", []),
    ("log(exp(x) + exp(y))", []),
    ("sqrt(x**2 + y**2)", []),
    ("a*x**2 + b*x + c", []),
    ("a*x**2 + b*x + c", ["--const", "a", "--const", "b", "--const", "c"]),
    ("sum((x - t)**2)/2", ["--const", "t"]),
    ("mean((x - t)**2)", ["--const", "t"]),
    ("-sum(t*log(sigmoid(x)) + (1 - t)*log(1 - sigmoid(x)))", ["--const", "t"]),
    ("sum(log(cosh(x - t)))", ["--const", "t"]),
    ("sum(where(abs(x - t) < 1, (x - t)**2/2, abs(x - t) - 0.5))", ["--const", "t"]),
    ("sum(softplus(-t*x))", ["--const", "t"]),
    ("sum((x - t)**2)", ["--const", "t", "--const", "t"]),
    ("x - mean(x)", []),
    ("exp(x)/sum(exp(x))", []),
    ("log(sum(exp(x)))", []),
    ("sum(x)*x", []),
    ("(x - mean(x))/sqrt(mean((x - mean(x))**2) + 1e-5)", []),
    ("-sum(t*log(exp(x)/sum(exp(x))))", ["--const", "t"]),
    ("max(x, mean(-1))", []),
    ("sum(x - mean(x))", []),
    ("(relu(x) - mean(relu(x)))**2", []),
    ("x*mean(y)", []),
    ("where(sum(x) > 0, x, 2*x)", []),
    ("relu(x - mean(x))", []),
    ("sum(max(sum(x), 0.5))", []),
    ("min(sum(y), y)", []),
    ("mean(where(sum(z) > sum(x), tanh(x), sum(x)))", []),
    ("W @ x + b", ["--shape", "W=n,m", "--shape", "x=m,1", "--shape", "b=n,1"]),
    ("X @ W + b", ["--shape", "X=N,d", "--shape", "W=d,k", "--shape", "b=1,k"]),
    ("W @ X + b", ["--shape", "W=4,3", "--shape", "X=3,2", "--shape", "b=4,1"]),
    ("tanh(W @ x + b)", ["--shape", "W=n,m", "--shape", "x=m,1", "--shape", "b=n,1"]),
    ("sigmoid(W @ X + b)", ["--shape", "W=n,m", "--shape", "X=m,N", "--shape", "b=n,1"]),
    ("relu(X @ W + b)", ["--shape", "X=N,d", "--shape", "W=d,k", "--shape", "b=1,k"]),
    ("sum(A * B)", ["--shape", "A=n,m", "--shape", "B=n,m"]),
    ("trace(A @ B)", ["--shape", "A=2,3", "--shape", "B=3,2"]),
    ("A @ B", ["--shape", "A=n,k", "--shape", "B=k,m"]),
    ("x.T @ A @ x", ["--shape", "x=n,1", "--shape", "A=n,n"]),
    ("det(A)", ["--shape", "A=3,3"]),
    ("mean((X @ w - y)**2)", ["--shape", "X=N,d", "--shape", "w=d,1", "--shape", "y=N,1",
                              "--const", "y"]),
    ("sum((W @ x - y)**2)/2", ["--shape", "W=n,m", "--shape", "x=m,1", "--shape", "y=n,1",
                               "--const", "y"]),
    ("-sum(t*log(softmax(x, axis=0)))", ["--shape", "x=C,N", "--shape", "t=C,N", "--const", "t"]),
    # scalars and matrices mixed (once refused by the matrix engine's simplifier and check)
    ("2*((b - mean(b)) - mean(b - mean(b)))", ["--shape", "b=n,1"]),
    ("mean((v*v - mean(v*v)) * (2*exp(v)))", ["--shape", "v=n,1"]),
    ("sum((softmax(v + v, axis=0) - mean(softmax(v + v, axis=0)))**2)/2", ["--shape", "v=n,1"]),
    ("mean(softmax(W @ (v - mean(v)), axis=0))", ["--shape", "W=n,n", "--shape", "v=n,1"]),
]


LATEX = [
    (r"\frac{1}{1+e^{-x}}", []),
    (r"\log(1+e^{x})", []),
    (r"\sqrt{x^2+1}", []),
    (r"\tanh(x) \cdot y", []),
    (r"x^{3} - 2x", []),
    (r"\frac{1}{2}\sum (x - t)^2", ["--const", "t"]),
    (r"W x + b", ["--shape", "W=n,m", "--shape", "x=m,1", "--shape", "b=n,1"]),
]


def _case_id(case):
    text, options = case
    return (text + (" " + " ".join(options) if options else ""))[:60]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli_contract")


@pytest.fixture(scope="module")
def shown(workdir):
    """{key: batch result} for `derive show ... --json` of every operator, formula and TeX."""
    keys, cases = [], []
    for op in OPERATORS:
        keys.append(("op", op))
        cases.append(["show", op, "--json"])
    for formula, options in FORMULAS:
        keys.append(("formula", formula, tuple(options)))
        cases.append(["show", "--formula", formula, *options, "--json"])
    for tex, options in LATEX:
        keys.append(("latex", tex, tuple(options)))
        cases.append(["show", "--latex", tex, *options, "--json"])
    return dict(zip(keys, run_batch(cases, workdir / "show", processes=2)))


@pytest.fixture(scope="module")
def cache(workdir, shown):
    """The cache folder the batch of `derive show` filled: real processes reuse it."""
    return workdir / "show" / "cache"


def _document(result) -> dict:
    assert result["code"] == 0, describe(result)
    assert "Traceback" not in result["stderr"], describe(result)
    try:
        return json.loads(result["stdout"])
    except json.JSONDecodeError as exc:
        pytest.fail(f"derive show --json did not print one JSON object ({exc})\n{describe(result)}")


# ---------------------------------------------------------------------------- derive list

def test_list_json_names_every_catalog_operator(workdir):
    result = run_cli("list", "--json", cache_dir=workdir / "cache")
    assert result.returncode == 0, describe(result)
    operators = json.loads(result.stdout)["operators"]
    assert [o["name"] for o in operators] == OPERATORS
    for entry in operators:
        assert entry["formula"] and entry["inputs"], entry
        assert isinstance(entry["constants"], list)
    by_name = {o["name"]: o for o in operators}
    assert by_name["add"]["inputs"] == ["x", "y"] and by_name["mse"]["constants"] == ["t"]
    assert by_name["affine"]["inputs"] == ["X", "W", "b"]


def test_list_text_shows_every_operator(workdir):
    result = run_cli("list", cache_dir=workdir / "cache")
    assert result.returncode == 0 and result.stderr == "", describe(result)
    for op in OPERATORS:
        assert op in result.stdout


# ---------------------------------------------------------------------------- derive show

@pytest.mark.parametrize("op", OPERATORS)
def test_show_operator_json_contract(shown, op):
    doc = _document(shown[("op", op)])
    assert_contract_keys(doc)
    assert doc["name"] == op
    entry = catalog.get(op)
    assert doc["inputs"] == list(entry.inputs) and doc["constants"] == list(entry.constants)
    check_sources(doc, np.random.default_rng(sum(map(ord, op))))


@pytest.mark.parametrize("case", FORMULAS, ids=[_case_id(c) for c in FORMULAS])
def test_show_formula_json_contract(shown, case):
    formula, options = case
    doc = _document(shown[("formula", formula, tuple(options))])
    assert_contract_keys(doc)
    constants = list(dict.fromkeys(v for k, v in itertools.pairwise(options) if k == "--const"))
    assert doc["constants"] == constants
    check_sources(doc, np.random.default_rng(len(formula)))


@pytest.mark.parametrize("case", LATEX, ids=[_case_id(c) for c in LATEX])
def test_show_latex_json_contract(shown, case):
    tex, options = case
    doc = _document(shown[("latex", tex, tuple(options))])
    assert_contract_keys(doc)
    check_sources(doc, np.random.default_rng(len(tex)))


def test_show_inputs_in_order_of_appearance_and_constants_excluded(shown):
    doc = _document(shown[("formula", "a*x**2 + b*x + c", ("--const", "a", "--const", "b",
                                                          "--const", "c"))])
    assert doc["inputs"] == ["x"] and doc["constants"] == ["a", "b", "c"]
    doc = _document(shown[("formula", "x*y + z", ())])
    assert doc["inputs"] == ["x", "y", "z"] and doc["constants"] == []


def test_show_saved_forms_of_the_tutorial(shown):
    """sigmoid saves out: dout*out*(1 - out); tanh: 1 - out**2; exp: out (the contract's
    saved_form, which backward uses when out is passed in)."""
    forms = {op: _document(shown[("op", op)])["saved_form"]["x"] for op in ("sigmoid", "tanh", "exp")}
    assert all(form is not None and "out" in form for form in forms.values()), forms


def _sympy_text(text, extra=()):
    import sympy

    names = {n: sympy.Symbol(n, real=True) for n in ("x", "y", "t", "dout", "out", *extra)}
    return sympy.sympify(text, locals=names)


PLAIN_SYMPY = [op for op in OPERATORS if not catalog.get(op).shapes and not any(
    word in catalog.get(op).formula for word in ("sum(", "mean(", "where(", "relu("))]


@pytest.mark.parametrize("op", PLAIN_SYMPY)
def test_gradients_and_saved_forms_are_sympy_syntax_for_the_vjp(shown, op):
    """Read back with SymPy, each gradient is dout·∂formula/∂input, and each saved form is the
    same gradient once out is replaced by the formula (checked at random points)."""
    import sympy

    doc = _document(shown[("op", op)])
    names = (*doc["inputs"], *doc["constants"])  # dropout's mask
    formula = _sympy_text(doc["formula"], names)
    dout = sympy.Symbol("dout", real=True)
    rng = np.random.default_rng(7)
    for name in doc["inputs"]:
        var = sympy.Symbol(name, real=True)
        expected = dout * sympy.diff(formula, var)
        forms = [_sympy_text(doc["gradients"][name], names)]
        if doc["saved_form"].get(name):  # in out and the values forward keeps (x**y)
            kept = {sympy.Symbol(k, real=True): _sympy_text(v, names)
                    for k, v in doc["kept"].items()}
            forms.append(_sympy_text(doc["saved_form"][name], [*names, *doc["kept"]]).subs(
                {sympy.Symbol("out", real=True): formula, **kept}))
        for form in forms:
            for _ in range(4):
                point = {sympy.Symbol(n, real=True): sympy.Float(rng.uniform(0.3, 2.0))
                         for n in (*doc["inputs"], *doc["constants"], "dout")}
                got, want = complex(form.evalf(subs=point)), complex(expected.evalf(subs=point))
                assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (op, name, str(form))


@pytest.mark.parametrize("shape", [(), (3, 4)], ids=["python floats", "2-D arrays"])
def test_elementwise_sources_take_any_shape(shown, shape):
    """forward/backward of every elementwise operator accept Python floats and 2-D arrays and
    return gradients of the inputs' shapes."""
    for op in OPERATORS:
        if catalog.get(op).shapes:
            continue
        doc = _document(shown[("op", op)])
        forward, backward = load_pair(doc)
        values = {n: np.full(shape, 0.7) if shape else 0.7
                  for n in [*doc["inputs"], *doc["constants"]]}
        out = forward(**values)
        grads = backward(np.ones(np.shape(out)) if shape else 1.0, **values)
        for name in doc["inputs"]:
            assert np.shape(grads[name]) == np.shape(values[name]), (op, name)
            assert np.all(np.isfinite(grads[name])), (op, name)


def test_sweep_starts_from_dout(shown):
    """From dout, or from an output's own upstream d + name for several outputs (DESIGN.md)."""
    for op in OPERATORS:
        doc = _document(shown[("op", op)])
        first = ["d" + n for n in doc["outputs"]] if len(doc.get("outputs", ())) > 1 else ["dout"]
        assert doc["steps"][0]["upstream"] in first, (op, doc["steps"][0])


def test_generated_sources_import_nothing_of_derive(shown, tmp_path):
    """exec every forward_source/backward_source in a fresh interpreter, run them, and look at
    sys.modules: no derive (nor reports, layers) may have been imported."""
    docs = [json.loads(r["stdout"]) for r in shown.values() if r["code"] == 0]
    sources = [[d["forward_source"], d["backward_source"]] for d in docs]
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    script = textwrap.dedent("""
        import json, sys
        for forward_source, backward_source in json.load(open("sources.json")):
            for source, name in ((forward_source, "forward"), (backward_source, "backward")):
                namespace = {"__name__": "generated"}
                exec(compile(source, "<generated>", "exec"), namespace)
                assert callable(namespace[name]), name
        print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    modules = set(json.loads(proc.stdout))
    assert not modules & {"derive", "reports", "layers", "sympy"}, modules & {
        "derive", "reports", "layers", "sympy"}
    third_party = modules - set(sys.stdlib_module_names) - {"numpy", "scipy", "cython_runtime"}
    assert not {m for m in third_party if not m.startswith("_")}, third_party


def test_show_text_from_a_real_process(cache):
    text = run_cli("show", "sigmoid", cache_dir=cache)
    assert text.returncode == 0 and text.stdout.strip(), describe(text)
    assert "Traceback" not in text.stderr


def test_show_json_from_a_real_process_and_its_cache(cache, shown, tmp_path):
    """A fresh derivation, and the one the batch left in the cache, print the same document."""
    fresh = run_cli("show", "--formula", "x*sigmoid(x)", "--json", cache_dir=tmp_path)
    cached = run_cli("show", "--formula", "x*sigmoid(x)", "--json", cache_dir=cache)
    assert fresh.returncode == cached.returncode == 0, describe(fresh) + describe(cached)
    assert json.loads(fresh.stdout) == json.loads(cached.stdout) == json.loads(
        shown[("formula", "x*sigmoid(x)", ())]["stdout"])


# --------------------------------------------------------------------------- derive verify

CHECK_NAMES = {"forward", "backward", "finite_difference", "side_effects", "extreme_inputs",
               "dtype_shape"}

WRONG_SIGMOID = '''
import numpy as np


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out) * 1.01   # a 1 % error
'''

MUTATING_RELU = '''
import numpy as np


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0          # overwrites the caller's array
        return x

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
'''


def _verify_json(result) -> dict:
    assert "Traceback" not in result.stdout + result.stderr, describe(result)
    doc = json.loads(result.stdout)
    assert set(doc) >= {"results", "summary"} and isinstance(doc["summary"], dict)
    for entry in doc["results"]:
        assert set(entry) >= {"target", "op", "status", "convention", "checks"}, entry
        assert entry["status"] in ("pass", "fail", "error"), entry
        for check in entry["checks"]:
            assert set(check) >= {"name", "status", "max_rel_err", "message", "counterexample"}
            assert check["status"] in ("pass", "fail", "warn", "error"), check
    return doc


def test_verify_layers_json_all_pass_exit_0(cache):
    result = run_cli("verify", "layers", "--json", "--seed", "3", cache_dir=cache)
    assert result.returncode == 0, describe(result)
    doc = _verify_json(result)
    assert len(doc["results"]) >= 10
    for entry in doc["results"]:
        assert entry["status"] == "pass", entry
        assert CHECK_NAMES <= {c["name"] for c in entry["checks"]}, entry["target"]
    assert {e["op"] for e in doc["results"]} >= {"sigmoid", "relu", "affine", "add", "mul"}


def test_verify_wrong_backward_fails_exit_1(cache, tmp_path):
    path = tmp_path / "wrong_sigmoid.py"
    path.write_text(WRONG_SIGMOID)
    result = run_cli("verify", f"{path}:Sigmoid", "--json", "--seed", "1",
                     cache_dir=cache)
    assert result.returncode == 1, describe(result)
    (entry,) = _verify_json(result)["results"]
    assert entry["op"] == "sigmoid" and entry["status"] == "fail"
    backward = next(c for c in entry["checks"] if c["name"] == "backward")
    assert backward["status"] == "fail" and backward["message"]
    assert 0.005 < backward["max_rel_err"] < 0.05, backward
    text = run_cli("verify", str(path), "--seed", "1", cache_dir=cache)
    assert text.returncode == 1 and "Traceback" not in text.stdout + text.stderr, describe(text)


def test_verify_mutated_input_is_a_side_effect_failure(cache, tmp_path):
    path = tmp_path / "mutating.py"
    path.write_text(MUTATING_RELU)
    result = run_cli("verify", f"{path}:Relu", "--json", "--seed", "2",
                     cache_dir=cache)
    assert result.returncode == 1, describe(result)
    (entry,) = _verify_json(result)["results"]
    side = next(c for c in entry["checks"] if c["name"] == "side_effects")
    assert side["status"] == "fail", side


TUTORIAL_MD = """# A tutorial

```python
raise ValueError("this block is broken")
```

```python
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
```
"""

CS231N_PAIRS = '''
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    pass


def relu_backward(dout, cache):
    pass
'''

INPLACE_DOUT_TANH = '''
import numpy as np


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        dout *= 1 - self.out ** 2      # right values, but dout is overwritten
        return dout
'''


def test_verify_markdown_blocks_run_in_order_and_a_failing_block_is_reported(cache, tmp_path):
    path = tmp_path / "tutorial.md"
    path.write_text(TUTORIAL_MD)
    result = run_cli("verify", str(path), "--json", "--seed", "5", cache_dir=cache)
    doc = _verify_json(result)
    (entry,) = doc["results"]
    assert entry["op"] == "relu" and entry["status"] == "pass", entry
    assert "this block is broken" in json.dumps(doc), "the failing block is not reported"


def test_verify_function_pairs_and_an_unfilled_exercise(cache, tmp_path):
    path = tmp_path / "layers_cs231n.py"
    path.write_text(CS231N_PAIRS)
    result = run_cli("verify", str(path), "--json", "--seed", "6", cache_dir=cache)
    assert result.returncode == 1, describe(result)
    by_op = {entry["op"]: entry for entry in _verify_json(result)["results"]}
    assert by_op["affine_rows"]["status"] == "pass", by_op["affine_rows"]
    relu = by_op["relu"]
    assert relu["status"] in ("fail", "error")
    assert "not implemented" in json.dumps(relu["checks"]), relu["checks"]


def test_verify_mutated_dout_is_a_warning_unless_strict(cache, tmp_path):
    path = tmp_path / "inplace.py"
    path.write_text(INPLACE_DOUT_TANH)
    lenient = run_cli("verify", f"{path}:Tanh", "--json", "--seed", "1", cache_dir=cache)
    (entry,) = _verify_json(lenient)["results"]
    statuses = {c["name"]: c["status"] for c in entry["checks"]}
    assert statuses["side_effects"] == "warn", statuses
    assert lenient.returncode == 0, statuses
    strict = run_cli("verify", f"{path}:Tanh", "--strict", "--seed", "1", cache_dir=cache)
    assert strict.returncode == 1


# --------------------------------------------------------------------------- derive report

def test_report_md_and_tex_write_one_file_each(cache, tmp_path):
    md = run_cli("report", "sigmoid", "--format", "md", "--out", str(tmp_path / "md"),
                 cache_dir=cache)
    assert md.returncode == 0, describe(md)
    (written,) = list((tmp_path / "md").iterdir())
    assert written.suffix == ".md" and "sigmoid" in written.read_text().lower()
    assert written.name in md.stdout
    results = run_batch([
        ["report", "affine", "--format", "tex", "--out", str(tmp_path / "tex")],
        ["report", "--formula", "x*tanh(softplus(x))", "--format", "md", "--out",
         str(tmp_path / "f")],
    ], tmp_path / "batch", cache_dir=cache)
    for result in results:
        assert result["code"] == 0, describe(result)
    (tex,) = list((tmp_path / "tex").iterdir())
    assert tex.suffix == ".tex" and r"\begin{document}" in tex.read_text()
    (formula,) = list((tmp_path / "f").iterdir())
    assert formula.suffix == ".md" and "tanh" in formula.read_text()


# ------------------------------------------------------------------------------ derive new

def test_new_writes_layer_report_and_verification(cache, tmp_path):
    out = tmp_path / "generated"
    result = run_cli("new", "mish", "--formula", "x*tanh(softplus(x))", "--format", "md",
                     "--out", str(out), cache_dir=cache)
    assert result.returncode == 0, describe(result)
    assert sorted(p.name for p in out.iterdir()) == ["mish.md", "mish.py", "mish.verify.json"]
    verdict = json.loads((out / "mish.verify.json").read_text())
    assert verdict["results"] and all(r["status"] == "pass" for r in verdict["results"])
    script = textwrap.dedent("""
        import json, runpy, sys
        import numpy as np
        namespace = runpy.run_path(sys.argv[1])
        layer = namespace["Mish"]()
        x = np.array([-1.5, 0.3, 2.0])
        out = layer.forward(x.copy())
        dx = layer.backward(np.ones_like(x))
        print(json.dumps({"out": out.tolist(), "dx": dx.tolist(),
                          "derive": any(m.split(".")[0] == "derive" for m in sys.modules)}))
    """)
    run = subprocess.run([sys.executable, "-c", script, str(out / "mish.py")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    values = json.loads(run.stdout)
    assert not values["derive"], "the generated layer imports derive"
    x = np.array([-1.5, 0.3, 2.0])
    def mish(v):
        return v * np.tanh(np.log1p(np.exp(v)))

    assert np.allclose(values["out"], mish(x))
    assert np.allclose(values["dx"], (mish(x + 1e-6) - mish(x - 1e-6)) / 2e-6, atol=1e-6)
    again = run_cli("verify", f"{out / 'mish.py'}:Mish", "--json", "--seed", "4",
                    cache_dir=cache)
    assert again.returncode == 0, describe(again)


# ---------------------------------------------------------------------------- derive graph

def _numbers(text: str) -> set:
    import re

    return {round(float(n), 6) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)}


def test_graph_supermarket_apples(cache):
    """The tutorial: 2 apples at 100 yen, tax 1.1 -> 220; d/dprice 2.2, d/dn 110, d/dtax 200."""
    result = run_cli("graph", "price*n*tax", "--at", "price=100,n=2,tax=1.1",
                     cache_dir=cache)
    assert result.returncode == 0, describe(result)
    assert {220.0, 2.2, 110.0, 200.0} <= _numbers(result.stdout), result.stdout


def test_formulas_starting_with_minus_are_values_not_options(workdir):
    """`--formula "-sum(...)"` and `derive graph "-x*y"`: a leading minus is not an option."""
    show, graph = run_batch([
        ["show", "--formula", "-sum(t*log(sigmoid(x)))", "--const", "t", "--json"],
        ["graph", "-x*y", "--at", "x=2,y=3"],
    ], workdir / "minus")
    assert show["code"] == 0, describe(show)
    assert json.loads(show["stdout"])["constants"] == ["t"]
    assert graph["code"] == 0, describe(graph)
    assert {-6.0, -3.0, -2.0} <= _numbers(graph["stdout"]), graph["stdout"]


def test_graph_supermarket_apples_and_oranges(workdir):
    """(2 apples at 100 + 3 oranges at 150) x 1.1 = 715; d/dtax 650, d/dorange 3.3,
    d/dorange count 165, d/dapple 2.2, d/dapple count 110."""
    result = run_batch([["graph", "(apple*na + orange*no)*tax",
                         "--at", "apple=100,na=2,orange=150,no=3,tax=1.1"]],
                       workdir / "graph")[0]
    assert result["code"] == 0, describe(result)
    assert {715.0, 650.0, 3.3, 165.0, 2.2, 110.0} <= _numbers(result["stdout"]), result["stdout"]
