import numpy as np


class Sigmoid:
    def forward(self, x):
        return 1 / (1 + np.exp(-x))


def helper(x):
    return x


def softmax_forward(x):
    return np.exp(x), None
