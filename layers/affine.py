"""Affine (fully connected) layers in both layouts: the tutorial's W·X + b and the book's X·W + b."""

import numpy as np

from ._checks import require_shape


class Affine:
    """Tutorial layout Z = W·X + b: one sample per column, W of shape (n, k), b of shape (n, 1).

    X may be (k, m) for m samples or a single sample of shape (k,) (then Z has shape (n,)).
    backward returns dL/dX and sets ``self.dW`` and ``self.db`` (same shapes as W and b).
    """

    op = "affine"

    def __init__(self, W, b):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2:
            raise ValueError(f"Affine: W has shape {W.shape} but a matrix (n, k) was expected")
        if b.shape not in ((W.shape[0], 1), (W.shape[0],)):
            raise ValueError(
                f"Affine: b has shape {b.shape} but W has shape {W.shape}; "
                f"b must have shape ({W.shape[0]}, 1)"
            )
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        n, k = self.W.shape
        if np.ndim(x) not in (1, 2) or np.shape(x)[0] != k:
            raise ValueError(
                f"Affine: W has shape {self.W.shape} but x has shape {np.shape(x)}; "
                f"W @ x needs x of shape ({k}, m) or ({k},)"
            )
        self.x = x
        # a single sample (k,) gives Z of shape (n,): use b as a vector so nothing broadcasts to (n, n)
        b = self.b.reshape(n, 1) if np.ndim(x) == 2 else self.b.reshape(n)
        out = np.dot(self.W, x) + b
        return out

    def backward(self, dout):
        n = self.W.shape[0]
        require_shape("Affine", "dout", dout, (n,) + np.shape(self.x)[1:])
        # dL/dX = Wᵀ · dout,  dL/dW = dout · Xᵀ,  dL/db = Σ_columns dout
        dx = np.dot(self.W.T, dout)
        if np.ndim(self.x) == 2:
            self.dW = np.dot(dout, self.x.T)
            self.db = np.sum(dout, axis=1, keepdims=True).reshape(self.b.shape)
        else:
            self.dW = np.outer(dout, self.x)
            self.db = np.reshape(dout, self.b.shape) * 1
        return dx


class AffineRows:
    """Book layout Z = X·W + b: one sample per row, W of shape (k, n), b of shape (n,) or (1, n).

    X may be (m, k) for m samples or a single sample of shape (k,).
    backward returns dL/dX and sets ``self.dW`` and ``self.db`` (same shapes as W and b).
    """

    op = "affine_rows"

    def __init__(self, W, b):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2:
            raise ValueError(f"AffineRows: W has shape {W.shape} but a matrix (k, n) was expected")
        if b.shape not in ((W.shape[1],), (1, W.shape[1])):
            raise ValueError(
                f"AffineRows: b has shape {b.shape} but W has shape {W.shape}; "
                f"b must have shape ({W.shape[1]},) or (1, {W.shape[1]})"
            )
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        k, n = self.W.shape
        if np.ndim(x) not in (1, 2) or np.shape(x)[-1] != k:
            raise ValueError(
                f"AffineRows: x has shape {np.shape(x)} but W has shape {self.W.shape}; "
                f"x @ W needs x of shape (m, {k}) or ({k},)"
            )
        self.x = x
        out = np.dot(x, self.W) + self.b.reshape(n)
        return out

    def backward(self, dout):
        n = self.W.shape[1]
        require_shape("AffineRows", "dout", dout, np.shape(self.x)[:-1] + (n,))
        # dL/dX = dout · Wᵀ,  dL/dW = Xᵀ · dout,  dL/db = Σ_rows dout
        dx = np.dot(dout, self.W.T)
        if np.ndim(self.x) == 2:
            self.dW = np.dot(self.x.T, dout)
            self.db = np.sum(dout, axis=0).reshape(self.b.shape)
        else:
            self.dW = np.outer(self.x, dout)
            self.db = np.reshape(dout, self.b.shape) * 1
        return dx
