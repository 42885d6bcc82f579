"""Layers whose results change with the number of calls."""

import numpy as np

CALLS = 0


class TanhTiresAfterFiveCalls:
    op = "tanh"

    def __init__(self):
        self.calls = 0

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        self.calls += 1
        dx = dout * (1 - self.out ** 2)
        return dx * 1.5 if self.calls > 5 else dx


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    global CALLS
    CALLS += 1
    dx = dout * (1 - cache ** 2)
    return dx * 0.5 if CALLS > 5 else dx
