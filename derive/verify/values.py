"""Scalar autograd values, micrograd style: `Value(data)` with `.grad` and `._backward()`.

A class whose `__init__` takes `data` and which has `backward` but no `forward` (Karpathy's
micrograd `Value`) offers one candidate per operation it defines: `tanh`, `exp`, `relu`, ...
by name, `__add__`, `__mul__`, `__truediv__` as add, mul, div. The adapter applies the
operation entrywise to fresh values, sets `out.grad = dout` and calls `out._backward()` (only the
operation's own step, as the graph's `backward()` would), then reads each input's `.grad`.
"""

from __future__ import annotations

import inspect

import numpy as np

from derive.verify.protocols import ProtocolError, Run

DUNDER_OPS = {"__add__": "add", "__mul__": "mul", "__truediv__": "div"}


def is_value_class(cls) -> bool:
    """A micrograd-style value: __init__(self, data, ...), a backward and no forward."""
    if not inspect.isclass(cls) or callable(getattr(cls, "forward", None)):
        return False
    if not callable(getattr(cls, "backward", None)):
        return False
    try:
        params = list(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return False
    return params[1:2] == ["data"]


def value_operations(cls, known: set[str]) -> list[tuple[str, str]]:
    """(method name, catalog operator) for every operation the class defines itself."""
    found = []
    for method, value in vars(cls).items():
        if not callable(value):
            continue
        op = DUNDER_OPS.get(method, method if not method.startswith("_") else None)
        if op in known:
            found.append((method, op))
    return found


class ValueAdapter:
    """Entrywise scalar values: out[i] = op(Value(x[i]), ...), grads from out._backward()."""

    kind = "value"
    assumes_unit_dout = False

    def __init__(self, cls, method: str, inputs: list[str], constants: list[str]):
        if constants or not 1 <= len(inputs) <= 2:
            raise ProtocolError(f"{cls.__name__}.{method} is an operation on values, not one "
                                f"with constants ({', '.join(constants)})")
        self.cls, self.method = cls, method
        self.forward_names = self.grad_names = list(inputs)

    def start(self, values: dict, copy: bool = True, warmup: dict | None = None,
              layer=None) -> Run:
        arrays = np.broadcast_arrays(*[np.asarray(values[n]) for n in self.forward_names])
        dtype = np.result_type(*arrays)
        dtype = dtype if np.issubdtype(dtype, np.floating) else np.float64
        nodes = {}
        out = np.empty(arrays[0].shape, dtype=dtype)
        for index in np.ndindex(out.shape):
            inputs = [self.cls(float(a[index])) for a in arrays]
            try:
                result = getattr(inputs[0], self.method)(*inputs[1:])
            except OverflowError:  # math.exp(1000): what NumPy would give as inf or nan
                out[index] = np.nan
                continue
            if result is None:
                raise ProtocolError(f"{self.cls.__name__}.{self.method} returned None")
            out[index] = result.data
            nodes[index] = (inputs, result)

        def backward(dout):
            dout = np.broadcast_to(np.asarray(dout, dtype=float), out.shape)
            grads = {n: np.full(out.shape, np.nan, dtype=dtype) for n in self.grad_names}
            for index, (inputs, result) in nodes.items():
                try:
                    _backpropagate(result, float(dout[index]), self.method)
                except OverflowError:
                    continue
                for name, node in zip(self.grad_names, inputs):
                    grads[name][index] = node.grad
            return grads

        return Run(out, backward)


def _backpropagate(result, dout: float, method: str) -> None:
    """out.grad = dout, then every node's own `_backward()` from the output down (the graph of
    `_prev` children in reverse topological order, as micrograd's `backward()` but with dout)."""
    order, seen, stack = [], set(), [(result, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in getattr(node, "_prev", ()))
    for node in order:
        node.grad = 0.0
    result.grad = dout
    for node in reversed(order):
        step = getattr(node, "_backward", None)
        if not callable(step):
            raise ProtocolError(f"{method} gives a value without _backward(); set out._backward")
        step()
