"""Normalisation and dropout: BatchNorm, LayerNorm (one sample per row) and inverted Dropout.

Each layer's ``forward(x, train_flg=True)`` follows the book's switch between training and
test; BatchNorm keeps running averages for test time, Dropout draws its mask in training and
reuses it in ``backward``.
"""

import numpy as np

from ._checks import require_shape


class _RowNormalisation:
    """x (N, D) normalised over ``axis``, then scaled by gamma and shifted by beta (per
    feature, shape (D,) or (1, D)); the backward of batch and layer norm alike."""

    axis = 0

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = np.asarray(gamma), np.asarray(beta), eps
        self.xhat = self.inv_std = None
        self.dgamma = self.dbeta = None

    def _checked(self, x):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.gamma.size:
            raise ValueError(f"{type(self).__name__}: x has shape {x.shape} but "
                             f"(N, {self.gamma.size}) was expected")
        return x

    def _normalise(self, x):
        """x̂ of x over the axis with the biased variance; 1/σ kept for backward."""
        xc = x - x.mean(axis=self.axis, keepdims=True)
        self.inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=self.axis, keepdims=True) + self.eps)
        self.xhat = xc * self.inv_std
        return self.xhat

    def backward(self, dout):
        require_shape(type(self).__name__, "dout", dout, self.xhat.shape)
        # dL/dx = (1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂)) over the axis, with g = γ ⊙ dout
        # dL/dγ = Σ_n dout ⊙ x̂,  dL/dβ = Σ_n dout
        self.dbeta = dout.sum(axis=0).reshape(self.beta.shape)
        self.dgamma = (dout * self.xhat).sum(axis=0).reshape(self.gamma.shape)
        g = dout * self.gamma.reshape(1, -1)
        return self.inv_std * (g - g.mean(axis=self.axis, keepdims=True)
                               - self.xhat * (g * self.xhat).mean(axis=self.axis, keepdims=True))


class BatchNorm(_RowNormalisation):
    """Batch normalisation, one sample per row: x (N, D), gamma and beta of shape (D,) or (1, D).

    Training normalises each feature over the batch (axis 0) and updates ``running_mean`` and
    ``running_var`` as momentum·running + (1 − momentum)·batch; test mode uses them instead.
    backward returns dL/dx and sets ``self.dgamma`` and ``self.dbeta``.
    """

    op = "batchnorm"
    axis = 0

    def __init__(self, gamma, beta, momentum=0.9, eps=1e-5):
        super().__init__(gamma, beta, eps)
        self.momentum = momentum
        self.running_mean = self.running_var = None

    def forward(self, x, train_flg=True):
        x = self._checked(x)
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = np.ones(x.shape[1], dtype=x.dtype)
        if not train_flg:
            xhat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            return self.gamma * xhat + self.beta
        m = self.momentum
        self.running_mean = m * self.running_mean + (1 - m) * x.mean(axis=0)
        self.running_var = m * self.running_var + (1 - m) * x.var(axis=0)
        return self.gamma * self._normalise(x) + self.beta

    def backward(self, dout):
        # dL/dx = γ/σ·(dout − mean(dout) − x̂·mean(dout ⊙ x̂)) over axis 0
        return super().backward(dout)


class LayerNorm(_RowNormalisation):
    """Layer normalisation, one sample per row: x (N, D) normalised over its features (axis 1),
    gamma and beta of shape (D,) or (1, D); the same in training and at test time.

    backward returns dL/dx and sets ``self.dgamma`` and ``self.dbeta``.
    """

    op = "layernorm"
    axis = 1

    def forward(self, x, train_flg=True):
        return self.gamma * self._normalise(self._checked(x)) + self.beta

    def backward(self, dout):
        # dL/dx = (1/σ)·(g − mean(g) − x̂·mean(g ⊙ x̂)) over axis 1, g = γ ⊙ dout
        return super().backward(dout)


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
