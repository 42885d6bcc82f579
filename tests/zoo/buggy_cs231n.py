"""cs231n-style function pairs with one bug each (bias b a vector of shape (M,))."""

import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache  # noqa: RUF059  (as cs231n writes it)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=1)  # sums over the outputs: shape (N,), not b's (M,)
    return dx, dw, db


affine_forward.caught_by = "backward"


def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(np.sum(np.exp(shifted_logits), axis=1, keepdims=True))
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx  # the loss is averaged but dx is not divided by N


softmax_loss.caught_by = "backward"
