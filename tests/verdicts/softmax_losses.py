"""cs231n's softmax_loss(x, y) -> (loss, dx), written four ways; the first three are correct."""

import numpy as np
import scipy.special


def softmax_loss(x, y):
    """The course's own style: shift by the max, then log of the probabilities."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(n), y])) / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def scipy_softmax_loss(x, y):
    """No max subtracted by hand: scipy's softmax does it; the log still sees a 0."""
    probs = scipy.special.softmax(x, axis=1)
    n = x.shape[0]
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def log_softmax_loss(x, y):
    """Log-probabilities computed directly: finite everywhere."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def naive_softmax_loss(x, y):
    """No max subtracted: exp overflows at large scores."""
    probs = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(n), y])) / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / n
