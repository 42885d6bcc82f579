"""derive never loses a user's file: markers, --force, and all-or-nothing output folders.

Failures are real where the machine allows it: a file-size limit (RLIMIT_FSIZE) in a
subprocess, a full disk (a tiny tmpfs, when the suite runs as root), a read-only folder (a
read-only tmpfs as root, else chmod 555).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_harness import REPO, cli_env

from derive.cli import main
from derive.outputs import is_derives_own, stamped

ROOT = os.getuid() == 0


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict:
    """Every entry under `folder` (hidden ones too) with its bytes, or its link target."""
    result = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            result[key] = ("link", os.readlink(path))
        elif path.is_file():
            result[key] = path.read_bytes()
        else:
            result[key] = "folder"
    return result


def limited_cli(argv, cache, fsize_bytes, cwd=REPO):
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, "
              f"({fsize_bytes}, {fsize_bytes})); sys.argv = ['derive', *sys.argv[1:]];"
              "from derive.cli import main; raise SystemExit(main())")
    return subprocess.run([sys.executable, "-c", script, *argv], cwd=cwd, env=cli_env(cache),
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("name", ["a.py", "a.md", "a.tex", "a.verify.json", "a.pdf"])
def test_a_stamped_file_is_recognised_until_it_is_edited(name):
    data = b'{\n  "x": 1\n}\n' if name.endswith(".json") else b"%PDF-1.5\nbody\n%%EOF\n"
    mine = stamped(name, data)
    assert is_derives_own(mine) and not is_derives_own(data)
    assert not is_derives_own(mine.replace(b"body", b"bodY").replace(b'"x": 1', b'"x": 2'))


def test_report_refuses_a_users_file_and_force_replaces_it(tmp_path):
    users = tmp_path / "sigmoid.md"
    users.write_text("my own notes\n")
    code, _, err = run("report", "sigmoid", "mul", "--format", "md", "--out", str(tmp_path))
    assert code == 2 and err.count("\n") == 1
    assert str(users) in err and "--force" in err
    assert users.read_text() == "my own notes\n" and not (tmp_path / "mul.md").exists()
    code, _, err = run("report", "sigmoid", "--format", "md", "--out", str(tmp_path), "--force")
    assert code == 0 and is_derives_own(users.read_bytes())


def test_a_rerun_replaces_derives_own_file_but_not_an_edited_one(tmp_path):
    argv = ["new", "sq", "--formula", "x**2", "--format", "md", "--out", str(tmp_path)]
    assert run(*argv)[0] == 0
    assert run(*argv)[0] == 0  # unchanged files derive wrote: replaced
    layer = tmp_path / "sq.py"
    layer.write_text(layer.read_text() + "# my change\n")
    before = snapshot(tmp_path)
    code, _, err = run(*argv)
    assert code == 2 and str(layer) in err and "edited" in err
    assert snapshot(tmp_path) == before
    assert run(*argv, "--force")[0] == 0 and "# my change" not in layer.read_text()


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo"])
def test_an_odd_target_is_refused_with_its_path(tmp_path, kind):
    target = tmp_path / "sq.md"
    if kind == "symlink":
        (tmp_path / "elsewhere").write_text("keep")
        target.symlink_to(tmp_path / "elsewhere")
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    before = snapshot(tmp_path)
    code, _, err = run("new", "sq", "--formula", "x**2", "--format", "md", "--out", str(tmp_path))
    assert code == 2 and str(target) in err and err.count("\n") == 1
    assert snapshot(tmp_path) == before


def test_formula_reports_are_named_after_the_formula_or_name(tmp_path):
    for formula in ("x*tanh(x)", "x/tanh(x)", "x*tanh(x)"):
        assert run("report", "--formula", formula, "--format", "md", "--out", str(tmp_path))[0] == 0
    assert run("report", "--formula", "x**3", "--name", "cube", "--format", "md", "--out",
               str(tmp_path))[0] == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and "cube.md" in names
    assert all(n.startswith("x_tanh_x-") for n in names if n != "cube.md")
    code, _, err = run("report", "--formula", "x", "--name", "../up", "--out", str(tmp_path))
    assert code == 2 and "--name ../up" in err


def _populated(folder: Path) -> dict:
    folder.mkdir(exist_ok=True)
    (folder / "notes.txt").write_text("the user's notes\n")
    (folder / "sigmoid.md").write_bytes(stamped("sigmoid.md", b"# an older report\n"))
    return snapshot(folder)


def test_a_file_size_limit_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    before = _populated(out)
    done = limited_cli(["report", "--all", "--format", "md", "--out", str(out)],
                       tmp_path / "cache", 12_000)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "File too large" in done.stderr
    assert str(out) in done.stderr and "staging" not in done.stderr
    assert snapshot(out) == before


def test_new_under_a_file_size_limit_leaves_no_file(tmp_path):
    out = tmp_path / "out"
    before = _populated(out)
    done = limited_cli(["new", "mish", "--formula", "x*tanh(softplus(x))", "--format", "md",
                        "--out", str(out)], tmp_path / "cache", 5_000)
    assert done.returncode == 2 and "File too large" in done.stderr, done.stderr
    assert "staging" not in done.stderr and str(out) in done.stderr
    assert snapshot(out) == before


def test_a_full_disk_names_the_real_path(tmp_path, monkeypatch):
    """The disk fills while the fifth document is written (os.write fails with ENOSPC)."""
    import errno

    import reports.build

    real = reports.build.write_atomic

    def full_at_relu(path, data):
        if Path(path).name == "relu.md":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(reports.build, "write_atomic", full_at_relu)
    monkeypatch.setattr("reports.write.write_atomic", full_at_relu)
    out = tmp_path / "out"
    before = _populated(out)
    code, _, err = run("report", "--all", "--format", "md", "--out", str(out))
    assert code == 2 and err.count("\n") == 1
    assert f"cannot write {out / 'relu.md'}: No space left on device" in err
    assert snapshot(out) == before


if ROOT:  # filling a real disk needs a mount (root); otherwise the test above stands in
    @pytest.fixture
    def small_disk(tmp_path):
        """A 600 KB tmpfs."""
        folder = tmp_path / "disk"
        folder.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(folder)],
                       check=True)
        yield folder
        subprocess.run(["umount", str(folder)], check=False)

    @pytest.mark.parametrize("fmt", ["md", "tex"])
    def test_a_really_full_disk_leaves_the_folder_as_it_was(small_disk, tmp_path, fmt):
        _populated(small_disk)
        (small_disk / "filler").write_bytes(b"x" * 520_000)
        before = snapshot(small_disk)
        done = subprocess.run([sys.executable, "-m", "derive", "report", "--all", "--format",
                               fmt, "--out", str(small_disk)], cwd=REPO,
                              env=cli_env(tmp_path / "cache"), capture_output=True, text=True,
                              timeout=900, check=False)
        assert done.returncode == 2, done.stderr
        assert "No space left on device" in done.stderr and str(small_disk) in done.stderr
        assert "staging" not in done.stderr
        assert snapshot(small_disk) == before


@pytest.fixture
def read_only(tmp_path):
    """A read-only folder: a read-only tmpfs as root (root ignores permissions), else 0555."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if ROOT:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                       check=True)
    else:
        folder.chmod(0o555)
    yield folder
    if ROOT:
        subprocess.run(["umount", str(folder)], check=False)
    else:
        folder.chmod(0o755)


