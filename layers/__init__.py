"""Hand-written NumPy layers in the tutorial's API: the objects that ``derive verify`` checks.

Each class has ``forward`` (caching what ``backward`` needs) and ``backward(dout)`` returning
the input gradient (a tuple for two inputs); parameter gradients go to ``dW``/``db``.
``op`` names the catalog operator the class implements. This package never imports ``derive``.
"""

from .activations import LeakyRelu, Log, Relu, Sigmoid, Softplus, Sqrt, Square, Tanh
from .affine import Affine, AffineRows
from .basic import AddLayer, ExpLayer, MulLayer, ReciprocalLayer
from .losses import MSELoss, SoftmaxWithLoss, SoftmaxWithLossRows
from .norm import BatchNorm, Dropout, LayerNorm

__all__ = [
    "AddLayer",
    "Affine",
    "AffineRows",
    "BatchNorm",
    "Dropout",
    "ExpLayer",
    "LayerNorm",
    "LeakyRelu",
    "Log",
    "MSELoss",
    "MulLayer",
    "ReciprocalLayer",
    "Relu",
    "Sigmoid",
    "SoftmaxWithLoss",
    "SoftmaxWithLossRows",
    "Softplus",
    "Sqrt",
    "Square",
    "Tanh",
]
