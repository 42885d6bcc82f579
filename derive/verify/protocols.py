"""The layer protocols of DESIGN.md behind one interface: `adapter.start(values) -> Run`.

- class style: `__init__(*params)`, `forward(*inputs)`, `backward(dout)` returning the input
  gradient (a tuple for several inputs), parameter gradients in attributes `d<param>`; with
  several outputs (an LSTM cell's next_h, next_c) forward returns them as a tuple, backward
  takes one upstream each and may return the parameters' gradients after the inputs' too;
- function pairs (cs231n): `op_forward(*inputs, *params[, config]) -> (out, cache)` and
  `op_backward(dout, cache) -> grads`; integer constants the function does not take by name go
  into the config dict under their catalog keys (conv_param {stride, pad}, pool_param
  {pool_height, pool_width, stride});
- loss functions (cs231n): `op_loss(x, y) -> (loss, dx)`, dx meant for dout = 1.

Arguments are matched to the operator's names (inputs and constants) case-insensitively, else
by position. A protocol breach (None returned, the wrong number of gradients) is a ProtocolError.
"""

from __future__ import annotations

import inspect

import numpy as np

from derive.verify import modes
from derive.verify.outputs import joined, split
from derive.verify.spelling import assigned_attributes, returned_names, student_labels


class ProtocolError(Exception):
    """The layer does not follow its protocol; the message says how."""


class NotImplementedLayer(ProtocolError):
    """An unfilled exercise: a method that returns None."""


class ForwardOnly(ProtocolError):
    """A function named like a loss that returns only the loss (no dx): nothing to verify."""


def _positional(func, skip_self: bool) -> list[inspect.Parameter]:
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return []
    params = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return params[1:] if skip_self and params and params[0].name in ("self", "cls") else params


def _has_varargs(func) -> bool:
    try:
        return any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False


def _match(arg_names: list[str], names: list[str]) -> list[str] | None:
    """The operator name for each argument, by case-insensitive name (the others by position
    among the names left), else by position."""
    lower = {n.lower(): n for n in names}
    if all(a.lower() in lower for a in arg_names):
        return [lower[a.lower()] for a in arg_names]
    by_name = [lower.get(a.lower()) for a in arg_names]
    rest = [n for n in names if n not in by_name]
    if any(by_name) and sum(m is None for m in by_name) <= len(rest):
        # word_embedding_forward(x, W): W by name, x the name left (ids)
        return [m if m is not None else rest.pop(0) for m in by_name]
    if len(arg_names) <= len(names):
        return names[:len(arg_names)]
    return None


def _copy(values: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in values.items()}


def _scalar(value):
    """A 0-d integer array as a Python int (a stride a layer passes to range()), else value."""
    array = np.asarray(value)
    return array.item() if array.ndim == 0 and array.dtype.kind in "iu" else value


def numeric(value, what: str):
    """`value` when it is a number or an array of numbers; else NotImplementedLayer (None)
    or ProtocolError naming what came back (a str, a dict, a generator...)."""
    if value is None:
        raise NotImplementedLayer(f"{what} is None")
    try:
        kind = np.asarray(value).dtype.kind
    except Exception:  # noqa: BLE001  (a ragged list, an object whose __array__ raises)
        kind = "O"
    if kind not in "biufc":
        raise ProtocolError(f"{what} is a {type(value).__name__}, not an array of numbers")
    return value


def _grads_tuple(result, names: list[str], what: str) -> list:
    """One gradient per name from what `what` returned; None anywhere is not implemented."""
    count = len(names)
    if result is None:
        raise NotImplementedLayer(f"{what} returned None")
    if count == 1:
        if isinstance(result, (tuple, list)):
            if len(result) != 1:
                raise ProtocolError(f"{what} returned {len(result)} values but the layer has "
                                    "1 input: return just its gradient")
            result = result[0]
        return [numeric(result, f"the d{names[0]} that {what} returned")]
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = len(result) if isinstance(result, (tuple, list)) else 1
        raise ProtocolError(f"{what} returned {got} gradient(s) but the layer has {count} "
                            "inputs: return one gradient per input, as a tuple")
    return [numeric(g, f"gradient {k} of {count} that {what} returned")
            for k, g in enumerate(result, start=1)]


