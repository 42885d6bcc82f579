"""`derive report --tutorial`: the seed tutorial's chapter regenerated from formulas alone.

Each part of reports/tutorial.toml is derived (a formula, or a catalog operator) and rendered
with the same derivation body as a report; the supermarket part also gets its figures with
numbers going forward, then backward, at the tutorial's prices.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

PARTS = Path(__file__).parent / "tutorial.toml"


@dataclass(frozen=True)
class Part:
    key: str
    report: object  # reports.model.Report
    forward: object = None  # a Drawing with the forward values only, or None
    values: object = None  # reports.graph_values.GraphValues, or None


def tutorial_parts(lang: str) -> list[Part]:
    """Every part of the chapter, derived and gathered into report data."""
    from derive.cache import cached_derive
    from derive.numbers import graph_numbers
    from reports.graph_values import graph_values
    from reports.model import build_report

    parts = []
    for spec in tomllib.loads(PARTS.read_text(encoding="utf-8"))["part"]:
        if "op" in spec:
            derivation = cached_derive(op=spec["op"])
        else:
            derivation = cached_derive(formula=spec["formula"][lang])
            derivation.name = spec["key"]
        values = forward = None
        if "at" in spec:
            point = dict(zip(derivation.params, spec["at"]))
            values = graph_values(derivation, graph_numbers(derivation, point))
            drawing = values.drawing
            forward = replace(drawing, edges=tuple(replace(e, below="") for e in drawing.edges))
        report = build_report(derivation, lang=lang)
        if values is not None:  # its numbers are drawn at the tutorial's point instead
            report = replace(report, examples=())
        parts.append(Part(spec["key"], report, forward, values))
    return parts


def write_tutorial(fmt: str, out: Path, lang: str = "en") -> Path:
    """tutorial.pdf / .tex / .md / .html in `out`."""
    from reports.build import write_atomic
    from reports.language import tex_engine, text
    from reports.render import render
    from reports.write import SUFFIX

    parts = tutorial_parts(lang)
    path = Path(out) / ("tutorial" + SUFFIX[fmt])
    if fmt == "md":
        return write_atomic(path, render("tutorial.md.j2", parts=parts, t=text(lang)))
    if fmt == "html":
        from reports.html import tutorial_html

        return write_atomic(path, tutorial_html(parts, lang))
    latex = render("tutorial.tex.j2", parts=parts, t=text(lang), lang=lang)
    if fmt == "tex":
        return write_atomic(path, latex)
    from reports.build import build_pdf

    return build_pdf(latex, path, "derive report --tutorial", engine=tex_engine(lang, latex))
