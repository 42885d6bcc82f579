"""Side-by-side timing helpers for the benchmarks: interleaved runs, medians, ratios, and a
wall-clock cap that a case cannot outrun (it runs in a forked child)."""

import multiprocessing
import statistics
import time
import traceback

CAP_SECONDS = 60.0


def interleaved(functions: dict, repeats: int = 7, number: int = 1) -> dict:
    """Median and worst seconds per call of each function, the functions run in turn,
    `repeats` rounds of `number` calls each: {name: (median, worst, per-round samples)}.
    Each round starts with the next function (the first of a round runs a few per cent
    slower, on cold caches: the same function timed against itself measured 1.04)."""
    samples = {name: [] for name in functions}
    names = list(functions)
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            function = functions[name]
            start = time.perf_counter()
            for _ in range(number):
                function()
            samples[name].append((time.perf_counter() - start) / number)
    return {name: (statistics.median(s), max(s), s) for name, s in samples.items()}


def calls_for(elements: int, budget: int = 1_000_000) -> int:
    """Calls per timed round so that small arrays are timed over about `budget` elements."""
    return max(1, budget // max(1, elements))


def ratios(candidate: list[float], baseline: list[float]) -> tuple[float, float]:
    """Median and worst of the per-round ratios candidate / baseline."""
    per_round = [c / b for c, b in zip(candidate, baseline)]
    return statistics.median(per_round), max(per_round)


class Capped(Exception):
    """The case ran past its wall-clock cap."""


def _child(conn, function, args):
    try:
        conn.send(("ok", function(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as text
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
    finally:
        conn.close()


def capped(function, *args, seconds: float = CAP_SECONDS):
    """function(*args) in a forked child, killed after `seconds` (raises Capped); its
    return value must pickle. The child inherits everything already imported."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, function, args), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise Capped(f"> {seconds:g} s")
        status, value = parent.recv()
    finally:
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise RuntimeError(value)
    return value


def seconds_text(value) -> str:
    """A duration for the table: ms below a second, '> 60 s' for a capped case."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if value >= 3600:
        return f"{value / 3600:.3g} h"
    return f"{value * 1e3:.3g} ms" if value < 1 else f"{value:.3g} s"