def _several(out, count: int, what: str) -> list:
    """forward's result as a list of `count` arrays (a tuple for several outputs)."""
    if count == 1:
        return [numeric(out, f"the output of {what}")]
    if not isinstance(out, (tuple, list)) or len(out) != count:
        got = len(out) if isinstance(out, (tuple, list)) else 1
        raise ProtocolError(f"{what} returned {got} value(s) but the operator has {count} "
                            "outputs: return them as a tuple, in order")
    if any(o is None for o in out):
        raise NotImplementedLayer(f"{what} returned None for an output")
    return [numeric(o, f"output {k} of {count} that {what} returned")
            for k, o in enumerate(out, start=1)]


class Run:
    """One forward pass on a fresh layer; `backward(dout)` gives every gradient by name."""

    def __init__(self, out, backward):
        self.out = out
        self._backward = backward

    def backward(self, dout) -> dict:
        return self._backward(dout)


class ClassAdapter:
    """A class with forward/backward, parameters passed to __init__, gradients in d<param>."""

    kind = "class"
    assumes_unit_dout = False

    def __init__(self, cls, inputs: list[str], constants: list[str], protocol=None,
                 outputs: int = 1):
        self.cls, self.outputs = cls, outputs
        self.protocol, self.mode, self.state = protocol or {}, "train", {}
        self.drawn = list(self.protocol.get("drawn", ()))
        self.flag = modes.mode_flag(cls.forward)
        forward_args = [p.name for p in _positional(cls.forward, True) if p.name != self.flag]
        own_init = cls.__init__ is not object.__init__
        params = _positional(cls.__init__, True) if own_init else []
        init_args = [p.name for p in params if p.default is p.empty]
        optional = modes.optional_constants(self.protocol) - {*forward_args, *init_args}
        names = [*inputs, *(c for c in constants if c not in optional)]
        lower = {spelling: n for n in names for spelling in _spellings(n)}
        self.sizes = [a for a in init_args if a.lower() not in lower]
        self.init = [(a, lower[a.lower()]) for a in init_args if a.lower() in lower]
        # Convolution(W, b, stride=1, pad=0): a constant __init__ takes with a default
        self.init_keywords = [(p.name, lower[p.name.lower()]) for p in params
                              if p.default is not p.empty and lower.get(p.name.lower())
                              in constants]
        taken = {d for _, d in [*self.init, *self.init_keywords]}
        rest = [n for n in names if n not in taken]
        matched = _match(forward_args[:len(rest)], rest) if forward_args else []
        fits = matched and (len(matched) == len(rest) or self.sizes)
        self.forward_names = matched if fits else rest
        # Dense(n_in, n_out) style: __init__ takes sizes and creates the parameters itself
        self.attrs = [n for n in rest if n not in self.forward_names] if self.sizes else []
        if self.sizes and not self.attrs:
            raise ProtocolError(f"__init__ needs {', '.join(self.sizes)}, which the operator "
                                f"does not have (its names: {', '.join(names)})")
        self.grad_names = [n for n in self.forward_names if n in inputs]
        self.param_attrs = [("d" + a, d) for a, d in self.init if d in inputs]
        self.param_attrs += [("d" + d, d) for d in self.attrs if d in inputs]
        # a loss layer may define backward(self) with no dout at all
        self.takes_dout = bool(_positional(cls.backward, True)) or _has_varargs(cls.backward)
        spelled = dict(zip(self.forward_names, forward_args)) if matched == self.forward_names \
            else {}
        spelled.update({d: a for a, d in self.init})
        self.spelled = spelled
        self.labels = student_labels(spelled, returned_names(cls.backward, len(self.grad_names)),
                                     self.grad_names)
        assigned = assigned_attributes(cls.backward)
        for attr, name in self.param_attrs:
            own = next((a for a in assigned if a.lower() == attr.lower()), None)
            self.labels[name] = own or attr

    def start(self, values: dict, copy: bool = True, warmup: dict | None = None,
              layer=None) -> Run:
        given, values = values, _copy(values) if copy else values
        layer = self._construct(values) if layer is None else layer  # reused: state persists
        for name, value in self.state.items():  # running statistics set by a check
            setattr(layer, name, np.array(value, copy=True))
        flag = {self.flag: self.mode == "train"} if self.flag else {}
        try:
            if warmup is not None:
                layer.forward(*[_copy(warmup)[n] for n in self.forward_names], **flag)
            modes.seed_draws(self.drawn)
            out = layer.forward(*[values[n] for n in self.forward_names], **flag)
        except Exception as exc:
            exc.derive_layer = layer  # lets the message suggest self.<name> for a NameError
            raise
        if out is None:
            out = getattr(layer, "output", None)  # nnfs.io style: forward sets self.output
        if out is None:
            raise NotImplementedLayer("forward returned None")
        outs = _several(out, self.outputs, "forward")
        out = outs[0] if self.outputs == 1 else joined(outs)
        modes.recover_drawn(self.drawn, given, layer, values.get(self.forward_names[0]), out)

        def backward(dout):
            upstreams = (dout,) if self.outputs == 1 else split(dout, [np.shape(o)
                                                                     for o in outs])
            result = layer.backward(*upstreams) if self.takes_dout else layer.backward()
            if result is None and len(self.grad_names) == 1:
                result = getattr(layer, "dinputs", None)  # nnfs.io: backward sets self.dinputs
            names = self.grad_names
            every = [*names, *(name for _, name in self.param_attrs)]
            if self.outputs > 1 and isinstance(result, (tuple, list)) and \
                    len(result) == len(every) > len(names):  # PyTorch style: every gradient
                return dict(zip(every, _grads_tuple(result, every, "backward")))
            grads = dict(zip(names, _grads_tuple(result, names, "backward")))
            for attr, name in self.param_attrs:
                own = getattr(self, "own_names", {}).get(attr, attr)
                value = _attribute(layer, own)
                if value is None and not _has_attribute(layer, own):
                    raise ProtocolError(f"after backward the layer has no gradient attribute "
                                        f"{attr} (the gradient for parameter {name})")
                grads[name] = numeric(value, f"self.{own} after backward")
            return grads

        run = Run(out, backward)
        run.layer = layer
        return run

    def _construct(self, values: dict):
        keywords = {a: _scalar(values[d]) for a, d in self.init_keywords}
        if not self.sizes:
            return self.cls(*[_scalar(values[d]) for _, d in self.init], **keywords)
        dims = []
        self.own_names = {}
        for name in self.attrs:  # the parameters' sizes, in order: W (n_in, n_out) -> n_in, n_out
            dims += [d for d in np.shape(values[name]) if d != 1 and d not in dims]
        if len(dims) < len(self.sizes):
            raise ProtocolError(f"__init__ needs {', '.join(self.sizes)}, more sizes than the "
                                f"parameters {', '.join(self.attrs)} have")
        by_position = dict(zip(self.sizes, dims))
        given = {a: values[d] for a, d in self.init}
        init_args = [p.name for p in _positional(self.cls.__init__, True) if p.default is p.empty]
        layer = self.cls(*[by_position[a] if a in by_position else given[a] for a in init_args],
                         **keywords)
        for name in self.attrs:
            own = next((a for a in vars(layer) if a.lower() in _spellings(name)), None)
            if own is None:
                raise ProtocolError(f"__init__ takes sizes ({', '.join(self.sizes)}) but the "
                                    f"layer has no attribute {name} afterwards to set")
            setattr(layer, own, values[name])
            self.own_names["d" + name] = "d" + own
        return layer


