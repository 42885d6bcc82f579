"""The benchmark results of one `make bench` run: detail tables per benchmark and one table
of the targets, printed at the end and written to RESULTS.md with the date and the machine."""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RESULTS_PATH = Path(__file__).with_name("RESULTS.md")


@dataclass
class Section:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Results:
    sections: list[Section] = field(default_factory=list)
    targets: list[list[str]] = field(default_factory=list)
    load_before: tuple = field(default_factory=os.getloadavg)

    def section(self, title: str, header: list[str]) -> Section:
        self.sections.append(Section(title, header))
        return self.sections[-1]

    def target(self, what: str, measured: str, met: bool | None, note: str = "") -> None:
        """One line of the targets table; met None means it could not be measured."""
        verdict = {True: "met", False: "missed", None: "not measured"}[met]
        self.targets.append([what, measured, verdict, note])

    def markdown(self, wall_seconds: float) -> str:
        lines = ["# Benchmark results", "", machine_text(self.load_before, wall_seconds), ""]
        lines += ["## Targets", "", *_table(["target", "measured", "verdict", "note"],
                                            self.targets), ""]
        for section in self.sections:
            lines += [f"## {section.title}", "", *_table(section.header, section.rows)]
            lines += ["", *(f"- {note}" for note in section.notes), ""]
        return "\n".join(lines).rstrip() + "\n"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
            *(line(r) for r in rows)]


def machine_text(load_before: tuple, wall_seconds: float) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import torch
        torch_text = f"torch {torch.__version__} ({torch.get_num_threads()} thread(s))"
    except ImportError:
        torch_text = "torch not installed"
    try:
        import numexpr
        numexpr_text = f"numexpr {numexpr.__version__} ({numexpr.get_num_threads()} thread(s))"
    except ImportError:
        numexpr_text = "numexpr not installed"
    load_after = os.getloadavg()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{when}; {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, {torch_text}, {numexpr_text}. Load average "
            f"{load_before[0]:.1f} before and {load_after[0]:.1f} after the run (a quiet machine "
            f"is near 0); `make bench` took {wall_seconds / 60:.1f} min. Ratios are medians of "
            "interleaved rounds, measured side by side in this run.")
