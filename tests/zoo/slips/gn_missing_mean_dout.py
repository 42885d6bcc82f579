"""cs231n spatial group norm whose backward forgets the -mean(dout) term (the path through the
group mean): dx = (dx_hat - x_hat * mean(dx_hat * x_hat)) / std."""

import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, C // G, H, W)
    mean = x_groups.mean(axis=(2, 3, 4), keepdims=True)
    var = x_groups.var(axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = ((x_groups - mean) / std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, std, gamma, G)
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    x_hat, std, gamma, G = cache
    N, C, H, W = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(N, G, C // G, H, W)
    x_hat = x_hat.reshape(N, G, C // G, H, W)
    dx = (dx_hat - x_hat * np.mean(dx_hat * x_hat, axis=(2, 3, 4), keepdims=True)) / std
    return dx.reshape(N, C, H, W), dgamma, dbeta
