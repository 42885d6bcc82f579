"""The usual slips of back-propagation through time, in cs231n's rnn_forward/rnn_backward and
lstm_forward/lstm_backward style. `slip` is what the verifier's finding must say."""

import numpy as np
from buggy_tensors import lstm_step_backward_swapped
from cs231n_rnn import lstm_forward, rnn_forward, rnn_step_backward  # siblings on sys.path
from lstm_cells import LSTMCell


def _mark(slip, caught_by="backward"):
    def mark(function):
        function.slip, function.caught_by = slip, caught_by
        return function
    return mark


def rnn_forward_unaccumulated(x, h0, Wx, Wh, b):
    return rnn_forward(x, h0, Wx, Wh, b)


@_mark("not accumulated across time")
def rnn_backward_unaccumulated(dh, cache):
    """Each step's dh[:, t] alone: the gradient from step t+1 is dropped."""
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t], cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def rnn_forward_short(x, h0, Wx, Wh, b):
    return rnn_forward(x, h0, Wx, Wh, b)


@_mark("one step short")
def rnn_backward_short(dh, cache):
    """dh0 is the upstream of the first step, not what the first step sends back."""
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dprev_h = np.zeros((N, T, D)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for t in reversed(range(T)):
        dh_t = dh[:, t] + dprev_h
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh_t, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh_t, dWx, dWh, db


def lstm_forward_swapped(x, h0, Wx, Wh, b):
    return lstm_forward(x, h0, Wx, Wh, b)


@_mark("gate")
def lstm_backward_swapped(dh, cache):
    """Over time with the step whose input and forget gate derivatives are exchanged."""
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dprev_h, dprev_c = np.zeros((N, T, D)), np.zeros((N, H)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward_swapped(
            dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_forward_uncarried(x, h0, Wx, Wh, b):
    return lstm_forward(x, h0, Wx, Wh, b)


@_mark("the state c is not accumulated across time")
def lstm_backward_uncarried(dh, cache):
    """The hidden state's gradient is carried back, the cell state's is not."""
    from cs231n_rnn import lstm_step_backward

    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dprev_h = np.zeros((N, T, D)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, _, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dprev_h, np.zeros((N, H)), cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


class SwappedGatesLSTMCell(LSTMCell):
    """The book-style cell with the input and forget gates' derivatives exchanged."""

    op = "lstm_step"
    slip, caught_by = "gate", "param_gradients"

    def gate_gradients(self, dh_next, dc_next):
        _, _, c_prev, i, f, o, g, c_next = self.cache
        tanh_c = np.tanh(c_next)
        dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
        return dc, np.hstack([dc * c_prev * i * (1 - i), dc * g * f * (1 - f),
                              dh_next * tanh_c * o * (1 - o), dc * i * (1 - g ** 2)])
