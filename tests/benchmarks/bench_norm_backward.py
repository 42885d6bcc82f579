"""Generated batchnorm and layernorm backward vs careful hand-written NumPy, at (N, D) =
(4096, 1024), both given the same saved values (the cs231n cache: x_hat and the standard
deviation; derive's backward takes mu, var and xhat). Target: ratio ≤ 1.2."""

import numpy as np
from timing import interleaved, ratios

from derive.pipeline import derive

N, D = 4096, 1024
EPS = 1e-5


def _hand_written(axis: int):
    """The compact textbook backward, written with care (one pass per reduction)."""
    def backward(dout, x_hat, inv_std, gamma):
        n = dout.shape[axis]
        dx_hat = dout * gamma
        mean_dx_hat = dx_hat.mean(axis=axis, keepdims=True)
        mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=axis, keepdims=True)
        dx = inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)
        dgamma = (dout * x_hat).sum(axis=0, keepdims=True)
        dbeta = dout.sum(axis=0, keepdims=True)
        assert n > 1
        return dx, dgamma, dbeta
    return backward


def _saved(x, axis):
    mu = x.mean(axis=axis, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + EPS)
    return mu, var, (x - mu) * inv_std, inv_std


def test_generated_norm_backward_vs_hand_written():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D))
    gamma = rng.standard_normal((1, D))
    beta = rng.standard_normal((1, D))
    dout = rng.standard_normal((N, D))
    rows = []
    for op, axis in (("batchnorm", 0), ("layernorm", 1)):
        _, backward = derive(op).functions()
        mu, var, x_hat, inv_std = _saved(x, axis)
        hand = _hand_written(axis)
        values = {"x": x, "gamma": gamma, "beta": beta, "eps": EPS}
        saved = {"mu": mu, "var": var, "xhat": x_hat}
        ours = backward(dout, **values, **saved)
        theirs = hand(dout, x_hat, inv_std, gamma)
        for name, expected in zip(("x", "gamma", "beta"), theirs):
            assert np.allclose(ours[name], expected, rtol=1e-9, atol=1e-9), name
        timing = interleaved({
            "hand": lambda hand=hand, x_hat=x_hat, inv_std=inv_std: hand(dout, x_hat, inv_std,
                                                                         gamma),
            "derive": lambda backward=backward, values=values, saved=saved: backward(
                dout, **values, **saved),
        })
        median, worst = ratios(timing["derive"][2], timing["hand"][2])
        rows.append((op, timing["hand"][0], timing["derive"][0], median, worst))
    print(f"\n(N, D) = ({N}, {D})")
    print(f"{'operator':10} {'hand ms':>9} {'derive ms':>10} {'ratio med':>10} {'ratio max':>10}")
    for op, hand_s, ours_s, median, worst in rows:
        print(f"{op:10} {hand_s * 1e3:9.1f} {ours_s * 1e3:10.1f} {median:10.2f} {worst:10.2f}")
