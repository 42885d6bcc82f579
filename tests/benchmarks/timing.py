"""Side-by-side timing helpers for the benchmarks: interleaved runs, medians, ratios."""

import statistics
import time


def interleaved(functions: dict, repeats: int = 7) -> dict:
    """Median and worst seconds of each function, the functions run in turn, `repeats` times."""
    samples = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: (statistics.median(s), max(s), s) for name, s in samples.items()}


def ratios(candidate: list[float], baseline: list[float]) -> tuple[float, float]:
    """Median and worst of the per-round ratios candidate / baseline."""
    per_round = [c / b for c, b in zip(candidate, baseline)]
    return statistics.median(per_round), max(per_round)
