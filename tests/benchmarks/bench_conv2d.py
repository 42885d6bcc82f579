"""Generated conv2d backward vs the book's im2col/col2im Convolution.backward.

N=32, C=16, H=W=32, F=32, 3×3 kernel, stride 1, pad 1 (target: ratio ≤ 1.5). The book's
backward reuses the `col` its forward cached; the generated backward gets x, w, b (and
recomputes the padded input), so the comparison is, if anything, in the book's favour.
"""

import importlib.util
from pathlib import Path

import numpy as np
from timing import interleaved, ratios

from derive import derive

# the book's im2col/col2im Convolution, as the verifier's fixture holds it
_BOOK = Path(__file__).parents[1] / "zoo" / "book_cnn.py"
_spec = importlib.util.spec_from_file_location("book_cnn", _BOOK)
book_cnn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_cnn)
Convolution = book_cnn.Convolution


def test_generated_conv2d_backward_vs_im2col():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((32, 16, 32, 32)), rng.standard_normal((32, 16, 3, 3)), \
        rng.standard_normal(32)
    _, backward = derive("conv2d").functions()
    layer = Convolution(w, b, stride=1, pad=1)
    dout = rng.standard_normal(layer.forward(x).shape)
    generated = backward(dout, x=x, w=w, b=b, stride=1, pad=1)
    dx = layer.backward(dout)
    assert np.allclose(generated["x"], dx) and np.allclose(generated["w"], layer.dW)
    times = interleaved({"generated": lambda: backward(dout, x=x, w=w, b=b, stride=1, pad=1),
                         "im2col": lambda: layer.backward(dout)}, repeats=7)
    median, worst = ratios(times["generated"][2], times["im2col"][2])
    print(f"\nconv2d backward, N=32 C=16 H=W=32 F=32 3x3: generated "
          f"{times['generated'][0] * 1e3:.1f} ms, book im2col {times['im2col'][0] * 1e3:.1f} ms, "
          f"ratio median {median:.2f} worst {worst:.2f} (target <= 1.5)")
