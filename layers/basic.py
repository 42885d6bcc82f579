"""The tutorial's elementary nodes: "+", "×", "/" (1/x) and "exp"."""

import numpy as np

from ._checks import require_shape, sum_to_shape


class AddLayer:
    """Addition node z = x + y: passes the upstream gradient through unchanged."""

    op = "add"

    def __init__(self):
        self.x_shape = None
        self.y_shape = None
        self.out_shape = None

    def forward(self, x, y):
        out = x + y
        self.x_shape, self.y_shape, self.out_shape = np.shape(x), np.shape(y), np.shape(out)
        return out

    def backward(self, dout):
        require_shape("AddLayer", "dout", dout, self.out_shape)
        # dL/dx = dout · 1,  dL/dy = dout · 1  (summed over broadcast axes)
        dx = sum_to_shape(dout * 1, self.x_shape)
        dy = sum_to_shape(dout * 1, self.y_shape)
        return dx, dy


class MulLayer:
    """Multiplication node z = x · y: each input gets the upstream times the *other* input."""

    op = "mul"

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x = x
        self.y = y
        out = x * y
        return out

    def backward(self, dout):
        require_shape(
            "MulLayer", "dout", dout, np.broadcast_shapes(np.shape(self.x), np.shape(self.y))
        )
        # dL/dx = dout · y,  dL/dy = dout · x  ("swap" the inputs)
        dx = sum_to_shape(dout * self.y, np.shape(self.x))
        dy = sum_to_shape(dout * self.x, np.shape(self.y))
        return dx, dy


class ReciprocalLayer:
    """The tutorial's "/" node y = 1/x; backward uses the saved output: -y²."""

    op = "reciprocal"

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / x
        return self.out

    def backward(self, dout):
        require_shape("ReciprocalLayer", "dout", dout, np.shape(self.out))
        # dL/dx = dout · (−1/x²) = −dout · y²
        dx = -dout * self.out * self.out
        return dx


class ExpLayer:
    """Exponential node y = eˣ; backward multiplies by the saved output y."""

    op = "exp"

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dout):
        require_shape("ExpLayer", "dout", dout, np.shape(self.out))
        # dL/dx = dout · eˣ = dout · y
        dx = dout * self.out
        return dx
