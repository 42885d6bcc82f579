"""Run the real `derive` command line from the outside, and check what it prints.

`run_cli` starts `python -m derive ...` in a subprocess. `run_batch` runs many command lines in
ONE subprocess (each through `derive.cli.main`, which is all `python -m derive` does) so that
tables of dozens of cases stay fast; a Python exception escaping `main` is recorded as the
traceback the real command would print. `check_sources` execs the generated forward/backward
source in a fresh namespace and compares backward with central finite differences, knowing
nothing of derive beyond the `derive show --json` document.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

_BATCH_DRIVER = textwrap.dedent("""
    import contextlib, io, json, sys, time, traceback
    from derive.cli import main
    cases = json.load(open(sys.argv[1]))
    results = []
    for argv in cases:
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
            except BaseException:
                traceback.print_exc()
                code = "uncaught exception"
        results.append({"argv": argv, "code": code, "stdout": out.getvalue(),
                        "stderr": err.getvalue(), "seconds": time.perf_counter() - start})
    json.dump(results, open(sys.argv[2], "w"))
""")


def cli_env(cache_dir) -> dict:
    env = dict(os.environ, DERIVE_CACHE_DIR=str(cache_dir))
    for name in ("DERIVE_NO_CACHE", "DERIVE_DEBUG", "PYTHONWARNINGS"):
        env.pop(name, None)
    return env


def run_cli(*argv, cache_dir, cwd=REPO, timeout=120) -> subprocess.CompletedProcess:
    """`python -m derive *argv` in a subprocess, with its own cache folder."""
    return subprocess.run([sys.executable, "-m", "derive", *argv], cwd=cwd, env=cli_env(cache_dir),
                          capture_output=True, text=True, timeout=timeout, check=False)


def run_batch(cases: list[list[str]], workdir: Path, cwd=REPO, timeout=300,
              processes=1, cache_dir=None) -> list[dict]:
    """Each argv of `cases` through derive's CLI, in `processes` subprocesses running side by
    side (sharing one cache folder, by default workdir/cache); one result dict (argv, code,
    stdout, stderr) per case, in order."""
    workdir.mkdir(parents=True, exist_ok=True)
    chunks = [cases[i::processes] for i in range(processes)]
    running = []
    for i, chunk in enumerate(chunks):
        cases_file, results_file = workdir / f"cases{i}.json", workdir / f"results{i}.json"
        cases_file.write_text(json.dumps(chunk))
        results_file.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", _BATCH_DRIVER, str(cases_file),
                                 str(results_file)], cwd=cwd, env=cli_env(cache_dir or workdir / "cache"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running.append((proc, results_file))
    results = []
    for proc, results_file in running:
        _, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0 and results_file.exists(), (
            f"the batch of CLI runs itself crashed (exit {proc.returncode}):\n{err[-3000:]}")
        results.append(json.loads(results_file.read_text()))
    merged = [None] * len(cases)
    for i, chunk_results in enumerate(results):
        merged[i::processes] = chunk_results
    return merged


def describe(result) -> str:
    code = result["code"] if isinstance(result, dict) else result.returncode
    out = result["stdout"] if isinstance(result, dict) else result.stdout
    err = result["stderr"] if isinstance(result, dict) else result.stderr
    return f"exit {code}\n--- stderr ---\n{err[-2000:]}\n--- stdout ---\n{out[-1000:]}"


def assert_usage_error(result, label="") -> str:
    """Exit code 2, exactly one non-empty line on stderr, no traceback anywhere; the line."""
    code = result["code"] if isinstance(result, dict) else result.returncode
    out = result["stdout"] if isinstance(result, dict) else result.stdout
    err = result["stderr"] if isinstance(result, dict) else result.stderr
    where = f"{label}: " if label else ""
    assert "Traceback" not in out + err, f"{where}a traceback reached the user\n{describe(result)}"
    assert code == 2, f"{where}expected exit code 2 for bad input\n{describe(result)}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].strip(), (
        f"{where}expected exactly one line on stderr, got {len(lines)}\n{describe(result)}")
    return lines[0]


# ---------------------------------------------------------------- the generated code, alone

def load_pair(doc: dict):
    """forward and backward from the document's sources, each exec'd in a fresh namespace."""
    forward_ns: dict = {"__name__": "generated_forward"}
    backward_ns: dict = {"__name__": "generated_backward"}
    exec(compile(doc["forward_source"], "<forward_source>", "exec"), forward_ns)  # noqa: S102
    exec(compile(doc["backward_source"], "<backward_source>", "exec"), backward_ns)  # noqa: S102
    assert callable(forward_ns.get("forward")), "forward_source defines no forward()"
    assert callable(backward_ns.get("backward")), "backward_source defines no backward()"
    return forward_ns["forward"], backward_ns["backward"]


def _forward_saved(doc: dict):
    """forward_saved from the document's forward_source: (out, {kept name: value})."""
    namespace: dict = {"__name__": "generated_forward"}
    exec(compile(doc["forward_source"], "<forward_source>", "exec"), namespace)  # noqa: S102
    assert callable(namespace.get("forward_saved")), "forward_source defines no forward_saved()"
    return namespace["forward_saved"]


