"""max(x, y) layers: the tie at x = y."""

import numpy as np


class Maximum:
    """(½, ½) at a tie: derive's own convention."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.maximum(x, y)

    def backward(self, dout):
        share = np.where(self.x > self.y, 1.0, np.where(self.x < self.y, 0.0, 0.5))
        return dout * share, dout * (1 - share)


class MaximumFirstWins:
    """(1, 0) at a tie: another subgradient."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.maximum(x, y)

    def backward(self, dout):
        first = self.x >= self.y
        return dout * first, dout * ~first


class MaximumNobodyWins:
    """(0, 0) at a tie: strict comparisons on both sides. Not a subgradient."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.maximum(x, y)

    def backward(self, dout):
        return dout * (self.x > self.y), dout * (self.y > self.x)