# how layers commonly spell a parameter: W as w, weights or weight; b as biases or bias
SPELLINGS = {"w": ("weights", "weight"), "b": ("biases", "bias")}


def _spellings(name: str) -> tuple[str, ...]:
    return (name.lower(), *SPELLINGS.get(name.lower(), ()))


def _has_attribute(layer, attr: str) -> bool:
    return hasattr(layer, attr) or any(a.lower() == attr.lower() for a in vars(layer))


def _attribute(layer, attr: str):
    """layer.<attr>, else the one attribute spelled so but for case (dw for dW), else None."""
    value = getattr(layer, attr, None)
    if value is None:
        found = [a for a in vars(layer) if a.lower() == attr.lower()]
        value = getattr(layer, found[0]) if len(found) == 1 else None
    return value


class PairAdapter:
    """cs231n style: `op_forward(...) -> (out, cache)` and `op_backward(dout, cache)`."""

    kind = "pair"
    assumes_unit_dout = False

    def __init__(self, forward, backward, inputs: list[str], constants: list[str],
                 config_keys: dict | None = None, outputs: int = 1, protocol=None):
        self.forward, self.backward, self.outputs = forward, backward, outputs
        self.protocol, self.mode, self.state, self.config_used = protocol or {}, "train", {}, None
        self.drawn = list(self.protocol.get("drawn", ()))
        params = _positional(forward, False)
        required = [p.name for p in params if p.default is p.empty]
        taken = {a.lower() for a in required}
        # constants the function does not take by name travel in its config dict
        self.in_config = {n: k for n, k in (config_keys or {}).items()
                          if n.lower() not in taken and k.lower() not in taken}
        optional = modes.optional_constants(self.protocol) - set(required)
        names = [*inputs, *(c for c in constants if c not in optional and c not in self.in_config)]
        self.config_constants = [c for c in constants if c in optional and c not in self.drawn]
        matched = _match(required[:len(names)], names)
        if matched is None:
            raise ProtocolError(f"{forward.__name__} takes {len(required)} arguments but the "
                                f"operator has {len(names)} ({', '.join(names)})")
        self.forward_names = matched
        self.config = len(required) > len(names)  # a trailing config dict such as conv_param
        if self.in_config and not self.config:
            raise ProtocolError(f"{forward.__name__} takes neither {', '.join(self.in_config)} "
                                "nor a config dict (such as conv_param) that holds them")
        self.grad_names = [n for n in matched if n in inputs]
        self.spelled = dict(zip(matched, required))
        self.labels = student_labels(self.spelled,
                                     returned_names(backward, len(self.grad_names)),
                                     self.grad_names)

    def start(self, values: dict, copy: bool = True, warmup: dict | None = None,
              layer=None) -> Run:
        given, values = values, _copy(values) if copy else values
        config = modes.config_dict(self.protocol, values, self.config_constants, self.mode,
                                   self.state)
        config.update({key: _scalar(values[n]) for n, key in self.in_config.items()})
        self.config_used = config
        args = [values[n] for n in self.forward_names] + ([config] if self.config else [])
        modes.seed_draws(self.drawn)
        result = self.forward(*args)
        if result is None:
            raise NotImplementedLayer(f"{self.forward.__name__} returned None")
        if not isinstance(result, tuple) or len(result) != self.outputs + 1:
            shape = "(out, cache)" if self.outputs == 1 else \
                f"({self.outputs} outputs, then the cache)"
            raise ProtocolError(f"{self.forward.__name__} must return {shape}")
        *outs, cache = result
        if any(o is None for o in outs):
            raise NotImplementedLayer(f"{self.forward.__name__} returned None for out")
        outs = [numeric(o, f"the out that {self.forward.__name__} returned") for o in outs]
        out = outs[0] if self.outputs == 1 else joined(outs)
        modes.recover_drawn(self.drawn, given, cache, values.get(self.forward_names[0]), out)

        def backward(dout):
            upstreams = (dout,) if self.outputs == 1 else split(dout, [np.shape(o)
                                                                     for o in outs])
            grads = self.backward(*upstreams, cache)
            return dict(zip(self.grad_names, _grads_tuple(grads, self.grad_names,
                                                          self.backward.__name__)))

        return Run(out, backward)
