import numpy as np


class Swish7:
    def forward(self, x):
        self.x = x
        return x / (1 + np.exp(-7 * x))

    def backward(self, dout):
        return dout
