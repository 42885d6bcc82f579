"""Correct layers written in different styles: none may be reported (over many seeds)."""

import numpy as np


class SigmoidTanhForm:
    """σ(x) = (1 + tanh(x/2)) / 2 and backward from the saved output."""

    op = "sigmoid"

    def forward(self, x):
        self.out = 0.5 * (1 + np.tanh(0.5 * x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidFloat32Friendly:
    """Keeps the input's dtype: constants are made with x.dtype."""

    op = "sigmoid"

    def forward(self, x):
        one = x.dtype.type(1)
        self.out = one / (one + np.exp(-np.clip(x, -500, 500)))
        return self.out

    def backward(self, dout):
        one = self.out.dtype.type(1)
        return dout * self.out * (one - self.out)


class relu_layer:
    def forward(self, x):
        self.positive = x > 0
        return x * self.positive

    def backward(self, dout):
        return dout * self.positive


class TanhFromCosh:
    op = "tanh"

    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout / np.cosh(np.clip(self.x, -300, 300)) ** 2


class MulCopies:
    op = "mul"

    def forward(self, x, y):
        self.x, self.y = x.copy(), y.copy()
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class MSEMean:
    """mean squared error /2: passes as mse with reduction=mean."""

    op = "mse"

    def forward(self, x, t):
        self.diff = x - t
        return 0.5 * np.sum(self.diff ** 2) / x.shape[0]

    def backward(self, dout=1):
        return dout * self.diff / self.diff.shape[0]


class AffineFloat32:
    op = "affine"

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return self.W @ x + self.b

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = dout.sum(axis=1, keepdims=True)
        return self.W.T @ dout


class SoftmaxWithLossRowsLabels:
    """The book's layer with integer labels and a mean over the batch."""

    op = "softmax_cross_entropy_rows"

    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.p, self.t = np.exp(logp), t
        n = x.shape[0]
        return -logp[np.arange(n), t].sum() / n

    def backward(self, dout=1):
        n = self.p.shape[0]
        dx = self.p.copy()
        dx[np.arange(n), self.t] -= 1
        return dout * dx / n


def affine_forward(x, w, b):
    """cs231n: rows layout."""
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0, keepdims=True)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def softmax_loss(x, y):
    """cs231n: integer labels, mean over the batch; returns (loss, dx)."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


class SquaredErrorNoDout:
    """A loss layer whose backward takes no dout: right as the last layer (a linearity warn)."""

    op = "mse"
    expect_warn = "linearity"

    def forward(self, x, t):
        self.diff = x - t
        return 0.5 * np.sum(self.diff * self.diff)

    def backward(self):
        return self.diff.copy()


class AffineRowsVectorBias:
    """The rows layout with the bias as a vector of shape (M,), as most code has it."""

    op = "affine_rows"

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class AffineBook:
    """"Deep Learning from Scratch" common/layers.py: x of shape (N, d_1, ..., d_k) flattened,
    dx reshaped back, b of shape (M,)."""

    op = "affine_rows"

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        out = np.dot(self.x, self.W) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        dx = dx.reshape(*self.original_x_shape)
        return dx
