"""Shape helpers shared by the layers: refuse silent broadcasting, undo intended broadcasting."""

import numpy as np


def require_shape(layer, what, got, expected):
    """Raise ValueError naming both shapes unless ``got`` equals ``expected``."""
    got, expected = tuple(np.shape(got)), tuple(expected)
    if got != expected:
        raise ValueError(f"{layer}: {what} has shape {got} but {expected} was expected")


def require_scalar(layer, dout):
    """Loss layers take a scalar upstream gradient."""
    if np.ndim(dout) != 0:
        raise ValueError(f"{layer}: dout has shape {np.shape(dout)} but a scalar () was expected")


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    shape = tuple(shape)
    if np.shape(grad) == shape:
        return grad
    lead = np.ndim(grad) - len(shape)
    grad = np.sum(grad, axis=tuple(range(lead))) if lead > 0 else grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(grad)[i] != 1)
    if stretched:
        grad = np.sum(grad, axis=stretched, keepdims=True)
    return np.reshape(grad, shape)
