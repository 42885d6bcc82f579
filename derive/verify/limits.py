"""Run user code under a time limit and with its printing captured.

A layer that hangs gets a verdict naming the check instead of stopping the run: the limit
raises `TimeLimit` (a BaseException, so a layer's own `except Exception` cannot swallow it)
through SIGALRM. Outside the main thread (where signals cannot be used) the code runs without a
limit. A layer that swallows even that, or ignores the signal, is ended from outside: each
target runs in a worker process under `--timeout` (session.py).
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading

CHECK_SECONDS = 5.0  # the verifier's own work counts too: room for a busy machine


class TimeLimit(BaseException):
    """The user's code ran longer than allowed."""


@contextlib.contextmanager
def time_limit(seconds: float = CHECK_SECONDS):
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeLimit(f"did not finish within {seconds:g} s (an endless loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def quiet():
    """Swallow what user code prints, so --json output stays one JSON object."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield sink
