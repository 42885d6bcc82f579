"""Naive-loop references for the index-notation tests, written as cs231n's naive functions are:
a Python loop over every output position, independent of derive."""

import numpy as np


def conv_forward(x, w, b, stride, pad):
    N, _C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv_backward(dout, x, w, stride, pad):
    N, _C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def pool_forward(x, ph, pw, stride, reduce):
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // stride + 1, (W - pw) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = reduce(x[n, c, i * stride:i * stride + ph,
                                               j * stride:j * stride + pw])
    return out


def pool_backward(dout, x, ph, pw, stride, share):
    """Each window gets dout times share(window): a one-hot at the max, or 1/(ph·pw)."""
    dx = np.zeros_like(x)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    rows, cols = slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw)
                    dx[n, c, rows, cols] += dout[n, c, i, j] * share(x[n, c, rows, cols])
    return dx


def first_max(window):
    chosen = np.zeros_like(window)
    chosen[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return chosen


def spread(window):
    return np.full_like(window, 1.0 / window.size)


def conv1d_forward(x, w, stride, dilation):
    N, _C, L = x.shape
    F, _, K = w.shape
    Lo = (L - dilation * (K - 1) - 1) // stride + 1
    out = np.zeros((N, F, Lo))
    for n in range(N):
        for f in range(F):
            for i in range(Lo):
                for k in range(K):
                    out[n, f, i] += np.dot(w[f, :, k], x[n, :, stride * i + dilation * k])
    return out


def attention_forward(Q, K, V, mask):
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(Q.shape[-1]) + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ V
