"""derive.workers: a task in a child process cannot exit, hang or print its way into derive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

from derive import workers


def test_returns_the_value_and_keeps_prints_apart(capfd):
    def task(a, b=1):
        print("hello from the task")
        os.write(1, b"raw fd 1\n")
        os.write(2, b"raw fd 2\n")
        return {"sum": a + b}

    outcome = workers.run(task, 2, b=3, timeout=10)
    assert outcome.status == "returned" and outcome.value == {"sum": 5}
    assert "hello from the task" in outcome.stdout and "raw fd 1" in outcome.stdout
    assert "raw fd 2" in outcome.stderr
    assert capfd.readouterr() == ("", "")


def test_large_results_and_messages_arrive_whole():
    def task():
        for k in range(3):
            workers.send(("step", k))
        return b"x" * 3_000_000

    outcome = workers.run(task, timeout=20)
    assert outcome.messages == [("step", 0), ("step", 1), ("step", 2)]
    assert outcome.value == b"x" * 3_000_000


def test_sys_exit_and_base_exceptions_are_raised_outcomes():
    for exc in (SystemExit(0), KeyboardInterrupt(), GeneratorExit()):
        def task(exc=exc):
            raise exc
        outcome = workers.run(task, timeout=10)
        assert outcome.status == "raised" and outcome.error.startswith(type(exc).__name__)


def test_an_exception_whose_str_raises_is_described():
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def task():
        raise Weird()

    outcome = workers.run(task, timeout=10)
    assert outcome.status == "raised" and outcome.error.startswith("Weird")


def test_os_exit_and_signals_end_without_a_result():
    outcome = workers.run(lambda: os._exit(0), timeout=10)
    assert (outcome.status, outcome.exit_code) == ("exited", 0)
    assert "exit code 0" in outcome.describe()
    outcome = workers.run(lambda: os.kill(os.getpid(), signal.SIGSEGV), timeout=10)
    assert (outcome.status, outcome.signal) == ("killed", "SIGSEGV")


def test_a_hang_that_ignores_signals_is_killed_on_time():
    def task():
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                time.sleep(0.01)
            except BaseException:  # noqa: BLE001, S112
                continue

    start = time.monotonic()
    outcome = workers.run(task, timeout=0.5)
    assert outcome.status == "timeout" and time.monotonic() - start < 3
    assert "within 0.5 s" in outcome.describe(0.5)


def test_messages_restart_the_time_limit():
    def task():
        for _ in range(4):
            time.sleep(0.2)
            workers.send("tick")
        return "done"

    outcome = workers.run(task, timeout=0.5)
    assert outcome.status == "returned" and len(outcome.messages) == 4


def test_threads_and_grandchildren_do_not_outlive_the_worker(tmp_path):
    marker = tmp_path / "alive"

    def task():
        threading.Thread(target=lambda: time.sleep(60)).start()  # not a daemon
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        marker.write_text(str(child.pid))
        return "done"

    start = time.monotonic()
    outcome = workers.run(task, timeout=10)
    assert outcome.status == "returned" and time.monotonic() - start < 5
    grandchild = int(marker.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild)


def test_unbounded_printing_is_truncated():
    def task():
        for _ in range(200):
            os.write(1, b"y" * 10_000)
        return 1

    outcome = workers.run(task, timeout=20)
    assert outcome.value == 1 and len(outcome.stdout) < workers.CAPTURE_BYTES + 100
    assert "more bytes" in outcome.stdout


def _parent_with_a_sleeping_worker(tmp_path) -> tuple[subprocess.Popen, int]:
    """A Python process whose worker sleeps; (that process, the worker's pid)."""
    pid_file = tmp_path / "worker.pid"
    script = textwrap.dedent(f"""
        import os, time
        from derive import workers
        def task():
            open({str(pid_file)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
        workers.run(task, timeout=120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    return parent, int(pid_file.read_text())


def test_the_worker_dies_with_its_parent(tmp_path):
    parent, worker = _parent_with_a_sleeping_worker(tmp_path)
    parent.kill()
    parent.wait()
    for _ in range(40):
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker)


def test_sigterm_of_the_parent_kills_the_worker(tmp_path):
    parent, worker = _parent_with_a_sleeping_worker(tmp_path)
    parent.terminate()
    assert parent.wait(timeout=10) == -signal.SIGTERM
    time.sleep(0.1)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False
