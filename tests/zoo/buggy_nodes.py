"""Deliberately wrong two-input nodes and loss layers."""

import numpy as np


class AddReturnsOneGradient:
    op, caught_by = "add", "backward"

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout  # one gradient for two inputs


class MulNotSwapped:
    op, caught_by = "mul", "backward"

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.x, dout * self.y  # each input gets itself, not the other


class DivSignOnY:
    op, caught_by = "div", "backward"

    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, dout):
        return dout / self.y, dout * self.x / self.y ** 2  # the minus sign is missing


class MSEFactorTwo:
    op, caught_by = "mse", "backward"

    def forward(self, x, t):
        self.diff = x - t
        return 0.5 * np.sum(self.diff ** 2)

    def backward(self, dout=1):
        return 2 * dout * self.diff  # forgot the 1/2


class MSEIgnoresDout:
    op, caught_by, strict_only = "mse", "linearity", True

    def forward(self, x, t):
        self.diff = x - t
        return 0.5 * np.sum(self.diff ** 2)

    def backward(self, dout=1):
        return self.diff * 1.0  # right only for dout = 1


class SoftmaxWithLossNoMax:
    op, caught_by = "softmax_cross_entropy", "extreme_inputs"

    def forward(self, x, t):
        e = np.exp(x)  # no max subtraction: overflows
        self.y = e / np.sum(e, axis=0, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(self.y))

    def backward(self, dout=1):
        return dout * (self.y - self.t)


class SoftmaxWithLossClipped:
    # a guard against log(0) (Keras' clip): the loss is capped near -log(1e-7) at large inputs,
    # a warning that names the clip, a failure under --strict
    op, caught_by, strict_only = "softmax_cross_entropy", "extreme_inputs", True

    def forward(self, x, t):
        z = x - np.max(x, axis=0, keepdims=True)
        self.y = np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(np.clip(self.y, 1e-7, 1 - 1e-7)))

    def backward(self, dout=1):
        return dout * (self.y - self.t)


class SoftmaxWithLossClippedHard:
    op, caught_by = "softmax_cross_entropy", "forward"  # no guard: changes ordinary losses

    def forward(self, x, t):
        z = x - np.max(x, axis=0, keepdims=True)
        self.y = np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(np.clip(self.y, 0.05, 0.95)))

    def backward(self, dout=1):
        return dout * (self.y - self.t)


class SoftmaxWithLossSumsAll:
    op, caught_by = "softmax_cross_entropy", "forward"

    def forward(self, x, t):
        e = np.exp(x - np.max(x))
        self.y = e / np.sum(e)  # the tutorial's softmax: sums over every sample at once
        self.t = t
        return -np.sum(t * np.log(self.y))

    def backward(self, dout=1):
        return dout * (self.y - self.t)


class SoftmaxRowsBackwardNotAveraged:
    op, caught_by = "softmax_cross_entropy_rows", "backward"

    def forward(self, x, t):
        z = x - np.max(x, axis=1, keepdims=True)
        self.y = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(self.y)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t)  # the mean's 1/N is missing
