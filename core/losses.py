"""Loss functions, per sample, and their gradient at the output layer's net input.

The batch loss is the **mean over the samples** of the per-sample loss; the
per-sample loss of ``mse`` is ``Σ_k ½ (t_k − o_k)²`` (the worked example's
convention).  ``output_delta`` returns ``δ = ∂E_sample/∂net`` for the output
layer, taking the softmax Jacobian into account where needed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import Activation

Array = np.ndarray


def _softplus(z: Array) -> Array:
    # log(1 + e^z) without overflow: max(z, 0) + log1p(e^(−|z|)).
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _logsumexp(z: Array) -> Array:
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def mse_terms(out: Array, target: Array) -> Array:
    """Per-output terms ``½ (t − o)²`` (shape of *out*)."""
    d = target - out
    return 0.5 * d * d


def _mse_terms(net: Array, out: Array, target: Array, act: Activation) -> Array:
    return mse_terms(out, target)


def _mse_delta(net: Array, out: Array, target: Array, act: Activation) -> Array:
    g = out - target  # ∂E/∂out
    if act.derivative is not None:
        return g * act.derivative(net, out)
    # Softmax: δ = Jᵀ g with J = diag(p) − p pᵀ, i.e. p ⊙ (g − ⟨g, p⟩).
    return out * (g - (g * out).sum(axis=-1, keepdims=True))


def ce_terms(net: Array, out: Array, target: Array, act: Activation) -> Array:
    """Per-output cross-entropy terms, computed from the logits for stability."""
    if act.name == "softmax":
        return -target * (net - _logsumexp(net)[..., None])
    # Binary cross-entropy of a sigmoid output: −t log o − (1−t) log(1−o) = softplus(z) − t z.
    return _softplus(net) - target * net


def _ce_delta(net: Array, out: Array, target: Array, act: Activation) -> Array:
    # For both softmax+CE and sigmoid+BCE the gradient at the logits is o − t.
    return out - target


@dataclass(frozen=True)
class Loss:
    """A loss function.

    Attributes
    ----------
    name : str
        Identifier used in state files.
    terms : callable
        ``terms(net, out, target, act) -> (B, n_L)``: each output's share of
        the per-sample loss (the per-sample loss is their sum).
    output_delta : callable
        ``output_delta(net, out, target, act) -> (B, n_L)``: ∂E_sample/∂net.
    allowed_output : tuple of str
        Output activations this loss accepts.
    """

    name: str
    terms: Callable[..., Array]
    output_delta: Callable[..., Array]
    allowed_output: tuple[str, ...]
    description: str


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse_terms, _mse_delta,
                ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"),
                "E = Σ_k ½(t_k − o_k)² per sample, mean over the batch"),
    "cross_entropy": Loss("cross_entropy", ce_terms, _ce_delta, ("softmax", "sigmoid"),
                          "E = −Σ_k t_k log p_k (softmax) or binary cross-entropy per sigmoid output"),
}


def get_loss(name: str) -> Loss:
    """Return the loss called *name* or raise ``ValueError`` naming the choices."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; expected one of {sorted(LOSSES)}") from None
