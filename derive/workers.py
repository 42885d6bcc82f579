"""Run a callable in a child process that cannot take derive down with it.

`run(task, *args, timeout=SECONDS)` forks a worker (the parent's imports come along, so it
starts in milliseconds), puts it in a process group of its own and calls `task(*args)` there.
The worker's file descriptors 1 and 2 go to pipes the parent reads (kept up to CAPTURE_BYTES
each, the rest drained), so whatever the task prints never mixes with derive's own output. The
result comes back pickled through a pipe; `send(obj)` inside the task streams progress messages
the same way, and each message restarts the time limit (a task that reports every step gets
`timeout` seconds per step). The worker's whole process group is killed (SIGKILL) when the time
is up, when the task has returned, when derive gets SIGTERM or SIGINT, and when derive dies
(PR_SET_PDEATHSIG on Linux, a watchdog thread elsewhere). The outcome says what happened:
`returned`, `raised`, `exited` (the process ended without a result: os._exit, a crash),
`killed` (by a signal) or `timeout`.

POSIX only (fork). The task's result and messages must be picklable.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

CAPTURE_BYTES = 64 * 1024
_HEADER = struct.Struct("!Q")
_CHANNEL: int | None = None   # the result pipe, inside a worker


@dataclass
class Outcome:
    """What became of one worker."""

    status: str                 # returned | raised | exited | killed | timeout
    value: object = None        # the task's return value (status "returned")
    messages: list = field(default_factory=list)   # what the task sent, in order
    error: str = ""             # "ExcType: message" of what the task raised
    traceback: str = ""         # its formatted traceback
    exit_code: int | None = None
    signal: str | None = None   # e.g. "SIGSEGV" when killed by a signal
    stdout: str = ""            # what the worker wrote to file descriptor 1 (truncated)
    stderr: str = ""
    seconds: float = 0.0

    def describe(self, timeout: float | None = None) -> str:
        """One line saying how the worker ended, for a user."""
        if self.status == "returned":
            return "finished"
        if self.status == "raised":
            return f"raised {self.error}"
        if self.status == "timeout":
            limit = f" within {timeout:g} s" if timeout is not None else ""
            return f"did not finish{limit}"
        if self.status == "killed":
            return f"was killed by signal {self.signal}"
        return f"ended (exit code {self.exit_code}) without a result"


def send(message) -> None:
    """Inside a worker: stream `message` to the parent (restarts the time limit).
    Outside a worker it does nothing."""
    if _CHANNEL is not None:
        _write(_CHANNEL, ("message", message))


def in_worker() -> bool:
    return _CHANNEL is not None


def run(task, *args, timeout: float, **kwargs) -> Outcome:
    """Call task(*args, **kwargs) in a worker process; never raises for what the task does."""
    result_r, result_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the worker
        for fd in (result_r, out_r, err_r):
            os.close(fd)
        _child(task, args, kwargs, parent, result_w, out_w, err_w)
    for fd in (result_w, out_w, err_w):
        os.close(fd)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also set in the child: whichever runs first
    with _killed_on_signals(pid):
        outcome = _collect(pid, result_r, out_r, err_r, timeout)
    return outcome


def _child(task, args, kwargs, parent, result_w, out_w, err_w):
    global _CHANNEL
    try:
        os.setpgid(0, 0)
        _die_with(parent)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.close(out_w)
        os.close(err_w)
        # the parent's sys.stdout may be an object of its own (pytest's capture): start afresh
        sys.stdout = open(1, "w", closefd=False, errors="replace")  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False, errors="replace")  # noqa: SIM115
        if faulthandler.is_enabled():  # it wrote to the parent's stderr; now to the worker's
            faulthandler.enable(sys.stderr)
        _CHANNEL = result_w
        try:
            value = task(*args, **kwargs)
            reply = ("returned", value)
        except BaseException as exc:  # noqa: BLE001  (whatever the task does is the outcome)
            reply = ("raised", (exception_text(exc), traceback.format_exc()))
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        _write(result_w, reply)
    except BaseException:  # noqa: BLE001  (an unpicklable result, a closed pipe)
        with contextlib.suppress(BaseException):
            why = exception_text(sys.exc_info()[1])
            _write(result_w, ("raised", (f"the worker could not send its result: {why}", "")))
    finally:
        os._exit(0)  # no atexit handlers, no waiting for the task's threads


def exception_text(exc: BaseException) -> str:
    """'Type: message', also for an exception whose __str__ raises."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001  (an exception whose __str__ raises)
        text = "<its message could not be printed: its __str__ raised>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _die_with(parent: int) -> None:
    """End this process when `parent` dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _write(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


@contextlib.contextmanager
def _killed_on_signals(pid: int):
    """Kill the worker's group when derive is interrupted or terminated, then let the signal
    do what it would have done."""
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            _kill_group(pid)
        return

    def terminate(signum, frame):
        _kill_group(pid)
        signal.signal(signum, previous)
        os.kill(os.getpid(), signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        _kill_group(pid)  # also after KeyboardInterrupt
        signal.signal(signal.SIGTERM, previous)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _Buffer:
    """Bytes from one pipe: the first `limit` kept, the rest counted and dropped."""

    def __init__(self, limit: float = CAPTURE_BYTES):
        self.data, self.dropped, self.limit = bytearray(), 0, limit

    def add(self, chunk: bytes) -> None:
        room = int(min(self.limit - len(self.data), len(chunk)))
        self.data += chunk[:room]
        self.dropped += len(chunk) - room

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        return text + (f"\n[... {self.dropped} more bytes]" if self.dropped else "")


def _collect(pid, result_r, out_r, err_r, timeout) -> Outcome:
    start = time.monotonic()
    deadline = start + timeout
    pidfd = _pidfd(pid)
    buffers = {result_r: _Buffer(float("inf")), out_r: _Buffer(), err_r: _Buffer()}
    open_fds = {result_r, out_r, err_r}
    messages, reply, status, code = [], None, None, None
    try:
        while True:
            if pidfd is None and (code := _reap(pid, wait=False)) is not None:
                status = "ended"
            watched = list(open_fds) + ([pidfd] if pidfd is not None else [])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                status = "timeout"
            if status is not None:
                break
            wait = remaining if pidfd is not None else min(remaining, 0.01)
            ready, _, _ = select.select(watched, [], [], wait)
            for fd in ready:
                if fd == pidfd:
                    status = "ended"
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    open_fds.discard(fd)
                    continue
                buffers[fd].add(chunk)
            for kind, payload in _frames(buffers[result_r].data):
                if kind == "message":
                    messages.append(payload)
                    deadline = time.monotonic() + timeout
                else:
                    reply = (kind, payload)
            if reply is not None and result_r not in open_fds:
                status = "ended"
        _kill_group(pid)
        for fd in open_fds:  # what is left in the pipes (the worker is gone)
            _drain(fd, buffers[fd])
        for kind, payload in _frames(buffers[result_r].data):
            if kind == "message":
                messages.append(payload)
            else:
                reply = (kind, payload)
        code = _reap(pid, wait=True) if code is None else code
    finally:
        for fd in (result_r, out_r, err_r, *([pidfd] if pidfd is not None else [])):
            with contextlib.suppress(OSError):
                os.close(fd)
    outcome = Outcome("timeout", messages=messages, stdout=buffers[out_r].text(),
                      stderr=buffers[err_r].text(), seconds=time.monotonic() - start)
    if reply is not None:
        kind, payload = reply
        outcome.status = kind
        if kind == "returned":
            outcome.value = payload
        else:
            outcome.error, outcome.traceback = payload
    elif status != "timeout":
        if code is not None and code < 0:
            outcome.status, outcome.signal = "killed", _signal_name(-code)
        else:
            outcome.status, outcome.exit_code = "exited", code
    return outcome


def _frames(buffer: bytearray):
    """Complete (kind, payload) frames taken off the front of `buffer`."""
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            return
        data = bytes(buffer[_HEADER.size:_HEADER.size + size])
        del buffer[:_HEADER.size + size]
        yield pickle.loads(data)  # written by our own worker


def _drain(fd: int, buffer) -> None:
    os.set_blocking(fd, False)
    with contextlib.suppress(BlockingIOError, OSError):
        while chunk := os.read(fd, 1 << 16):
            buffer.add(chunk)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _reap(pid: int, wait: bool) -> int | None:
    """The worker's exit code (negative: the signal), None while it runs (wait=False)."""
    try:
        done, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
    except ChildProcessError:
        return 0
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)
