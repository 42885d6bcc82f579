"""The derivation cache cannot run code, lives in a private folder and ignores anything odd.

Attacks are planted for real (a pickle that would run a command, a JSON entry whose expression
text calls os.system, a folder owned by another user, a FIFO, a symlink, a swapped entry) and
the real command line is run against them.
"""

from __future__ import annotations

import json
import os
import pickle
import stat
import subprocess
import sys

import pytest
import sympy as sp
from cli_harness import REPO, cli_env, run_cli

from derive.cache_format import decode, encode
from derive.srepr_reader import UnsafeExpression, read_srepr, write_srepr

OTHER_UID = 65534  # nobody
SIGMOID = "1/(1 + exp(-x))"


def entries(folder):
    return sorted(p.name for p in folder.iterdir())


def sigmoid_entry(cache):
    """The file name of `derive show sigmoid`'s entry (the only one in a fresh folder)."""
    assert run_cli("show", "sigmoid", cache_dir=cache).returncode == 0
    (name,) = entries(cache)
    return name


def show_json(op, cache, timeout=120):
    done = run_cli("show", op, "--json", cache_dir=cache, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class _Boom:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_is_never_read(tmp_path):
    cache = tmp_path / "cache"
    name = sigmoid_entry(cache)
    marker = tmp_path / "pwned"
    boom = _Boom()
    boom.marker = marker
    for planted in (name, name.replace(".json", ".pickle")):
        (cache / planted).write_bytes(pickle.dumps(boom))
    assert show_json("sigmoid", cache)["name"] == "sigmoid"
    assert not marker.exists()


def test_an_entry_whose_expression_text_calls_code_is_ignored(tmp_path):
    cache = tmp_path / "cache"
    name = sigmoid_entry(cache)
    marker = tmp_path / "pwned"
    data = json.loads((cache / name).read_text())
    text = json.dumps(data)
    attack = f"__import__('os').system('touch {marker}')"
    for payload in (attack, f"sin({json.dumps(attack)})",
                    f"Symbol({json.dumps(attack)}).__class__"):
        planted = text.replace('"Symbol(\'x\', real=True)"', json.dumps(payload), 1)
        assert planted != text
        (cache / name).write_text(planted)
        assert show_json("sigmoid", cache)["formula"] == SIGMOID
        assert not marker.exists()


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "sin('x')",                                 # Function() would sympify (eval) the string
    "Symbol('x').func",
    "Add(1, 2)",                                # raw numbers only in the leaf classes
    "Lambda(Symbol('x'), 'x')",
    "Function('f')(Symbol('x'))",
    "Integer(1) + Integer(2)",
    "Float('1e5; import os')",
    "Symbol('x', real=[1])",
    "eval('1')",
])
def test_the_reader_builds_only_whitelisted_classes_from_objects(text):
    with pytest.raises(UnsafeExpression):
        read_srepr(text)


def test_the_reader_reads_back_what_it_writes():
    x, y = sp.symbols("x y", real=True)
    W = sp.MatrixSymbol("W", 3, 2)
    for expr in (sp.exp(-x) / (1 + sp.exp(-x)), sp.Piecewise((x, x > 0), (0, True)),
                 sp.Rational(-3, 7) * x**y + sp.Float("0.125") + sp.pi, W.T @ W + W.T @ W,
                 sp.Dummy("a0", real=True) * x):
        assert read_srepr(write_srepr(expr)) == expr
    data = encode({"t": (1, 2.5, None, [x]), 3: "s"})
    assert json.loads(json.dumps(data)) == data
    assert decode(data) == {"t": (1, 2.5, None, [x]), 3: "s"}


@pytest.mark.parametrize("data", [
    {"object": ["os:system", {}]},
    {"object": ["derive.__main__:main", {}]},
    {"object": ["derive.errors:DeriveError", {}]},
    {"object": ["derive.derivation:Derivation", {"__class__": 1}]},
    {"enum": ["subprocess:Popen", "x"]},
    {"ndarray": ["O", [1]]},
    {"list": [1], "extra": 2},
])
def test_cache_data_names_only_derive_classes(data):
    with pytest.raises((ValueError, TypeError, AttributeError, KeyError)):
        decode(data)


def test_the_folder_is_created_private_under_umask_000(tmp_path):
    cache = tmp_path / "deep" / "cache"
    script = ("import os, sys; os.umask(0); sys.argv = ['derive', 'show', 'sigmoid'];"
              "from derive.cli import main; raise SystemExit(main())")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=cli_env(cache),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for folder in (cache, cache.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for entry in cache.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_the_users_own_open_folder_is_made_private(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    show_json("sigmoid", cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def _folder_of_another_user(tmp_path):
    if os.getuid() == 0:
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(0o1777)
        os.chown(shared, OTHER_UID, OTHER_UID)
        return shared
    return "/tmp"  # owned by root, writable by all


def test_a_folder_owned_by_another_user_is_not_used(tmp_path):
    shared = _folder_of_another_user(tmp_path)
    before = set(os.listdir(shared))
    assert show_json("sigmoid", shared)["name"] == "sigmoid"
    assert set(os.listdir(shared)) == before


def test_a_symlinked_cache_folder_is_not_followed(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    assert show_json("sigmoid", link)["name"] == "sigmoid"
    assert entries(real) == []


def test_a_swapped_entry_is_not_believed(tmp_path):
    cache = tmp_path / "cache"
    sigmoid = sigmoid_entry(cache)
    tanh_cache = tmp_path / "tanh"
    show_json("tanh", tanh_cache)
    (tanh_name,) = entries(tanh_cache)
    (cache / sigmoid).write_bytes((tanh_cache / tanh_name).read_bytes())
    shown = show_json("sigmoid", cache)
    assert (shown["name"], shown["formula"]) == ("sigmoid", SIGMOID)


ODD = ["fifo", "symlink", "garbage", "folder", "deep_json", "truncated"]


@pytest.mark.parametrize("odd", ODD + (["other_owner"] if os.getuid() == 0 else []))
def test_an_odd_entry_is_ignored_and_derived_again(tmp_path, odd):
    cache = tmp_path / "cache"
    name = sigmoid_entry(cache)
    entry = cache / name
    good = entry.read_bytes()
    entry.unlink()
    if odd == "fifo":
        os.mkfifo(entry)
    elif odd == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(good)
        entry.symlink_to(target)
    elif odd == "garbage":
        entry.write_bytes(b"\x80\x04garbage{")
    elif odd == "folder":
        entry.mkdir()
    elif odd == "other_owner":
        entry.write_bytes(good)
        os.chown(entry, OTHER_UID, OTHER_UID)
    elif odd == "deep_json":
        entry.write_text("[" * 100000 + "]" * 100000)
    elif odd == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    assert show_json("sigmoid", cache, timeout=60)["formula"] == SIGMOID
    leftovers = [n for n in entries(cache) if n != name]
    assert leftovers == []


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) makes every cache write fail: the command still works."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000));"
              "sys.argv = ['derive', 'show', 'sigmoid', '--json'];"
              "from derive.cli import main; raise SystemExit(main())")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=cli_env(cache),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "sigmoid"
    assert entries(cache) == []


def test_a_second_run_reads_the_entry(tmp_path):
    cache = tmp_path / "cache"
    first = show_json("affine", cache)
    (name,) = entries(cache)
    assert json.loads((cache / name).read_text())["format"].startswith("derive-cache")
    assert show_json("affine", cache) == first
