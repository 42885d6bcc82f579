"""Deliberately wrong elementwise layers. `caught_by` names the check that must report it;
`strict_only` marks findings that are warnings unless --strict is given."""

import numpy as np


class SigmoidMissingFactor:
    op, caught_by = "sigmoid", "backward"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out  # missing (1 - out)


class SigmoidOneEntryOff:
    op, caught_by = "sigmoid", "backward"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        dx = dout * self.out * (1 - self.out)
        dx.flat[0] *= 1.000001  # a 1e-6 relative error in one entry
        return dx


class SigmoidUsesInput:
    op, caught_by = "sigmoid", "backward"

    def forward(self, x):
        self.x = x
        return 1 / (1 + np.exp(-x))

    def backward(self, dout):
        return dout * self.x * (1 - self.x)  # x where out was meant


class SigmoidOverflow:
    op, caught_by = "sigmoid", "extreme_inputs"

    def forward(self, x):
        self.out = np.exp(x) / (1 + np.exp(x))  # inf / inf at x = 1000
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidForwardReturnsUndefined:
    op, caught_by = "sigmoid", "forward"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return out  # noqa: F821 -- the tutorial's bug

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class TanhSignFlip:
    op, caught_by = "tanh", "backward"

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return -dout * (1 - self.out ** 2)


class TanhUsesInput:
    op, caught_by = "tanh", "backward"

    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout * (1 - self.x ** 2)


class LogUsesOutput:
    op, caught_by = "log", "backward"

    def forward(self, x):
        self.out = np.log(x)
        return self.out

    def backward(self, dout):
        return dout / self.out  # out where x was meant


class ReciprocalWrongPower:
    op, caught_by = "reciprocal", "backward"

    def forward(self, x):
        self.out = 1 / x
        return self.out

    def backward(self, dout):
        return -dout * self.out  # -1/x instead of -1/x**2


class ExpIgnoresDout:
    op, caught_by = "exp", "backward"

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dout):
        return self.out * 1.0  # forgot dout


class ReluIgnoresDout:
    op, caught_by = "relu", "linearity"

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return self.mask.astype(float)


class ReluStaleMask:
    op, caught_by = "relu", "state"

    def __init__(self):
        self.mask = None

    def forward(self, x):
        if self.mask is None:  # only the first forward sets the mask
            self.mask = x <= 0
        return np.where(x <= 0, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


class ReluMutatesInput:
    op, caught_by = "relu", "side_effects"

    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0  # changes the caller's array
        return x

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


class ReluMutatesDout:
    op, caught_by, strict_only = "relu", "side_effects", True

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0  # the tutorial's in-place write
        return dout


class ReluGradientOneAtZero:
    op, caught_by, strict_only = "relu", "kink_convention", True

    def forward(self, x):
        self.mask = x < 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)  # slope 1 at x = 0


class LeakyReluWrongSlope:
    op, caught_by = "leaky_relu", "backward"

    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.01 * x, x)

    def backward(self, dout):
        return np.where(self.mask, 0.1 * dout, dout)


class SquareReturnsNone:
    op, caught_by = "square", "backward"

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dout):
        pass  # an unfilled exercise


class SquareForwardOff:
    op, caught_by = "square", "forward"

    def forward(self, x):
        self.x = x
        return x * x * 1.0001

    def backward(self, dout):
        return 2 * dout * self.x


class SquarePromotesFloat32:
    op, caught_by, strict_only = "square", "dtype_shape", True  # right values, wrong dtype

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, dout):
        return dout * np.asarray(2 * self.x, dtype=np.float64)  # float32 in, float64 out


class SqrtRaises:
    op, caught_by = "sqrt", "backward"

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, dout):
        raise ValueError("not written yet")


class SqrtHangs:
    op, caught_by = "sqrt", "backward"

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, dout):
        while True:
            pass


class SiluMissingTerm:
    op, caught_by = "silu", "backward"

    def forward(self, x):
        self.x = x
        self.s = 1 / (1 + np.exp(-x))
        return x * self.s

    def backward(self, dout):
        return dout * self.s  # misses x·σ(1 − σ)
