"""An independent scalar reference for the loss, used only by tests.

Plain Python per sample, per neuron: shares no code with the engine's kernel.
"""
import math


def act(name, z):
    if name == "sigmoid":
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return max(0.0, z)
    if name == "leaky_relu":
        return z if z > 0 else 0.01 * z
    if name == "linear":
        return z
    raise ValueError(name)


def batch_loss(sizes, acts, theta, X, T, loss):
    """Mean per-sample loss, from a flat parameter list laid out row-major, weights then biases per layer."""
    total = 0.0
    for x, t in zip(X, T):
        a = list(x)
        pos = 0
        nets = None
        for l in range(len(sizes) - 1):
            n_in, n_out = sizes[l], sizes[l + 1]
            W = theta[pos:pos + n_in * n_out]
            pos += n_in * n_out
            b = theta[pos:pos + n_out]
            pos += n_out
            nets = [sum(W[j * n_in + i] * a[i] for i in range(n_in)) + b[j] for j in range(n_out)]
            if acts[l] == "softmax":
                m = max(nets)
                e = [math.exp(z - m) for z in nets]
                s = sum(e)
                a = [v / s for v in e]
            else:
                a = [act(acts[l], z) for z in nets]
        if loss == "mse":
            total += sum(0.5 * (tk - ok) ** 2 for tk, ok in zip(t, a))
        elif acts[-1] == "softmax":
            # log p_k = z_k − log Σ e^z, from the logits so saturation loses nothing
            m = max(nets)
            lse = m + math.log(sum(math.exp(z - m) for z in nets))
            total += -sum(tk * (z - lse) for tk, z in zip(t, nets))
        else:
            # log σ(z) = −log(1 + e^−z), log(1 − σ(z)) = −log(1 + e^z)
            def log1pexp(u):
                return u + math.log1p(math.exp(-u)) if u > 0 else math.log1p(math.exp(u))
            total += sum(tk * log1pexp(-z) + (1 - tk) * log1pexp(z) for tk, z in zip(t, nets))
    return total / len(X)
