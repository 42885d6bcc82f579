"""Generated conv2d backward vs the book's im2col/col2im Convolution.backward.

N=32, C=16, H=W=32, F=32, 3×3 kernel, stride 1, pad 1 (target: ratio ≤ 1.5). The book's
backward reuses the `col` its forward cached; the generated backward gets x, w, b (and
recomputes the padded input), so the comparison is, if anything, in the book's favour.
"""

import numpy as np
from timing import interleaved, ratios

from derive import derive


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """The book's im2col ("Deep Learning from Scratch", common/util.py)."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


class Convolution:
    """The book's Convolution layer (common/layers.py)."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


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
