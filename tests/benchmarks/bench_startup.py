"""Wall time of the commands a user types first: `derive --help`, `derive list`, `derive show`
with a cold and a warm cache, against `python -c pass` (`derive report --all`: bench_reports)."""

import os
import statistics
import subprocess
import sys
import tempfile
import time

from timing import interleaved, ratios, seconds_text


def _command(*args, cache=None, cwd=None, timeout=None):
    env = {**os.environ, "DERIVE_CACHE_DIR": cache} if cache else os.environ
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env,
                          cwd=cwd, timeout=timeout)


def _startup(section, results):
    with tempfile.TemporaryDirectory() as cache:
        timing = interleaved({
            "python -c pass": lambda: _command("-c", "pass"),
            "derive --help": lambda: _command("-m", "derive", "--help", cache=cache),
            "derive list": lambda: _command("-m", "derive", "list", cache=cache),
        }, repeats=9)
    base = timing["python -c pass"]
    for command, target in (("python -c pass", None), ("derive --help", 0.3),
                            ("derive list", 0.8)):
        median, _, samples = timing[command]
        section.rows.append([command, seconds_text(median),
                             f"{ratios(samples, base[2])[0]:.1f}×", f"{target} s" if target else ""])
        if target:
            results.target(f"`{command}` ≤ {target} s", seconds_text(median), median <= target,
                           "absolute: read it against the load average")


def _show(section):
    cold, warm = [], []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as cache:
            for samples in (cold, warm):
                start = time.perf_counter()
                _command("-m", "derive", "show", "sigmoid", cache=cache)
                samples.append(time.perf_counter() - start)
    section.rows.append(["derive show sigmoid (cold cache)", seconds_text(statistics.median(cold)),
                         "", ""])
    speedup = statistics.median(c / w for c, w in zip(cold, warm))
    section.rows.append(["derive show sigmoid (warm cache)", seconds_text(statistics.median(warm)),
                         f"{speedup:.1f}× faster than cold", ""])


def test_startup_and_reports(results):
    section = results.section("Start-up and reports (wall time of the command)",
                              ["command", "median", "vs python -c pass", "target"])
    _startup(section, results)
    _show(section)
    section.notes.append("medians of 9 interleaved runs (start-up), 5 runs (show)")
    assert section.rows
