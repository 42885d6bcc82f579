"""The usual slips in convolution and pooling backward passes, one pair (or class) each, in
the cs231n and book styles. `slip` is what the verifier's finding must say."""

import numpy as np
from book_cnn import Pooling, col2im, im2col  # siblings: the file's folder is on sys.path
from cs231n_cnn import conv_forward_naive, max_pool_forward_naive
from cs231n_rnn import lstm_step_forward


def _mark(slip, caught_by="backward"):
    def mark(function):
        function.slip, function.caught_by = slip, caught_by
        return function
    return mark


def _conv_windows(dout, cache, stride_used=None):
    """dx_pad and dw by scattering each window's upstream, at the stride given."""
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    stride = stride if stride_used is None else stride_used
    N = x.shape[0]
    F, _, HH, WW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    hs, ws = i * stride, j * stride
                    dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
    return dx_pad, dw, dout.sum(axis=(0, 2, 3))


def conv_forward_uncropped(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_param)


@_mark("padding (pad = 1) is not cropped")
def conv_backward_uncropped(dout, cache):
    return _conv_windows(dout, cache)  # dx_pad returned as dx


def conv_forward_stride1(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_param)


@_mark("stride")
def conv_backward_stride1(dout, cache):
    pad = cache[3]["pad"]
    dx_pad, dw, db = _conv_windows(dout, cache, stride_used=1)  # the stride forgotten
    return dx_pad[:, :, pad:-pad or None, pad:-pad or None], dw, db


def conv_forward_unflipped(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_param)


@_mark("unflipped")
def conv_backward_unflipped(dout, cache):
    """dx as a full correlation of the stride-dilated dout with the kernel, which must be
    flipped (w[:, :, ::-1, ::-1]); here it is not."""
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dilated = np.zeros((N, F, (H_out - 1) * stride + 1, (W_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = dout
    full = np.pad(dilated, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))
    kernel = w  # slip: should be w[:, :, ::-1, ::-1]
    dx_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(H + 2 * pad):
        for j in range(W + 2 * pad):
            dx_pad[:, :, i, j] = np.einsum("nfpq,fcpq->nc", full[:, :, i:i + HH, j:j + WW], kernel)
    _, dw, db = _conv_windows(dout, cache)
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, db


def max_pool_forward_every(x, pool_param):
    return max_pool_forward_naive(x, pool_param)


@_mark("every element of the window")
def max_pool_backward_every(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += \
                dout[:, :, i, j][:, :, None, None]
    return dx


def max_pool_forward_stride1(x, pool_param):
    return max_pool_forward_naive(x, pool_param)


@_mark("stride")
def max_pool_backward_stride1(dout, cache):
    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i:i + ph, j:j + pw]  # slip: i * stride
            flat = window.reshape(window.shape[0], window.shape[1], -1).argmax(axis=2)
            r, s = np.unravel_index(flat, (ph, pw))
            n, c = np.indices(flat.shape)
            dx[n, c, i + r, j + s] += dout[:, :, i, j]
    return dx


class PoolingToEveryElement(Pooling):
    """The book's Pooling with dout copied to every column of the window."""

    op = "max_pool2d"
    slip, caught_by = "every element of the window", "backward"

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.repeat(dout.reshape(-1, 1), pool_size, axis=1)
        dx = col2im(dmax, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return dx


class ConvolutionStrideless:
    """The book's Convolution whose col2im ignores the stride."""

    op = "conv2d"
    slip, caught_by = "stride", "backward"

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = 1 + (H + 2 * self.pad - FH) // self.stride
        out_w = 1 + (W + 2 * self.pad - FW) // self.stride
        self.x, self.col = x, im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        N, _, H, W = self.x.shape
        out_h = 1 + (H + 2 * self.pad - FH) // self.stride
        out_w = 1 + (W + 2 * self.pad - FW) // self.stride
        cols = dcol.reshape(N, out_h, out_w, C, FH, FW)
        img = np.zeros((N, C, H + 2 * self.pad, W + 2 * self.pad))
        for i in range(out_h):
            for j in range(out_w):  # slip: the window starts at i, not i * stride
                img[:, :, i:i + FH, j:j + FW] += cols[:, i, j]
        return img[:, :, self.pad:self.pad + H, self.pad:self.pad + W]


def temporal_softmax_loss(x, y, mask):
    """The mask applied to the loss but forgotten in dx."""
    N, T, V = x.shape
    flat = x.reshape(N * T, V)
    probs = np.exp(flat - flat.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    rows = np.arange(N * T)
    loss = -np.sum(mask.reshape(-1) * np.log(probs[rows, y.reshape(-1)])) / N
    dx = probs.copy()
    dx[rows, y.reshape(-1)] -= 1
    return loss, (dx / N).reshape(N, T, V)


temporal_softmax_loss.slip, temporal_softmax_loss.caught_by = "ignores mask", "backward"


def lstm_step_forward_swapped(x, prev_h, prev_c, Wx, Wh, b):
    return lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)


@_mark("gate")
def lstm_step_backward_swapped(dnext_h, dnext_c, cache):
    """The input and forget gates' derivatives exchanged (di uses c, df uses g)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * prev_c * i * (1 - i), dc * g * f * (1 - f),
                    dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
