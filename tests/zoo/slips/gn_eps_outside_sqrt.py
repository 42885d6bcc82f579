"""cs231n spatial group norm with epsilon outside the square root: std = sqrt(var) + eps."""


import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, C // G, H, W)
    mean = x_groups.mean(axis=(2, 3, 4), keepdims=True)
    var = x_groups.var(axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(var) + eps
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
    M = C // G * H * W
    dx = (M * dx_hat - dx_hat.sum(axis=(2, 3, 4), keepdims=True)
          - x_hat * np.sum(dx_hat * x_hat, axis=(2, 3, 4), keepdims=True)) / (M * std)
    return dx.reshape(N, C, H, W), dgamma, dbeta
