"""Wall-clock and memory limits around one derivation (DERIVE_MAX_SECONDS,
DERIVE_MAX_MEMORY_MB); going over either is a refusal in one line (derive.budget.refuse)."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import threading
from contextlib import contextmanager

from derive.budget import limit, refuse


class _OutOfTime(BaseException):  # not an Exception: no `except Exception` eats it
    """The wall-clock limit struck inside the derivation."""


@contextmanager
def derivation_limits():
    """Wall-clock and memory limits around one derivation (main thread: both; else memory).
    The memory limit is the innermost: the signal handlers are restored after it is lifted
    (restoring them under a nearly exhausted limit crashed the interpreter now and then)."""
    seconds, memory = limit("seconds"), limit("memory_mb") * 2**20
    if threading.current_thread() is not threading.main_thread():
        with _memory_limit(memory):
            yield
        return

    def on_alarm(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with _memory_limit(memory):
            yield
    except _OutOfTime:
        refuse("seconds", "derivation", seconds)
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old_timer)
        signal.signal(signal.SIGALRM, previous)


class _OutOfMemory(BaseException):  # raised in the deriving thread by the memory watcher
    pass


WATCH_SECONDS = 0.02
BACKSTOP_BYTES = 512 * 2**20  # address space beyond the budget: only for one huge allocation


@contextmanager
def _memory_limit(extra: int):
    """At most `extra` bytes more resident memory than now; over it, a refusal.

    A watcher thread reads the resident size every WATCH_SECONDS and raises _OutOfMemory in
    the deriving thread between two bytecodes, where the interpreter is in a clean state. A
    bare address-space limit at the budget could not be used alone: CPython crashes when
    the limit is reached while it grows the C stack or normalises the MemoryError itself.
    The address space stays limited BACKSTOP_BYTES higher, for one allocation too large to
    be watched (NumPy raises MemoryError for it)."""
    import numpy.linalg  # noqa: F401 - extension modules the generated code loads: loaded
    import scipy.special  # noqa: F401 - under the limit a failed dlopen is an ImportError

    baseline, target, stop = _resident(), threading.get_ident(), threading.Event()
    tripped = threading.Event()

    def watch():
        while not stop.wait(WATCH_SECONDS):
            if _resident() - baseline > extra:
                tripped.set()
                _raise_in(target, _OutOfMemory)
                return

    watcher = threading.Thread(target=watch, name="derive-memory-watch", daemon=True)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _address_space() + extra + BACKSTOP_BYTES
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    lowered = soft == resource.RLIM_INFINITY or wanted < soft
    if lowered:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    watcher.start()
    out_of_memory = False
    try:
        yield
        out_of_memory = _resident() - baseline > extra  # finished between two looks
    except (MemoryError, SystemError, _OutOfMemory):  # C code out of memory: a bare NULL too
        out_of_memory = True
    finally:
        while True:  # the watcher's one exception may still arrive here: taken as the refusal
            try:
                stop.set()
                watcher.join()
                if tripped.is_set():
                    _raise_in(target, None)  # not yet delivered: dropped
                break
            except _OutOfMemory:
                out_of_memory = True
        if lowered:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    if out_of_memory:  # refused after the limit is lifted: the message itself needs memory
        refuse("memory_mb", "derivation", extra // 2**20)


def _raise_in(thread_id: int, exception) -> None:
    """Raise `exception` in the thread at its next bytecode (None: cancel a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exception) if exception
                                               else None)


def _resident() -> int:
    return _statm(1)


def _address_space() -> int:
    return _statm(0)


def _statm(field: int) -> int:
    """Bytes of this process: field 0 its address space, 1 its resident size (0: unknown)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