def saved_names(doc: dict) -> set:
    """Names the saved forms use beyond dout, the inputs and the constants (such as out)."""
    dims = {str(d) for shape in doc.get("shapes", {}).values() for d in shape}
    known = {"dout", "pi", *doc["inputs"], *doc["constants"], *dims}  # N in 1/N*sum(...)
    names = set()
    for form in doc["saved_form"].values():
        if form is not None:
            names |= {m for m in re.findall(r"(?<![\w.])[A-Za-z_]\w*(?!\w*\s*\()", form)
                      if m not in known}
    return names - {"T", "axis", "keepdims"}


def _sizes(doc: dict, rng, equal: bool) -> dict:
    symbols = sorted({d for dims in doc["shapes"].values() for d in dims if not d.isdigit()})
    if equal:
        return {s: 3 for s in symbols}
    pool = list(rng.permutation([2, 3, 4, 5]))
    return {s: int(pool[i]) if i < len(pool) else int(rng.integers(2, 5))
            for i, s in enumerate(symbols)}


def _constant_value(shape, rng, stochastic: bool):
    if stochastic and len(shape) == 2 and shape[0] == shape[1]:
        return np.eye(shape[0])[rng.permutation(shape[0])]  # every row and column sums to 1
    return rng.uniform(0.1, 1.0, size=shape)


def sample_values(doc: dict, rng, magnitude=(0.3, 2.0), signed=True) -> dict:
    """Random float64 values for every input and constant, shaped as the document declares
    (symbolic dimensions get small random sizes; unshaped names are scalars in a matrix
    formula and vectors of 5 in an elementwise one)."""
    stochastic = bool(doc.get("assumptions"))
    sizes = _sizes(doc, rng, equal=stochastic)
    values = {}
    if doc.get("example"):  # an index operator names a valid point: its shapes and integers
        values.update(doc["example"]["constants"])
        doc = {**doc, "shapes": {n: [str(d) for d in dims]
                                 for n, dims in doc["example"]["shapes"].items()}}
    for name in [*doc["inputs"], *doc["constants"]]:
        if name in values:
            continue
        dims = doc["shapes"].get(name)
        # an unshaped name is a scalar in a matrix formula (eps), a vector of 5 otherwise
        unshaped = () if doc["shapes"] else (5,)
        shape = tuple(int(d) if d.isdigit() else sizes[d] for d in dims) if dims else unshaped
        if name in doc["constants"]:
            values[name] = _constant_value(shape, rng, stochastic)
            continue
        value = rng.uniform(*magnitude, size=shape)
        values[name] = value * rng.choice([-1.0, 1.0], size=shape) if signed else value
    return values


SAMPLINGS = (((0.3, 2.0), True), ((0.3, 2.0), False), ((0.2, 0.9), False))


def finite_point(doc: dict, forward, rng) -> dict:
    """Values at which forward is finite: signed first, then positive (log, sqrt, x**y)."""
    for magnitude, signed in SAMPLINGS:
        values = sample_values(doc, rng, magnitude, signed)
        with np.errstate(all="ignore"):
            outs = as_outputs(forward(**values))
        if all(np.all(np.isfinite(np.asarray(o, dtype=float))) for o in outs):
            return values
    raise AssertionError(f"forward of {doc['formula']} is not finite at any sampled point")


def as_outputs(result) -> tuple:
    """forward's result as a tuple: an operator with several outputs returns them in order."""
    return result if isinstance(result, tuple) else (result,)


def upstream_names(doc: dict) -> list:
    """dout, or d + each output's name for an operator with several `outputs` (DESIGN.md)."""
    outputs = doc.get("outputs") or ["out"]
    return ["dout"] if len(outputs) == 1 else ["d" + n for n in outputs]


