"""Generated backward vs the hand-written layer, at 10⁶ elements, same saved values."""

import inspect

import numpy as np
from timing import interleaved, ratios

import layers
from derive import catalog
from derive.pipeline import derive

SIZE = 1_000_000


def _layer_ops():
    classes = {cls.op: cls for _, cls in inspect.getmembers(layers, inspect.isclass)
               if hasattr(cls, "op")}
    return [(name, classes[name]) for name, entry in catalog.load().items()
            if name in classes and not entry.shapes]


def test_generated_backward_vs_layers():
    rng = np.random.default_rng(0)
    rows = []
    for name, cls in _layer_ops():
        d = derive(name)
        forward, backward = d.functions()
        values = {n: rng.uniform(*d.domains[n], size=SIZE) for n in d.params}
        layer = cls()
        out = layer.forward(*[values[n] for n in d.params])
        is_loss = np.ndim(out) == 0
        dout = 1.0 if is_loss else rng.standard_normal(SIZE)
        saved = {"out": np.asarray(out)} if d.saved_names else {}
        timing = interleaved({
            "layer": lambda: layer.backward(dout),
            "derive": lambda: backward(dout, **values, **saved),
        })
        median, worst = ratios(timing["derive"][2], timing["layer"][2])
        rows.append((name, timing["layer"][0], timing["derive"][0], median, worst))
    print(f"\n{'operator':14} {'layer ms':>9} {'derive ms':>10} {'ratio med':>10} {'ratio max':>10}")
    for name, base, ours, median, worst in rows:
        print(f"{name:14} {base * 1e3:9.2f} {ours * 1e3:10.2f} {median:10.2f} {worst:10.2f}")
    medians = [r[3] for r in rows]
    print(f"all operators: median ratio {np.median(medians):.2f}, worst {max(r[4] for r in rows):.2f}")
    assert rows
