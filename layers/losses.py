"""Loss layers: forward(x, t) returns a scalar loss, backward(dout=1) returns dL/dx."""

import numpy as np

from ._checks import require_scalar


def _float(x):
    """x as a floating array (integer scores are promoted to float64, float32 stays float32)."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _require_same_shape(layer, x, t):
    if np.shape(t) != np.shape(x):
        raise ValueError(
            f"{layer}: t has shape {np.shape(t)} but x has shape {np.shape(x)}; they must match"
        )


def _log_softmax(x, axis):
    """log softmax along ``axis`` via log-sum-exp after subtracting the max (no exp overflow)."""
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


class SoftmaxWithLoss:
    """Softmax + cross-entropy, tutorial layout: classes along axis 0, one sample per column.

    x and t have shape (classes, samples) or (classes,); the loss is summed over samples.
    backward gives dout · (softmax(x) − t), which assumes each column of t sums to 1.
    """

    op = "softmax_cross_entropy"

    def __init__(self):
        self.loss = None
        self.sigma = None  # softmax output
        self.t = None  # targets

    def forward(self, x, t):
        _require_same_shape("SoftmaxWithLoss", x, t)
        x = _float(x)
        log_sigma = _log_softmax(x, axis=0)
        self.t = np.asarray(t, dtype=x.dtype)
        self.sigma = np.exp(log_sigma)
        self.loss = -np.sum(self.t * log_sigma)
        return self.loss

    def backward(self, dout=1):
        require_scalar("SoftmaxWithLoss", dout)
        # dL/dx = dout · (σ − t)
        dx = dout * (self.sigma - self.t)
        return dx


class SoftmaxWithLossRows:
    """Softmax + cross-entropy, book layout: one sample per row, loss averaged over the batch.

    x and t have shape (batch, classes) or (classes,) (a batch of one).
    backward gives dout · (softmax(x) − t) / batch, which assumes each row of t sums to 1.
    """

    op = "softmax_cross_entropy_rows"

    def __init__(self):
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # targets

    def forward(self, x, t):
        _require_same_shape("SoftmaxWithLossRows", x, t)
        x = _float(x)
        log_y = _log_softmax(x, axis=-1)
        self.t = np.asarray(t, dtype=x.dtype)
        self.y = np.exp(log_y)
        batch_size = x.shape[0] if x.ndim == 2 else 1
        self.loss = -np.sum(self.t * log_y) / batch_size
        return self.loss

    def backward(self, dout=1):
        require_scalar("SoftmaxWithLossRows", dout)
        batch_size = self.y.shape[0] if self.y.ndim == 2 else 1
        # dL/dx = dout · (y − t) / N
        dx = dout * (self.y - self.t) / batch_size
        return dx


class MSELoss:
    """Squared error L = ½ Σ (x − t)², targets t constant and of the same shape as x."""

    op = "mse"

    def __init__(self):
        self.loss = None
        self.diff = None  # x − t

    def forward(self, x, t):
        _require_same_shape("MSELoss", x, t)
        x = _float(x)
        self.diff = x - np.asarray(t, dtype=x.dtype)
        self.loss = 0.5 * np.sum(self.diff * self.diff)
        return self.loss

    def backward(self, dout=1):
        require_scalar("MSELoss", dout)
        # dL/dx = dout · (x − t)
        dx = dout * self.diff
        return dx
