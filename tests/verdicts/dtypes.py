"""Layers right in float64 and wrong at another precision or dtype."""

import numpy as np


class TanhWrongInFloat32:
    """Backward is right for float64 and ×(−100) for float32."""

    op = "tanh"

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        dx = dout * (1 - self.out ** 2)
        return dx * -100 if self.out.dtype == np.float32 else dx


class TanhFloat16Output:
    """Keeps its output in float16 whatever the input."""

    op = "tanh"

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out.astype(np.float16)

    def backward(self, dout):
        return dout * (1 - self.out ** 2)


class TanhComplex:
    """Works in complex numbers: the imaginary part is 0 here, but the dtype is wrong."""

    op = "tanh"

    def forward(self, x):
        self.out = np.tanh(x + 0j)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out ** 2)


class SigmoidDowncast:
    """Computes in float32 and hands back float64: precision lost silently."""

    op = "sigmoid"

    def forward(self, x):
        small = x.astype(np.float32)
        self.out = (1 / (1 + np.exp(-small))).astype(x.dtype)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidInteger:
    """Rounds its output to integers."""

    op = "sigmoid"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return np.rint(self.out).astype(int)

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
