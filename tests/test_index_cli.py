"""Index formulas through `derive new` and `derive verify --formula/--latex`: a generated layer
class that passes in a fresh process, and hand-written layers (cs231n function pairs, the book's
classes) judged against a typed index formula, right ones passing and wrong ones failing with
the slip named."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_harness import run_batch

ZOO = Path(__file__).parent / "zoo"
CONV = ("xp = pad(x, pad); out[n,f,i,j] = sum(w[f,c,p,q]*xp[n,c,stride*i+p,stride*j+q], "
        "c, p, q) + b[f]")
CONV_SHAPES = ["--shape", "x=N,C,H,W", "--shape", "w=F,C,HH,WW", "--shape", "b=F"]
CONV_LATEX = (r"\begin{aligned} xp &= \mathrm{pad}(x, pad) \\ out_{n,f,i,j} &= "
              r"\sum_{c,p,q} w_{f,c,p,q}\, xp_{n,c,s i+p,s j+q} + b_f \end{aligned}")
POOL = ("out[n,c,i,j] = max(x[n,c,stride*i+p,stride*j+q], p < pool_height, "
        "q < pool_width)")


def _verify(batch_dir, *argv):
    result = run_batch([["verify", *argv, "--json", "--seed", "5"]], batch_dir)[0]
    return result["code"], json.loads(result["stdout"])["results"]


def _fresh(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "derive", *argv], capture_output=True,
                          text=True, timeout=300, cwd=cwd, check=False)


def test_verify_formula_passes_cs231n_conv_and_pool_pairs(tmp_path):
    code, results = _verify(tmp_path, f"{ZOO / 'cs231n_cnn.py'}:conv_forward_naive",
                            "--formula", CONV, *CONV_SHAPES, "--const", "stride",
                            "--const", "pad")
    assert code == 0 and [r["status"] for r in results] == ["pass"]
    code, results = _verify(tmp_path, f"{ZOO / 'cs231n_cnn.py'}:max_pool_forward_naive",
                            "--formula", POOL, "--shape", "x=N,C,H,W", "--const", "stride",
                            "--const", "pool_height", "--const", "pool_width")
    assert code == 0 and [r["status"] for r in results] == ["pass"]


@pytest.mark.parametrize("target, words", [
    ("conv_forward_unflipped", "unflipped"),
    ("conv_forward_stride1", "stride"),
    ("conv_forward_uncropped", "not cropped"),
])
def test_verify_formula_fails_wrong_conv_backward_naming_the_slip(tmp_path, target, words):
    code, results = _verify(tmp_path, f"{ZOO / 'buggy_tensors.py'}:{target}",
                            "--formula", CONV, *CONV_SHAPES, "--const", "stride",
                            "--const", "pad")
    assert code == 1 and results[0]["status"] == "fail"
    backward = next(c for c in results[0]["checks"] if c["name"] == "backward")
    assert backward["status"] == "fail" and words in backward["message"]


def test_verify_formula_fails_pooling_that_routes_to_every_element(tmp_path):
    code, results = _verify(tmp_path, f"{ZOO / 'buggy_tensors.py'}:max_pool_forward_every",
                            "--formula", POOL, "--shape", "x=N,C,H,W", "--const", "stride",
                            "--const", "pool_height", "--const", "pool_width")
    assert code == 1 and results[0]["status"] == "fail"
    assert "every" in json.dumps(results[0]) or "arg-max" in json.dumps(results[0])


def test_verify_latex_index_formula_judges_the_book_convolution(tmp_path):
    code, results = _verify(tmp_path, f"{ZOO / 'book_cnn.py'}:Convolution", "--latex",
                            CONV_LATEX.replace("s i", "stride i").replace("s j", "stride j"),
                            *CONV_SHAPES, "--const", "stride", "--const", "pad")
    assert code == 0 and [r["status"] for r in results] == ["pass"]


def test_new_writes_a_conv_layer_that_passes_verify_in_a_fresh_process(tmp_path):
    out = tmp_path / "build"
    made = _fresh("new", "myconv", "--latex", CONV_LATEX, *CONV_SHAPES, "--const", "s=2",
                  "--const", "pad=1", "--param", "w", "--param", "b", "--format", "md",
                  "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in out.iterdir()) == ["myconv.md", "myconv.py",
                                                    "myconv.verify.json"]
    source = (out / "myconv.py").read_text()
    assert "import derive" not in source and "def __init__(self, w, b, pad=1, s=2):" in source
    assert [r["status"] for r in json.loads((out / "myconv.verify.json").read_text())["results"]] == ["pass"]
    again = _fresh("verify", str(out / "myconv.py"), "--seed", "11")
    assert again.returncode == 0 and "verified against its formula attribute" in again.stdout

    # the class used as a person would: the book's protocol, its numbers checked by hand
    check = (
        "import numpy as np, sys; sys.path.insert(0, sys.argv[1]); from myconv import Myconv\n"
        "rng = np.random.default_rng(0); x = rng.normal(size=(2, 3, 5, 5))\n"
        "w = rng.normal(size=(4, 3, 3, 3)); b = rng.normal(size=4)\n"
        "layer = Myconv(w, b); out = layer.forward(x); assert out.shape == (2, 4, 3, 3)\n"
        "xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))\n"
        "want = np.einsum('ncij,fcij->nf', xp[:, :, 2:5, 0:3], w) + b\n"
        "assert np.allclose(out[:, :, 1, 0], want)\n"
        "dx = layer.backward(np.ones_like(out)); assert dx.shape == x.shape\n"
        "assert layer.dw.shape == w.shape and np.allclose(layer.db, 18)\n")
    ran = subprocess.run([sys.executable, "-c", check, str(out)], capture_output=True,
                         text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr


def test_an_edited_wrong_generated_layer_fails_verify(tmp_path):
    out = tmp_path / "build"
    made = _fresh("new", "dil", "--formula", "out[n,f,i] = sum(w[f,c,k]*x[n,c,3*i+2*k], c, k)",
                  "--shape", "x=N,C,L", "--shape", "w=F,C,K", "--format", "md",
                  "--out", str(out))
    assert made.returncode == 0, made.stderr
    path = out / "dil.py"
    source = path.read_text()
    wrong = source.replace('return grads["w"], grads["x"]',
                           'return grads["w"], 2 * grads["x"]')
    assert wrong != source
    path.write_text(wrong)
    again = _fresh("verify", str(path), "--seed", "3")
    assert again.returncode == 1 and "fail" in again.stdout


def test_new_bad_index_formula_is_refused_in_one_line_without_files(tmp_path):
    made = _fresh("new", "bad", "--formula", "out[n,i] = sum(w[k]*z[n,i+k], k)",
                  "--shape", "w=K", "--out", str(tmp_path / "o"))
    assert made.returncode == 2 and "tensor 'z' has no shape" in made.stderr
    assert len(made.stderr.strip().splitlines()) == 1 and "Traceback" not in made.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_new_add_to_writes_an_index_entry_that_the_catalog_reads_back(tmp_path):
    made = _fresh("new", "dil3", "--formula", "out[n,f,i] = sum(w[f,c,k]*x[n,c,s*i+2*k], c, k)",
                  "--shape", "x=N,C,L", "--shape", "w=F,C,K", "--const", "s=3", "--format",
                  "md", "--out", "b", "--add-to", "ops.toml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    entry = (tmp_path / "ops.toml").read_text()
    assert 'formula = "out[n,f,i] = sum(w[f,c,k]*x[n,c,i*s + 2*k], c, k)"' in entry
    again = _fresh("verify", "b/dil3.py", "--op", "dil3", "--catalog", "ops.toml", "--json",
                   "--seed", "4", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [r["status"] for r in json.loads(again.stdout)["results"]] == ["pass"]