@pytest.mark.parametrize("argv", [["report", "sigmoid", "--format", "md"],
                                  ["new", "sq", "--formula", "x**2", "--format", "md"],
                                  ["graph", "x*y", "--at", "x=1,y=2", "--format", "tex"]])
def test_a_read_only_out_names_the_real_folder(read_only, argv):
    code, _, err = run(*argv, "--out", str(read_only))
    assert code == 2 and err.count("\n") == 1, err
    assert str(read_only) in err and "staging" not in err and "tmp" not in err.replace(
        str(read_only), "")
    assert list(read_only.iterdir()) == []


def test_dev_null_and_a_dangling_link_as_out(tmp_path):
    code, _, err = run("report", "sigmoid", "--format", "md", "--out", "/dev/null")
    assert code == 2 and "--out /dev/null: a device, not a folder" in err
    link = tmp_path / "gone"
    link.symlink_to(tmp_path / "missing")
    code, _, err = run("new", "sq", "--formula", "x**2", "--out", str(link))
    assert code == 2 and "symbolic link" in err and "does not exist" in err
    assert "File exists" not in err


def test_a_stale_staging_folder_of_a_killed_run_is_removed(tmp_path):
    stale = tmp_path / ".derive-staging-999999999-abc"
    stale.mkdir()
    (stale / "half.md").write_text("half")
    assert run("report", "sigmoid", "--format", "md", "--out", str(tmp_path))[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sigmoid.md"]


def test_a_failed_move_puts_derives_older_files_back_byte_for_byte(tmp_path, monkeypatch):
    argv = ["new", "sq", "--formula", "x**2", "--format", "md", "--out", str(tmp_path)]
    assert run(*argv)[0] == 0
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    real, calls = os.replace, []

    def fails_on_the_third_file(src, dst, *args, **kwargs):
        if Path(dst) == tmp_path / "sq.verify.json" and not calls:
            calls.append(dst)  # the new file cannot be moved in (once: putting back works)
            raise OSError(5, "Input/output error", str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", fails_on_the_third_file)
    code, _, err = run(*argv[:-2], "--seed", "1", "--out", str(tmp_path))
    assert code == 2 and "Input/output error" in err and str(tmp_path / "sq.verify.json") in err
    assert snapshot(tmp_path) == before
