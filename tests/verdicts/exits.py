"""Layers that try to end the process; each must get an error verdict, the rest still judged."""

import os
import sys

import numpy as np


class SigmoidSysExit:
    op = "sigmoid"

    def forward(self, x):
        sys.exit(0)

    def backward(self, dout):
        return dout


class SigmoidExitBuiltin:
    op = "sigmoid"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        exit()  # noqa: PLR1722  (the builtin, as learners write it)


class SigmoidRaisesSystemExit:
    op = "sigmoid"

    def forward(self, x):
        raise SystemExit(0)

    def backward(self, dout):
        return dout


class SigmoidOsExit:
    op = "sigmoid"

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        os._exit(0)


class Sigmoid:
    """Correct, after all the others: it must still be judged."""

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
