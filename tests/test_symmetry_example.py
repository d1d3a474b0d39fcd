"""The symmetry example shows the symmetry problem of the seed notes: identical neurons that move together."""
from __future__ import annotations

import numpy as np

from backprop_lab.core import load_example, symmetric_groups


def _loss_by_hand(theta: np.ndarray, sim) -> float:
    # An independent forward pass (2-3-1 sigmoid, ½·squared error, mean over the samples).
    W1 = theta[0:6].reshape(3, 2)
    b1 = theta[6:9]
    W2 = theta[9:12].reshape(1, 3)
    b2 = theta[12:13]
    h = 1 / (1 + np.exp(-(sim.inputs @ W1.T + b1)))
    o = 1 / (1 + np.exp(-(h @ W2.T + b2)))
    return float(np.mean(np.sum(0.5 * (sim.targets - o) ** 2, axis=1)))


def test_starts_symmetric_with_a_gradient_that_is_not_zero():
    sim = load_example("symmetry")
    assert symmetric_groups(sim.network) == [(1, [0, 1, 2])]
    theta = sim.network.theta.copy()
    eps = 1e-6
    # A finite difference of the loss in each hidden weight from i1: not zero, and equal for h1, h2, h3.
    grads = []
    for k in (0, 2, 4):
        tp, tm = theta.copy(), theta.copy()
        tp[k] += eps
        tm[k] -= eps
        grads.append((_loss_by_hand(tp, sim) - _loss_by_hand(tm, sim)) / (2 * eps))
    assert abs(grads[0]) > 1e-4
    assert grads[0] == grads[1] == grads[2]


def test_hidden_neurons_move_but_stay_identical_and_loss_sticks():
    sim = load_example("symmetry")
    w0 = sim.network.weights[0].copy()
    sim.run_epochs(1000)
    w1 = sim.network.weights[0]
    assert np.abs(w1 - w0).max() > 0.1  # they visibly change ...
    assert (w1[0] == w1[1]).all() and (w1[1] == w1[2]).all()  # ... together, bit for bit
    assert symmetric_groups(sim.network) == [(1, [0, 1, 2])]
    assert sim.loss() > 0.12  # one effective hidden neuron cannot learn XOR


def test_random_reinitialisation_breaks_the_symmetry():
    sim = load_example("symmetry")
    sim.reinitialize("xavier", seed=0)  # the Training panel's default scheme and seed
    assert symmetric_groups(sim.network) == []
    sim.run_epochs(2000)
    assert sim.loss() < 0.01
