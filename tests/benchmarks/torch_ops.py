"""The PyTorch equivalent of each catalog operator (the one place operators are named here:
a torch expression has to be written for each), timed as autograd's backward pass."""

from __future__ import annotations

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the rows say so; torch is the optional extra derive[bench]
    torch = None


def _svm_hinge(v):
    x, t = v["x"], v["t"]
    margins = torch.relu(x - (t * x).sum(dim=1, keepdim=True) + 1)
    return ((1 - t) * margins).sum(dim=1).mean()


# catalog name -> function of {name: tensor} giving the forward output
TORCH_EXPRESSIONS = {
    "add": lambda v: v["x"] + v["y"],
    "mul": lambda v: v["x"] * v["y"],
    "div": lambda v: v["x"] / v["y"],
    "reciprocal": lambda v: torch.reciprocal(v["x"]),
    "exp": lambda v: torch.exp(v["x"]),
    "log": lambda v: torch.log(v["x"]),
    "pow": lambda v: torch.pow(v["x"], v["y"]),
    "sigmoid": lambda v: torch.sigmoid(v["x"]),
    "tanh": lambda v: torch.tanh(v["x"]),
    "relu": lambda v: torch.relu(v["x"]),
    "leaky_relu": lambda v: F.leaky_relu(v["x"], 0.01),
    "softplus": lambda v: F.softplus(v["x"]),
    "elu": lambda v: F.elu(v["x"]),
    "gelu": lambda v: F.gelu(v["x"]),
    "silu": lambda v: F.silu(v["x"]),
    "softsign": lambda v: F.softsign(v["x"]),
    "square": lambda v: torch.square(v["x"]),
    "sqrt": lambda v: torch.sqrt(v["x"]),
    "mse": lambda v: ((v["x"] - v["t"]) ** 2).sum() / 2,
    "mse_mean": lambda v: F.mse_loss(v["x"], v["t"]),
    "affine": lambda v: v["W"] @ v["X"] + v["b"],
    "affine_rows": lambda v: v["X"] @ v["W"] + v["b"],
    "softmax": lambda v: torch.softmax(v["x"], dim=1),
    "softmax_cross_entropy": lambda v: -(v["t"] * F.log_softmax(v["x"], dim=0)).sum(),
    "softmax_cross_entropy_rows": lambda v: F.cross_entropy(v["x"], v["t"]),
    "svm_hinge": _svm_hinge,
    "batchnorm": lambda v: F.batch_norm(v["x"], None, None, v["gamma"], v["beta"],
                                        training=True, eps=float(v.get("eps", 1e-5))),
    "conv2d": lambda v: F.conv2d(v["x"], v["w"], v["b"], stride=int(v["stride"]),
                                 padding=int(v["pad"])),
}


def unavailable(name: str) -> str | None:
    """Why the operator has no PyTorch column, or None."""
    if torch is None:
        return "torch not installed (pip install 'derive[bench]')"
    if name not in TORCH_EXPRESSIONS:
        return f"no torch expression for '{name}' in torch_ops.py"
    return None


def torch_backward(case):
    """A thunk running autograd's backward for the case (same values, same dout)."""
    d = case.derivation
    tensors = {n: torch.tensor(v, dtype=torch.float64, requires_grad=n in d.inputs)
               if hasattr(v, "shape") else v for n, v in case.values.items()}
    out = TORCH_EXPRESSIONS[case.name](tensors)
    dout = torch.as_tensor(case.dout, dtype=torch.float64).reshape(out.shape)
    inputs = [tensors[n] for n in d.inputs]
    return lambda: torch.autograd.grad(out, inputs, dout, retain_graph=True)
