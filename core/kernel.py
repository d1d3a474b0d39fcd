"""The vectorised forward, loss and backward pass of one batch: the single source of every number.

The fast path calls :func:`run_pass` and keeps only the gradient; the traced
path calls the very same function and turns its intermediate arrays into
records.  That is why traced and fast iterations are bit-identical.

Callers wrap it in ``np.errstate(all="ignore")``: overflow is detected by
checking finiteness of the results, never by warnings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .losses import Loss, OutputDelta
from .network import Network

_sum = np.add.reduce

#: Samples per chunk of a dataset-wide forward pass are chosen so that the
#: activations of one chunk (all layers) stay within this many bytes.
CHUNK_BYTES = 16 * 2**20


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
        Batch loss (data part), the mean of ``sample_loss``.
    errors : list of ndarray or None
        ``errors[l]`` = ∂E_sample/∂out of layer l+1 where the chain rule goes
        through the output (``None`` where δ is computed directly).
    fprimes : list of ndarray or None
        ``fprimes[l]`` = ∂out/∂net of layer l+1 (``None`` where not element-wise).
    deltas : list of ndarray
        ``deltas[l]`` = ∂E_sample/∂net of layer l+1.
    grad : ndarray
        Flat gradient of the batch loss, laid out like ``Network.theta``.
    delta_weights : list of ndarray or None
        The weight matrices the hidden deltas were computed with, where they
        are not the network's own (the "updated weights" mistake).
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
    delta_weights: list[np.ndarray | None] | None = None


#: ``next_weights(l, grad)``: the weights of dense layer *l* that the deltas of layer l−1 use,
#: given the gradient computed so far (layers ≥ l filled in).
NextWeights = Callable[[int, np.ndarray], np.ndarray]


def run_pass(network: Network, loss: Loss, rule: OutputDelta, x: np.ndarray, t: np.ndarray,
             fwd: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
             grad_out: np.ndarray | None = None, next_weights: NextWeights | None = None) -> Pass:
    """Forward pass, loss and backward pass of one batch; no parameter changes.

    Parameters
    ----------
    network, loss, rule
        The network, its loss and the output-delta rule of the pair.
    x, t : ndarray
        Batch inputs ``(B, n_0)`` and targets ``(B, n_L)``.
    fwd : tuple, optional
        A forward pass of *x* at the current parameters already computed
        (exactly what :meth:`Network.forward_pass` returns).
    grad_out : ndarray, optional
        Buffer to write the gradient into (the fast path reuses one).
    next_weights : callable, optional
        Where hidden deltas should not use the network's own weights (the
        classic "updated weights" mistake): returns the weights to use.
    """
    nets, outs = fwd if fwd is not None else network.forward_pass(x)
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
    used: list[np.ndarray | None] | None = None if next_weights is None else [None] * L
    errors[-1], fprimes[-1], deltas[-1] = rule.compute(nets[-1], outs[-1], t)
    grad = np.empty(network.n_params, dtype=np.float64) if grad_out is None else grad_out
    if used is not None:
        # The mistake: each layer's gradient (and so its update) comes before the delta below it.
        _layer_gradient(network, grad, L - 1, deltas[-1], outs[-2], B)
    for l in range(L - 2, -1, -1):
        # Hidden deltas use the weights *before* this iteration's update, unless told otherwise.
        W = network.weights[l + 1]
        if used is not None:
            W = used[l + 1] = next_weights(l + 1, grad)
        errors[l] = deltas[l + 1] @ W
        fprimes[l] = network.activations[l].derivative(nets[l], outs[l + 1])
        deltas[l] = errors[l] * fprimes[l]
        if used is not None:
            _layer_gradient(network, grad, l, deltas[l], outs[l], B)
    if used is None:
        for l in range(L):
            _layer_gradient(network, grad, l, deltas[l], outs[l], 1)
        if B != 1:
            grad /= B  # once for all layers: the same bits as layer by layer, one call
    return Pass(nets, outs, terms, sample_loss, batch_loss, errors, fprimes, deltas, grad, used)


def _layer_gradient(network: Network, grad: np.ndarray, l: int, delta: np.ndarray, a_in: np.ndarray,
                    B: int) -> None:
    """Write dense layer *l*'s gradient summed over the batch, divided by *B*, into its slice of *grad*."""
    w0, b0, end = network.offsets[l]
    gW = grad[w0:b0].reshape(network.sizes[l + 1], network.sizes[l])  # a view: written in place
    gb = grad[b0:end]
    np.matmul(delta.T, a_in, out=gW)
    _sum(delta, 0, out=gb)
    if B != 1:
        grad[w0:end] /= B


def mean_loss(network: Network, loss: Loss, nets: list[np.ndarray], outs: list[np.ndarray],
              t: np.ndarray) -> float:
    """Mean loss of a forward pass ``(nets, outs)`` against targets *t*."""
    sample = _sum(loss.terms(nets[-1], outs[-1], t, network.activations[-1]), 1)
    return float(_sum(sample, 0) / t.shape[0])


def chunk_rows(network: Network, n_samples: int, budget: int | None = None) -> int:
    """Samples per chunk so that one chunk's activations (nets and outs of every layer) fit *budget* bytes
    (default :data:`CHUNK_BYTES`)."""
    per_sample = 8 * (network.sizes[0] + 2 * sum(network.sizes[1:]))
    return max(1, min(n_samples, (CHUNK_BYTES if budget is None else budget) // per_sample))


def dataset_loss(network: Network, loss: Loss, x: np.ndarray, t: np.ndarray,
                 theta: np.ndarray | None = None) -> float:
    """Mean loss over all samples of *x*, *t* (at *theta*, default the network's parameters).

    Large datasets are evaluated in chunks of bounded memory (:data:`CHUNK_BYTES`);
    the per-chunk sums of the sample losses are added up, which equals the
    one-pass result to within float rounding (a different summation order).
    """
    N = x.shape[0]
    rows = chunk_rows(network, N)
    if rows >= N:
        nets, outs = network.forward_pass(x, theta)
        return mean_loss(network, loss, nets, outs, t)
    total = 0.0
    for start in range(0, N, rows):
        xs, ts = x[start:start + rows], t[start:start + rows]
        nets, outs = network.forward_pass(xs, theta)
        total += float(_sum(_sum(loss.terms(nets[-1], outs[-1], ts, network.activations[-1]), 1), 0))
    return total / N


def dataset_outputs(network: Network, x: np.ndarray) -> np.ndarray:
    """Network outputs for every row of *x*, computed in chunks of bounded memory."""
    N = x.shape[0]
    rows = chunk_rows(network, N)
    if rows >= N:
        return network.forward_pass(x)[1][-1]
    out = np.empty((N, network.sizes[-1]))
    for start in range(0, N, rows):
        out[start:start + rows] = network.forward_pass(x[start:start + rows])[1][-1]
    return out
