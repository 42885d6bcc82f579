"""Elementwise activations, each a forward/backward pair in the tutorial's style."""

import numpy as np

from ._checks import require_shape


class Sigmoid:
    """σ(x) = 1/(1 + e⁻ˣ), computed stably; backward uses the saved output: σ(1 − σ)."""

    op = "sigmoid"

    def __init__(self):
        self.out = None

    def forward(self, x):
        # 1/(1 + e^-x) = exp(-log(1 + e^-x)); logaddexp never overflows, even at x = ±1000
        self.out = np.exp(-np.logaddexp(0, -x))
        return self.out

    def backward(self, dout):
        require_shape("Sigmoid", "dout", dout, np.shape(self.out))
        # dL/dx = dout · σ(1 − σ)
        dx = dout * (1.0 - self.out) * self.out
        return dx


class Tanh:
    """y = tanh(x); backward uses the saved output: 1 − y²."""

    op = "tanh"

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        require_shape("Tanh", "dout", dout, np.shape(self.out))
        # dL/dx = dout · (1 − y²)
        dx = dout * (1.0 - self.out * self.out)
        return dx


class Relu:
    """ReLU max(0, x); the mask x <= 0 blocks the gradient (ReLU′(0) = 0 by convention)."""

    op = "relu"

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = np.where(self.mask, 0, x)
        return out

    def backward(self, dout):
        require_shape("Relu", "dout", dout, np.shape(self.mask))
        # dL/dx = dout · [x > 0]   (a new array: dout itself is left untouched)
        dx = np.where(self.mask, 0, dout)
        return dx


class LeakyRelu:
    """Leaky ReLU: x for x > 0, 0.01·x otherwise (slope 0.01 at x = 0, like ReLU's mask)."""

    op = "leaky_relu"
    slope = 0.01

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = np.where(self.mask, self.slope * x, x)
        return out

    def backward(self, dout):
        require_shape("LeakyRelu", "dout", dout, np.shape(self.mask))
        # dL/dx = dout · (1 if x > 0 else 0.01)
        dx = np.where(self.mask, self.slope * dout, dout)
        return dx


class Softplus:
    """softplus(x) = log(1 + eˣ), computed stably; its derivative is σ(x)."""

    op = "softplus"

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        out = np.logaddexp(0, x)
        return out

    def backward(self, dout):
        require_shape("Softplus", "dout", dout, np.shape(self.x))
        # dL/dx = dout · σ(x) = dout · exp(−log(1 + e⁻ˣ))
        dx = dout * np.exp(-np.logaddexp(0, -self.x))
        return dx


class Square:
    """y = x²."""

    op = "square"

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        out = x * x
        return out

    def backward(self, dout):
        require_shape("Square", "dout", dout, np.shape(self.x))
        # dL/dx = dout · 2x
        dx = dout * 2 * self.x
        return dx


class Sqrt:
    """y = √x (x > 0); backward uses the saved output: 1/(2y)."""

    op = "sqrt"

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, dout):
        require_shape("Sqrt", "dout", dout, np.shape(self.out))
        # dL/dx = dout · 1/(2√x) = dout / (2y)
        dx = dout / (2 * self.out)
        return dx


class Log:
    """y = log(x), the natural logarithm (x > 0)."""

    op = "log"

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        out = np.log(x)
        return out

    def backward(self, dout):
        require_shape("Log", "dout", dout, np.shape(self.x))
        # dL/dx = dout / x
        dx = dout / self.x
        return dx
