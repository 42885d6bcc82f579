"""Children never outlive derive: `report --all` killed with SIGTERM, SIGINT or SIGKILL while
its workers compile PDFs leaves no process behind (workers, latexmk, pdflatex), releases the
caller's pipes, and (but for SIGKILL, whose leftovers the next run removes) no staging folder."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_harness import REPO, cli_env


def session_members(session: int) -> dict[int, str]:
    """pid -> command name of every process in `session`."""
    members = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z":
            members[int(stat.parent.name)] = name
    return members


def wait_for(condition, seconds: float):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


@pytest.mark.requires_tex
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_killing_report_all_leaves_no_process_and_frees_the_pipes(tmp_path, signum, tex):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", "report", "--all", "--format", "pdf", "--out", str(out)],
        cwd=REPO, env=cli_env(tmp_path / "cache"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        busy = wait_for(lambda: any(name.startswith(("pdflatex", "latexmk", "perl"))
                                    for name in session_members(process.pid).values()), 240)
        assert busy, f"no TeX process started: {session_members(process.pid)}"
        workers = [pid for pid in session_members(process.pid) if pid != process.pid]
        assert workers
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)  # returns once no process holds the pipes
        left = wait_for(lambda: not session_members(process.pid), 10)
        assert left, f"still running after {signum.name}: {session_members(process.pid)}"
    finally:
        if process.poll() is None:
            process.kill()
    if signum != signal.SIGKILL:
        assert process.returncode == 2 and b"interrupted" in err
        assert not out.exists() or list(out.iterdir()) == []
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".derive")] == []
    else:
        assert process.returncode == -signal.SIGKILL