def numerical_vjp(forward, values: dict, name: str, dout, h=1e-6):
    """Central differences of Σ sum(dout_k * out_k) with respect to `name`, entry by entry
    (`dout` a tuple with one upstream per output)."""
    dout = dout if isinstance(dout, tuple) else (dout,)
    point = {k: np.array(v, dtype=float) for k, v in values.items()}
    x = point[name]
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + h
        plus = sum(float(np.sum(d * o)) for d, o in zip(dout, as_outputs(forward(**point))))
        x[idx] = orig - h
        minus = sum(float(np.sum(d * o)) for d, o in zip(dout, as_outputs(forward(**point))))
        x[idx] = orig
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def check_sources(doc: dict, rng, points=2, tolerance=1e-5) -> float:
    """Check the document's forward/backward pair at random points; the worst relative error.

    backward must return every input, with the input's shape; agree with finite differences
    of forward; and give the same result when the saved values (out) are passed in.
    """
    forward, backward = load_pair(doc)
    kept = doc.get("kept", {})  # values forward keeps for backward: name -> definition
    extra = saved_names(doc) - set(doc.get("intermediates", {})) - set(kept)
    assert extra <= {"out"}, f"saved forms use values with no documented meaning: {extra}"
    assert set(kept) <= set(doc.get("saved_values", ())), "a kept value is not a saved value"
    forward_saved = _forward_saved(doc) if kept else None
    worst = 0.0
    for _ in range(points):
        values = finite_point(doc, forward, rng)
        out = forward(**values)
        dout = tuple(rng.standard_normal(np.shape(o)) for o in as_outputs(out))
        grads = backward(**dict(zip(upstream_names(doc), dout)), **values)
        assert isinstance(grads, dict), f"backward returned {type(grads).__name__}, not a dict"
        assert set(doc["inputs"]) <= set(grads), (
            f"backward returned {sorted(grads)}, missing {set(doc['inputs']) - set(grads)}")
        for name in doc["inputs"]:
            grad = np.asarray(grads[name])
            assert grad.shape == np.shape(values[name]), (
                f"gradient of {name} has shape {grad.shape}, {name} has {np.shape(values[name])}")
            numeric = numerical_vjp(forward, values, name, dout)
            scale = max(1.0, float(np.max(np.abs(numeric))))
            error = float(np.max(np.abs(grad - numeric))) / scale
            assert error < tolerance, (
                f"d/d{name} of {doc['formula']}: backward {grad.ravel()[:6]} vs finite "
                f"differences {numeric.ravel()[:6]} (relative error {error:.2e})")
            worst = max(worst, error)
        if extra or kept:
            given = {"out": out} if extra else {}
            if kept:
                saved_out, saved = forward_saved(**values)
                assert set(saved) == set(kept), f"forward_saved keeps {sorted(saved)}"
                assert np.allclose(saved_out, out, rtol=1e-12, atol=1e-300)
                given.update(saved)
            with_saved = backward(*dout, **values, **given)
            for name in doc["inputs"]:
                assert np.allclose(with_saved[name], grads[name], rtol=1e-7, atol=1e-9), (
                    f"d/d{name} with the saved values {sorted(given)} differs from the "
                    "recomputed one")
    return worst


def assert_contract_keys(doc: dict) -> None:
    """The keys `derive show --json` promises, with the types it promises."""
    for key in ("name", "formula", "inputs", "constants", "gradients", "saved_form",
                "forward_source", "backward_source", "steps"):
        assert key in doc, f"derive show --json has no '{key}'"
    assert isinstance(doc["formula"], str) and doc["formula"]
    assert isinstance(doc["inputs"], list) and doc["inputs"], "no inputs"
    assert isinstance(doc["constants"], list)
    assert not set(doc["inputs"]) & set(doc["constants"]), "a name is both input and constant"
    assert list(doc["gradients"]) == doc["inputs"], "gradients are not keyed by the inputs, in order"
    assert all(isinstance(g, str) and g for g in doc["gradients"].values())
    assert set(doc["saved_form"]) <= set(doc["inputs"])
    assert all(v is None or isinstance(v, str) for v in doc["saved_form"].values())
    assert isinstance(doc["steps"], list) and doc["steps"], "no steps"
    for step in doc["steps"]:
        for key in ("node", "rule", "local", "upstream", "downstream"):
            assert key in step, f"a step has no '{key}': {step}"
            assert isinstance(step[key], str) and step[key], f"step's '{key}' is empty: {step}"
    for key in ("forward_source", "backward_source"):
        assert "derive" not in re.findall(r"^\s*(?:import|from)\s+(\w+)", doc[key], re.MULTILINE), (
            f"{key} imports derive")
