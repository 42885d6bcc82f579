"""Deliberately wrong Affine layers (tutorial layout W @ X + b) and cs231n function pairs."""

import numpy as np


class _Affine:
    op = "affine"

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return self.W @ x + self.b


class AffineTransposedDW(_Affine):
    caught_by = "param_gradients"

    def backward(self, dout):
        self.dW = self.x @ dout.T  # transposed
        self.db = np.sum(dout, axis=1, keepdims=True)
        return self.W.T @ dout


class AffineDbWrongAxis(_Affine):
    caught_by = "param_gradients"

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = np.sum(dout, axis=0, keepdims=True)  # sums over the outputs
        return self.W.T @ dout


class AffineDbNoKeepdims(_Affine):
    caught_by = "param_gradients"

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = np.sum(dout, axis=1)  # shape (n,) instead of (n, 1)
        return self.W.T @ dout


class AffineDxNotTransposed(_Affine):
    caught_by = "backward"

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = np.sum(dout, axis=1, keepdims=True)
        return np.dot(dout.T, self.W)  # (N, n_in): the transpose of dX


class AffineAccumulatesDW(_Affine):
    caught_by = "state"

    def __init__(self, W, b):
        super().__init__(W, b)
        self.dW = np.zeros_like(W)

    def backward(self, dout):
        self.dW += dout @ self.x.T  # a second backward doubles it
        self.db = np.sum(dout, axis=1, keepdims=True)
        return self.W.T @ dout


class AffineUpdatesW(_Affine):
    caught_by = "side_effects"

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = np.sum(dout, axis=1, keepdims=True)
        dx = self.W.T @ dout
        self.W -= 0.1 * self.dW  # an optimiser step inside backward changes the caller's W
        return dx


class AffineGlobalB(_Affine):
    caught_by = "forward"

    def forward(self, x):
        self.x = x
        return np.dot(self.W, x) + b  # noqa: F821 -- the tutorial's bug: global b

    def backward(self, dout):
        self.dW = dout @ self.x.T
        self.db = np.sum(dout, axis=1, keepdims=True)
        return self.W.T @ dout


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache  # missing (1 - out)


sigmoid_forward.caught_by = "backward"


class AffineFlattensButDxNotReshaped:
    """Takes x of shape (N, d_1, ..., d_k) but returns dx of shape (N, D)."""

    op, caught_by = "affine_rows", "nd_input"

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
