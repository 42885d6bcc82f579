"""The cs231n loss-function protocol: `op_loss(x, y) -> (loss, dx)`, dx meant for dout = 1
(the other protocols are in derive.verify.protocols)."""

from __future__ import annotations

from derive.verify.protocols import (
    ForwardOnly,
    NotImplementedLayer,
    ProtocolError,
    Run,
    _copy,
    _positional,
    numeric,
)
from derive.verify.spelling import returned_names, student_labels


class LossFunctionAdapter:
    """cs231n loss style: `op_loss(x, y) -> (loss, dx)`, dx for dout = 1."""

    kind = "loss"
    assumes_unit_dout = True

    def __init__(self, func, inputs: list[str], constants: list[str]):
        self.func = func
        self.forward_names = [*inputs, *constants]
        self.grad_names = list(inputs)
        params = [p.name for p in _positional(func, False)]
        if len(params) < len(self.forward_names):
            raise ProtocolError(f"{func.__name__} takes fewer arguments than the operator's "
                                f"{', '.join(self.forward_names)}")
        self.spelled = dict(zip(self.forward_names, params))
        self.labels = student_labels(self.spelled,
                                     returned_names(func, len(self.grad_names), skip=1),
                                     self.grad_names)

    def start(self, values: dict, copy: bool = True, warmup: dict | None = None,
              layer=None) -> Run:
        values = _copy(values) if copy else values
        result = self.func(*[values[n] for n in self.forward_names])
        if result is None:
            raise NotImplementedLayer(f"{self.func.__name__} returned None")
        if not isinstance(result, (tuple, list)):
            raise ForwardOnly(f"{self.func.__name__} returns the loss alone, not (loss, "
                              f"{', '.join('d' + n for n in self.grad_names)}): a forward-only "
                              "function, it has no backward to verify")
        if len(result) != len(self.grad_names) + 1:
            raise ProtocolError(f"{self.func.__name__} must return (loss, "
                                f"{', '.join('d' + n for n in self.grad_names)})")
        loss, *grads = result
        if loss is None:
            raise NotImplementedLayer(f"{self.func.__name__} returned None for the loss")
        loss = numeric(loss, f"the loss that {self.func.__name__} returned")
        grads = [numeric(g, f"the {self.labels.get(n, 'd' + n)} that {self.func.__name__} "
                            "returned") for n, g in zip(self.grad_names, grads)]
        return Run(loss, lambda dout: dict(zip(self.grad_names, grads)))
