"""The README's copy-paste example for a course's test suite runs as written: pytest on it
passes against the hand-written layers, and fails, naming the check, on a broken layer;
`pytest --derive-verify TARGET` does the same with no test code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _course_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("**In a course's test suite.**", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def _pytest(folder: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    """pytest in `folder` (its `layers` package, if it has one, is the one imported)."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=folder, capture_output=True, text=True, timeout=300,
                          check=False,
                          env={"PATH": "/usr/bin:/bin", "DERIVE_CACHE_DIR": str(cache),
                               "PYTHONPATH": str(folder)})


def test_the_readme_course_example_passes_and_catches_a_bug(tmp_path):
    example = _course_example()
    assert 'assert_layer_correct(Sigmoid, "sigmoid")' in example
    course = tmp_path / "course"
    shutil.copytree(REPO / "layers", course / "layers")
    (course / "tests").mkdir()
    (course / "tests" / "test_student_layers.py").write_text(example, encoding="utf-8")
    good = _pytest(course, "tests", cache=tmp_path / "cache")
    assert good.returncode == 0 and "4 passed" in good.stdout, good.stdout + good.stderr

    with open(course / "layers" / "__init__.py", "a", encoding="utf-8") as student:
        student.write("\n\nclass Sigmoid(Sigmoid):\n"
                      "    def backward(self, dout):\n"
                      "        return dout * self.out  # forgot (1 - out)\n")
    bad = _pytest(course, "tests", "--derive-verify", "layers:Sigmoid",
                  cache=tmp_path / "cache")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "2 failed, 3 passed" in bad.stdout, bad.stdout
    assert "derive-verify[layers:Sigmoid]" in bad.stdout and "backward (fail)" in bad.stdout
