"""The tutorial's supermarket example, run through MulLayer and AddLayer."""

import pathlib
import subprocess
import sys

import pytest

from layers import supermarket

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_forward_and_backward_values():
    r = supermarket.run()
    assert r["values"]["total"] == pytest.approx(50.0)
    g = r["grads"]
    assert g["rice"] == pytest.approx(10)
    assert g["rice_num"] == pytest.approx(2.6)
    assert g["flour"] == pytest.approx(10)
    assert g["flour_num"] == pytest.approx(2.4)
    assert g["rice_price"] == g["flour_price"] == 1  # the "+" node passes 1 through


def test_other_prices_change_the_gradients():
    g = supermarket.run(rice=3.0, rice_num=2, flour=1.5, flour_num=4)["grads"]
    assert (g["rice"], g["rice_num"], g["flour"], g["flour_num"]) == pytest.approx((2, 3.0, 4, 1.5))


def _rows(text):
    return {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}


def check_output(text):
    assert "total = 50\n" in text
    rows = _rows(text)
    assert rows["rice"] == ["2.6", "10"]
    assert rows["rice_num"] == ["10", "2.6"]
    assert rows["flour"] == ["2.4", "10"]
    assert rows["flour_num"] == ["10", "2.4"]


def test_main_prints_rounded_table(capsys):
    supermarket.main()
    check_output(capsys.readouterr().out)


def test_runs_as_module():
    proc = subprocess.run(
        [sys.executable, "-m", "layers.supermarket"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    check_output(proc.stdout)
