"""Start-up time of `derive --help` and `derive list`, against `python -c pass`."""

import subprocess
import sys

from timing import interleaved, ratios


def _run(*args):
    return lambda: subprocess.run([sys.executable, *args], check=True, capture_output=True)


def test_startup():
    timing = interleaved({
        "python -c pass": _run("-c", "pass"),
        "derive --help": _run("-m", "derive", "--help"),
        "derive list": _run("-m", "derive", "list"),
    }, repeats=9)
    base = timing["python -c pass"]
    print(f"\n{'command':16} {'median s':>9} {'target s':>9} {'ratio to python':>16}")
    for command, target in (("python -c pass", None), ("derive --help", 0.3), ("derive list", 0.8)):
        median, _, samples = timing[command]
        ratio = ratios(samples, base[2])[0]
        print(f"{command:16} {median:9.3f} {target or '':>9} {ratio:16.1f}")
    assert timing["derive --help"][0] > 0
