"""Peak memory of the generated backward vs the hand-written layer at 10⁶ elements
(tracemalloc: NumPy reports its array buffers to it)."""

import statistics
import tracemalloc

from cases import bound_layer, make_case, operators

ELEMENTS = 1_000_000


def _peak_bytes(function, *args, **kwargs) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        function(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_backward_peak_memory(results):
    section = results.section(
        "Peak memory of one backward call at 10⁶ elements",
        ["operator", "derive MB", "fused MB", "layer MB", "derive/layer"])
    ratios = []
    for name in operators():
        case = make_case(name, ELEMENTS)
        bound = bound_layer(case)
        if bound is None:
            continue
        d = case.derivation
        generated = d.functions()[1]
        derive_peak = _peak_bytes(generated, case.dout, **case.values, **case.saved)
        try:
            fused = d.functions(backend="numexpr")[1]
            fused_peak = _peak_bytes(fused, case.dout, **case.values, **case.saved)
            fused_text = f"{fused_peak / 1e6:.1f}"
        except Exception:  # noqa: BLE001 - not installed or not fusable: no column
            fused_text = "-"
        layer_peak = _peak_bytes(bound)
        ratio = derive_peak / max(layer_peak, 1)
        ratios.append(ratio)
        section.rows.append([name, f"{derive_peak / 1e6:.1f}", fused_text,
                             f"{layer_peak / 1e6:.1f}", f"{ratio:.2f}"])
    section.notes.append("bytes allocated above the starting point during the call, peak; the "
                         "result arrays count (8 MB per float64 gradient of 10⁶ entries)")
    results.target("generated backward's peak memory vs the layer's at 10⁶ (no stated target)",
                   f"median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}", None,
                   "reported only")
    assert ratios
