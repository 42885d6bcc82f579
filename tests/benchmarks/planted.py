"""A hand-written sigmoid layer (book style) with a planted (1 + delta) factor in backward, that
counts its forward and backward calls: the layer each gradient checker is timed and tested on."""

from typing import ClassVar

import numpy as np


class PlantedSigmoid:
    op = "sigmoid"
    delta = 0.0                             # the planted relative error
    calls: ClassVar[dict] = {"forward": 0, "backward": 0}   # shared by every instance

    def __init__(self):
        self.out = None

    def forward(self, x):
        type(self).calls["forward"] += 1
        self.out = np.exp(-np.logaddexp(0, -x))
        return self.out

    def backward(self, dout):
        type(self).calls["backward"] += 1
        # dL/dx = dout · σ(1 − σ) · (1 + δ)
        return dout * (1.0 - self.out) * self.out * (1.0 + type(self).delta)

    @classmethod
    def reset(cls, delta: float = 0.0) -> None:
        cls.delta = delta
        cls.calls = {"forward": 0, "backward": 0}
