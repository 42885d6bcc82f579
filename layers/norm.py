"""Normalisation and dropout: BatchNorm, LayerNorm (one sample per row) and inverted Dropout.

Each layer's ``forward(x, train_flg=True)`` follows the book's switch between training and
test; BatchNorm keeps running averages for test time, Dropout draws its mask in training and
reuses it in ``backward``.
"""

import numpy as np

from ._checks import require_shape


def _normalised(x, axis, eps):
    """(xhat, 1/σ) of x over ``axis`` with the biased variance, σ = √(var + ε)."""
    mu = x.mean(axis=axis, keepdims=True)
    xc = x - mu
    inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=axis, keepdims=True) + eps)
    return xc * inv_std, inv_std


def _compact_dx(dxhat, xhat, inv_std, axis):
    """dx = (1/σ)·(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂)) over the normalised axis."""
    return inv_std * (dxhat - dxhat.mean(axis=axis, keepdims=True)
                      - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True))


class BatchNorm:
    """Batch normalisation, one sample per row: x (N, D), gamma and beta of shape (D,) or (1, D).

    Training normalises each feature over the batch (axis 0) and updates ``running_mean`` and
    ``running_var`` as momentum·running + (1 − momentum)·batch; test mode uses them instead.
    backward returns dL/dx and sets ``self.dgamma`` and ``self.dbeta``.
    """

    op = "batchnorm"

    def __init__(self, gamma, beta, momentum=0.9, eps=1e-5):
        self.gamma, self.beta = np.asarray(gamma), np.asarray(beta)
        self.momentum, self.eps = momentum, eps
        self.running_mean = self.running_var = None
        self.xhat = self.inv_std = None
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.gamma.size:
            raise ValueError(f"BatchNorm: x has shape {x.shape} but (N, {self.gamma.size}) "
                             "was expected")
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = np.ones(x.shape[1], dtype=x.dtype)
        if train_flg:
            self.xhat, self.inv_std = _normalised(x, 0, self.eps)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * x.mean(axis=0)
            self.running_var = m * self.running_var + (1 - m) * x.var(axis=0)
            xhat = self.xhat
        else:
            xhat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * xhat + self.beta

    def backward(self, dout):
        require_shape("BatchNorm", "dout", dout, self.xhat.shape)
        # dL/dx = γ/σ·(dout − mean(dout) − x̂·mean(dout ⊙ x̂)) over axis 0
        # dL/dγ = Σ_n dout ⊙ x̂,  dL/dβ = Σ_n dout
        self.dbeta = dout.sum(axis=0).reshape(self.beta.shape)
        self.dgamma = (dout * self.xhat).sum(axis=0).reshape(self.gamma.shape)
        return _compact_dx(dout * self.gamma.reshape(1, -1), self.xhat, self.inv_std, 0)


class LayerNorm:
    """Layer normalisation, one sample per row: x (N, D) normalised over its features (axis 1),
    gamma and beta of shape (D,) or (1, D); the same in training and at test time.

    backward returns dL/dx and sets ``self.dgamma`` and ``self.dbeta``.
    """

    op = "layernorm"

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = np.asarray(gamma), np.asarray(beta), eps
        self.xhat = self.inv_std = None
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.gamma.size:
            raise ValueError(f"LayerNorm: x has shape {x.shape} but (N, {self.gamma.size}) "
                             "was expected")
        self.xhat, self.inv_std = _normalised(x, 1, self.eps)
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        require_shape("LayerNorm", "dout", dout, self.xhat.shape)
        # dL/dx = (1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂)) over axis 1, with g = γ ⊙ dout
        # dL/dγ = Σ_n dout ⊙ x̂,  dL/dβ = Σ_n dout
        self.dbeta = dout.sum(axis=0).reshape(self.beta.shape)
        self.dgamma = (dout * self.xhat).sum(axis=0).reshape(self.gamma.shape)
        return _compact_dx(dout * self.gamma.reshape(1, -1), self.xhat, self.inv_std, 1)


class Dropout:
    """Inverted dropout: in training each unit is dropped with probability ``dropout_ratio``
    and the kept ones are scaled by 1/(1 − ratio), so test mode is the identity.

    backward multiplies dout by the mask drawn in the last training forward.
    """

    op = "dropout"

    def __init__(self, dropout_ratio=0.5):
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f"Dropout: dropout_ratio is {dropout_ratio}; it must be in [0, 1)")
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        x = np.asarray(x)
        if not train_flg:
            self.mask = np.ones_like(x)
            return x.copy()
        keep = 1.0 - self.dropout_ratio
        self.mask = ((np.random.rand(*x.shape) < keep) / keep).astype(x.dtype)
        return x * self.mask

    def backward(self, dout):
        require_shape("Dropout", "dout", dout, self.mask.shape)
        # dL/dx = dout ⊙ mask (the mask of the forward pass, already scaled)
        dx = dout * self.mask
        return dx
