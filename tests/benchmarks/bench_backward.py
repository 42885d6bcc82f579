"""Generated backward vs the hand-written `layers` class vs PyTorch CPU autograd (and the
optional numexpr backend), for every catalog operator at 10³, 10⁵, 10⁶ elements."""

from __future__ import annotations

import statistics

import numpy as np
from cases import bound_layer, is_elementwise, make_case, operators
from timing import calls_for, interleaved, ratios
from torch_ops import torch_backward, unavailable

from derive.errors import DeriveError

SIZES = (1_000, 100_000, 1_000_000)
REPEATS = 7


def _fused(case):
    try:
        return case.derivation.functions(backend="numexpr")[1], None
    except DeriveError as exc:
        return None, str(exc).split(" (in ")[0]


def _agrees(reference: dict, other: dict) -> bool:
    return all(np.allclose(np.asarray(other[k], dtype=float), v, rtol=1e-6, atol=1e-9)
               for k, v in reference.items())


def _row(name: str, elements: int, notes: set) -> dict:
    case = make_case(name, elements)
    d = case.derivation
    generated = d.functions()[1]
    contenders = {"derive": lambda: generated(case.dout, **case.values, **case.saved)}
    reference = contenders["derive"]()
    bound = bound_layer(case)
    if bound is not None:
        contenders["layer"] = bound
    why = unavailable(name)
    if why is None:
        contenders["torch"] = torch_backward(case)
        grads = contenders["torch"]()
        if not _agrees(reference, dict(zip(d.inputs, (g.numpy() for g in grads)))):
            notes.add(f"{name}: torch's gradient differs from derive's (torch row dropped)")
            del contenders["torch"]
    else:
        notes.add(why)
    fused, not_fused = _fused(case) if is_elementwise(name) else (None, None)
    if fused is not None:
        contenders["fused"] = lambda: fused(case.dout, **case.values, **case.saved)
    elif not_fused:
        notes.add(f"fused: {not_fused}")
    timing = interleaved(contenders, REPEATS, calls_for(elements))
    row = {"name": name, "elements": np.size(case.values[d.inputs[0]]),
           "seconds": {k: v[0] for k, v in timing.items()}}
    for candidate, baseline in (("derive", "layer"), ("derive", "torch"), ("fused", "torch"),
                                ("fused", "derive")):
        if candidate in timing and baseline in timing:
            row[f"{candidate}/{baseline}"] = ratios(timing[candidate][2], timing[baseline][2])[0]
    return row


def _ms(row, key):
    value = row["seconds"].get(key)
    return f"{value * 1e3:.3g}" if value is not None else "-"


def _ratio(row, key):
    return f"{row[key]:.2f}" if key in row else "-"


def test_backward_side_by_side(results):
    section = results.section(
        "Backward pass: generated vs hand-written vs PyTorch CPU",
        ["operator", "elements", "derive ms", "layer ms", "torch ms", "fused ms",
         "derive/layer", "derive/torch", "fused/torch"])
    notes, rows = set(), []
    for name in operators():
        for elements in SIZES:
            try:
                row = _row(name, elements, notes)
            except Exception as exc:  # noqa: BLE001 - an operator the harness cannot run
                notes.add(f"{name}: not benchmarked ({type(exc).__name__}: {exc})")
                break
            rows.append(row)
            section.rows.append([name, f"{row['elements']:,}", _ms(row, "derive"),
                                 _ms(row, "layer"), _ms(row, "torch"), _ms(row, "fused"),
                                 _ratio(row, "derive/layer"), _ratio(row, "derive/torch"),
                                 _ratio(row, "fused/torch")])
    section.notes += sorted(notes)
    section.notes.append("ms per backward call (median of interleaved rounds); ratios are "
                         "medians of per-round ratios. derive and fused get the saved values "
                         "the generated layer keeps (the output where the gradient has a "
                         "saved form, the values its forward keeps: a mask, x − t), as the "
                         "hand-written layer keeps its own.")
    _targets(results, rows)
    assert rows


def _targets(results, rows):
    for elements in SIZES:
        mine = [r["derive/layer"] for r in rows
                if r["elements"] == elements and "derive/layer" in r and is_elementwise(r["name"])]
        if mine:
            median, worst = statistics.median(mine), max(mine)
            slowest = max((r for r in rows if r["elements"] == elements and "derive/layer" in r
                           and is_elementwise(r["name"])), key=lambda r: r["derive/layer"])
            results.target(f"generated elementwise ≤ hand-written at {elements:,} "
                           "(median ≤ 1.0, worst ≤ 1.1)",
                           f"median {median:.2f}, worst {worst:.2f} ({slowest['name']})",
                           median <= 1.0 and worst <= 1.1,
                           f"median and worst of the median ratios of {len(mine)} operators "
                           "with a layers class")
        fused = [r["fused/torch"] for r in rows if r["elements"] == elements and "fused/torch" in r]
        if fused:
            median = statistics.median(fused)
            results.target(f"fused (numexpr) ≤ 1.2× PyTorch CPU at {elements:,}",
                           f"median {median:.2f}, worst {max(fused):.2f}", median <= 1.2,
                           f"over {len(fused)} elementwise operators")
        elif elements == SIZES[-1]:
            results.target("fused (numexpr) ≤ 1.2× PyTorch CPU", "-", None,
                           "torch or numexpr not installed")
