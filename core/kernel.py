"""The vectorised computation of one iteration (forward, loss, backward).

This is the single source of every number: the fast path calls it and keeps
only the gradient; the traced path calls the very same function and turns its
intermediate arrays into records.  That is why traced and fast iterations are
bit-identical.

Callers wrap it in ``np.errstate(all="ignore")``: overflow is detected by
checking finiteness of the results, never by warnings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import Loss
from .network import Network


_sum = np.add.reduce


@dataclass
class Pass:
    """Every intermediate value of one iteration on one batch of B samples.

    Attributes
    ----------
    nets : list of ndarray
        ``nets[l]`` (``(B, n_{l+1})``): net input of dense layer l+1.
    outs : list of ndarray
        ``outs[0]`` is the batch input; ``outs[l+1] = f(nets[l])``.
    loss_terms : ndarray
        ``(B, n_L)``: each output's term of the per-sample loss.
    sample_loss : ndarray
        ``(B,)``: per-sample loss (sum of its terms).
    loss : float
        Batch loss, the mean of ``sample_loss``.
    errors : list of ndarray or None
        ``errors[l]`` = ∂E_sample/∂out of layer l+1 where the chain rule goes
        through the output (``None`` for the output layer of cross-entropy or
        softmax, whose delta is computed directly).
    fprimes : list of ndarray or None
        ``fprimes[l]`` = ∂out/∂net of layer l+1 (``None`` where not element-wise).
    deltas : list of ndarray
        ``deltas[l]`` = ∂E_sample/∂net of layer l+1.
    grad : ndarray
        Flat gradient of the batch loss, laid out like ``Network.theta``.
    """

    nets: list[np.ndarray]
    outs: list[np.ndarray]
    loss_terms: np.ndarray
    sample_loss: np.ndarray
    loss: float
    errors: list[np.ndarray | None]
    fprimes: list[np.ndarray | None]
    deltas: list[np.ndarray]
    grad: np.ndarray


def forward(network: Network, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward pass of a batch *x* ``(B, n_0)``: returns ``(nets, outs)``."""
    outs = [x]
    nets = []
    a = x
    for W, b, act in zip(network.weights, network.biases, network.activations):
        z = a @ W.T + b
        a = act.forward(z)
        nets.append(z)
        outs.append(a)
    return nets, outs


def run_pass(network: Network, loss: Loss, x: np.ndarray, t: np.ndarray,
             fwd: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
             grad_out: np.ndarray | None = None) -> Pass:
    """Forward pass, loss and backward pass of one batch; no parameter changes.

    *fwd* is a forward pass of *x* at the current parameters already computed
    (it is exactly what :func:`forward` would return).  *grad_out* is a buffer
    to write the gradient into (the fast path reuses one instead of allocating).
    """
    nets, outs = fwd if fwd is not None else forward(network, x)
    L = network.n_layers
    act_out = network.activations[-1]
    terms = loss.terms(nets[-1], outs[-1], t, act_out)
    # np.add.reduce is what .sum() runs, without its Python-level wrapper (hot path)
    sample_loss = _sum(terms, 1)
    B = x.shape[0]
    batch_loss = float(_sum(sample_loss, 0) / B)

    errors: list[np.ndarray | None] = [None] * L
    fprimes: list[np.ndarray | None] = [None] * L
    deltas: list[np.ndarray] = [None] * L  # type: ignore[list-item]
    if loss.name == "mse" and act_out.elementwise:
        # δ_o = ∂E/∂out_o · ∂out_o/∂net_o, the worked example's chain.
        errors[-1] = outs[-1] - t
        fprimes[-1] = act_out.derivative(nets[-1], outs[-1])
        deltas[-1] = errors[-1] * fprimes[-1]
    else:
        deltas[-1] = loss.output_delta(nets[-1], outs[-1], t, act_out)
    for l in range(L - 2, -1, -1):
        # Hidden deltas use the weights *before* this iteration's update.
        errors[l] = deltas[l + 1] @ network.weights[l + 1]
        fprimes[l] = network.activations[l].derivative(nets[l], outs[l + 1])
        deltas[l] = errors[l] * fprimes[l]

    grad = np.empty(network.n_params, dtype=np.float64) if grad_out is None else grad_out
    sizes = network.sizes
    for l, (w0, b0, end) in enumerate(network._offsets):
        gW = grad[w0:b0].reshape(sizes[l + 1], sizes[l])  # a view: the gradient is written in place
        gb = grad[b0:end]
        np.matmul(deltas[l].T, outs[l], out=gW)
        _sum(deltas[l], 0, out=gb)
    if B != 1:
        grad /= B
    return Pass(nets, outs, terms, sample_loss, batch_loss, errors, fprimes, deltas, grad)


def mean_loss(network: Network, loss: Loss, nets: list[np.ndarray], outs: list[np.ndarray],
              t: np.ndarray) -> float:
    """Mean loss of a forward pass ``(nets, outs)`` against targets *t*."""
    sample = _sum(loss.terms(nets[-1], outs[-1], t, network.activations[-1]), 1)
    return float(_sum(sample, 0) / t.shape[0])


def dataset_loss(network: Network, loss: Loss, x: np.ndarray, t: np.ndarray) -> float:
    """Mean loss over all samples of *x*, *t* at the current parameters."""
    nets, outs = forward(network, x)
    return mean_loss(network, loss, nets, outs, t)
