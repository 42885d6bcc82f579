"""LSTM cells as classes whose forward returns two outputs (next_h, next_c) and whose backward
takes one upstream each: the book's style (gradients of the weights in attributes) and the
PyTorch-like style (backward returns every gradient). cs231n's gate order i, f, o, g."""

import numpy as np


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class LSTMCell:
    """Book style: LSTMCell(Wx, Wh, b); forward(x, h_prev, c_prev) -> (h_next, c_next);
    backward(dh_next, dc_next) -> (dx, dh_prev, dc_prev), self.dWx, self.dWh, self.db."""

    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        H = h_prev.shape[1]
        A = x @ self.Wx + h_prev @ self.Wh + self.b
        i, f = _sigmoid(A[:, :H]), _sigmoid(A[:, H:2 * H])
        o, g = _sigmoid(A[:, 2 * H:3 * H]), np.tanh(A[:, 3 * H:])
        c_next = f * c_prev + i * g
        h_next = o * np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, i, f, o, g, c_next)
        return h_next, c_next

    def gate_gradients(self, dh_next, dc_next):
        _, _, c_prev, i, f, o, g, c_next = self.cache
        tanh_c = np.tanh(c_next)
        dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
        return dc, np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                              dh_next * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)])

    def backward(self, dh_next, dc_next):
        x, h_prev, _, _, f, _, _, _ = self.cache
        dc, dA = self.gate_gradients(dh_next, dc_next)
        self.dWx, self.dWh, self.db = x.T @ dA, h_prev.T @ dA, dA.sum(axis=0)
        return dA @ self.Wx.T, dA @ self.Wh.T, dc * f


class TorchStyleLSTMCell(LSTMCell):
    """PyTorch-like: backward returns the inputs' and the weights' gradients together."""

    op = "lstm_step"

    def backward(self, dh_next, dc_next):
        x, h_prev, _, _, f, _, _, _ = self.cache
        dc, dA = self.gate_gradients(dh_next, dc_next)
        return (dA @ self.Wx.T, dA @ self.Wh.T, dc * f, x.T @ dA, h_prev.T @ dA,
                dA.sum(axis=0))
