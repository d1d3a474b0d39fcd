"""The finite-difference gradient check: backpropagated gradient against central differences of the loss."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .network import Network

#: At most this many weights are checked (plus every bias); more are sampled.
MAX_CHECKED_WEIGHTS = 2000


@dataclass
class GradientCheck:
    """Result of :meth:`Simulation.gradient_check`.

    Attributes
    ----------
    per_layer : list of float
        ``per_layer[l]``: largest relative error ``|a − n| / max(|a| + |n|, 1e-8)``
        over the checked weights and biases of dense layer ``l``.
    max_error : float
        The largest over all layers.
    analytic : ndarray
        The backpropagated gradient (every parameter).
    numeric : ndarray
        Central differences; NaN where a parameter was not checked.
    checked : ndarray
        Indices into ``Network.theta`` of the parameters checked.
    """

    per_layer: list[float]
    max_error: float
    analytic: np.ndarray
    numeric: np.ndarray
    checked: np.ndarray

    @property
    def n_checked(self) -> int:
        return len(self.checked)


def choose_parameters(network: Network, max_weights: int = MAX_CHECKED_WEIGHTS, seed: int = 0) -> np.ndarray:
    """Every parameter when there are at most *max_weights* weights; otherwise every bias and
    *max_weights* weights drawn without replacement by a Generator seeded with *seed* (sorted)."""
    weights = np.flatnonzero(network.weight_mask())
    if len(weights) <= max_weights:
        return np.arange(network.n_params)
    chosen = np.random.default_rng(seed).choice(weights, size=max_weights, replace=False)
    return np.sort(np.concatenate([chosen, np.flatnonzero(network.bias_mask())]))


def gradient_check(network: Network, analytic: np.ndarray, loss_at: Callable[[np.ndarray], float],
                   eps: float = 1e-6, checked: np.ndarray | None = None) -> GradientCheck:
    """Compare *analytic* with central differences of ``loss_at(theta)`` around the network's parameters.

    *loss_at* must not change the network; the network is not changed either.
    """
    theta0 = network.theta.copy()
    idx = np.arange(network.n_params) if checked is None else np.asarray(checked)
    numeric = np.full(network.n_params, np.nan)
    probe = theta0.copy()
    with np.errstate(all="ignore"):
        for k in idx:
            probe[k] = theta0[k] + eps
            lp = loss_at(probe)
            probe[k] = theta0[k] - eps
            lm = loss_at(probe)
            probe[k] = theta0[k]
            numeric[k] = (lp - lm) / (2 * eps)
    rel = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    in_check = np.zeros(network.n_params, dtype=bool)
    in_check[idx] = True
    per_layer = [float(rel[w0:end][in_check[w0:end]].max(initial=0.0)) for (w0, _, end) in network.offsets]
    return GradientCheck(per_layer, max(per_layer), analytic, numeric, idx)
