"""Backpropagated gradients against central finite differences of an independent loss."""
import numpy as np
import pytest
from reference import batch_loss

from backprop_lab.core import Network, Simulation, TrainingSettings, initialize

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]


def fd_grad(sizes, acts, theta, X, T, loss, eps=1e-6):
    g = np.empty_like(theta)
    for k in range(len(theta)):
        tp = theta.copy()
        tp[k] += eps
        tm = theta.copy()
        tm[k] -= eps
        lp, lm = batch_loss(sizes, acts, list(tp), X, T, loss), batch_loss(sizes, acts, list(tm), X, T, loss)
        g[k] = (lp - lm) / (2 * eps)
    return g


def make(rng, sizes, acts, loss, n=5, batch=1, momentum=0.0):
    net = Network(sizes, acts)
    net.theta[:] = initialize(net, "normal", rng, scale=0.8, biases="same")
    X = rng.normal(0, 1, (n, sizes[0]))
    if loss == "cross_entropy" and acts[-1] == "softmax":
        T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    else:
        T = rng.uniform(0.05, 0.95, (n, sizes[-1]))
    return Simulation(net, X, T, TrainingSettings(loss=loss, learning_rate=0.1, batch_size=batch,
                                                  momentum=momentum, update_biases=True))


CASES = [(h, o, loss) for h in HIDDEN for (o, loss) in
         [("sigmoid", "mse"), ("linear", "mse"), ("tanh", "mse"), ("softmax", "mse"),
          ("softmax", "cross_entropy"), ("sigmoid", "cross_entropy")]]
BATCHES = [1, 3, 5]
# A fixed integer seed per case (hash() of strings differs between processes).
SEEDED = [(1000 + k, *case, batch) for k, (case, batch) in enumerate((c, b) for c in CASES for b in BATCHES)]


def batch_of(sim):
    """The next batch's inputs and targets, through the public API."""
    idx = sim.next_batch()
    return sim.inputs[idx], sim.targets[idx]


def engine_gradient(sim, x, t):
    from backprop_lab.core.kernel import run_pass
    from backprop_lab.core.losses import get_loss, output_delta_rule
    loss = get_loss(sim.settings.loss)
    with np.errstate(all="ignore"):
        return run_pass(sim.network, loss, output_delta_rule(loss, sim.network.activations[-1]), x, t)


@pytest.mark.parametrize("seed,hidden,out,loss,batch", SEEDED)
def test_gradient_matches_finite_differences(seed, hidden, out, loss, batch):
    rng = np.random.default_rng(seed)
    sizes = [3, 4, 3, 2]
    acts = [hidden, hidden, out]
    sim = make(rng, sizes, acts, loss, n=5, batch=batch)
    x, t = batch_of(sim)
    analytic = engine_gradient(sim, x, t).grad
    numeric = fd_grad(sizes, acts, sim.network.theta.copy(), x.tolist(), t.tolist(), loss)
    np.testing.assert_allclose(analytic, numeric, rtol=2e-6, atol=2e-8)


def test_cases_use_distinct_fixed_seeds():
    seeds = [s[0] for s in SEEDED]
    assert len(set(seeds)) == len(seeds) == len(CASES) * len(BATCHES)


def test_gradient_check_reports_small_error(rng):
    sim = make(rng, [2, 5, 5, 1], ["tanh", "tanh", "sigmoid"], "mse", n=7, batch=7)
    gc = sim.gradient_check()
    assert len(gc.per_layer) == 3
    assert gc.max_error < 1e-6


def test_gradient_check_detects_wrong_gradient(rng, monkeypatch):
    """The check can fail: sabotage the sigmoid derivative and it must notice."""
    from backprop_lab.core import activations
    sim = make(rng, [2, 3, 1], ["sigmoid", "sigmoid"], "mse", n=4, batch=4)
    assert sim.gradient_check().max_error < 1e-6
    monkeypatch.setattr(activations.Sigmoid, "derivative", lambda self, z, o: o)
    assert sim.gradient_check().max_error > 1e-2


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_update_rule_with_momentum(rng, momentum):
    """Three iterations against an independent v ← μv + g; w ← w − ηv with FD gradients."""
    sizes, acts = [2, 3, 2], ["tanh", "sigmoid"]
    sim = make(rng, sizes, acts, "mse", n=6, batch=3, momentum=momentum)
    theta = sim.network.theta.copy()
    v = np.zeros_like(theta)
    X, T = sim.inputs, sim.targets
    for it in range(3):
        sl = slice((it % 2) * 3, (it % 2) * 3 + 3)
        g = fd_grad(sizes, acts, theta, X[sl].tolist(), T[sl].tolist(), "mse")
        v = momentum * v + g
        theta = theta - 0.1 * v
        sim.step()
    np.testing.assert_allclose(sim.network.theta, theta, rtol=1e-7, atol=1e-9)


def test_last_partial_batch_is_included(rng):
    sim = make(rng, [2, 2, 1], ["sigmoid", "sigmoid"], "mse", n=7, batch=3)
    assert sim.iterations_per_epoch == 3
    sizes = []
    for _ in range(3):
        sizes.append(len(sim.next_batch()))
        sim.step(trace=False)
    assert sizes == [3, 3, 1]
    assert sim.epoch == 1 and sim.position == 0 and sim.iteration == 3


def test_biases_fixed_when_update_biases_off(rng):
    sim = make(rng, [2, 3, 1], ["tanh", "linear"], "mse")
    sim.set_training(update_biases=False)
    b = [x.copy() for x in sim.network.biases]
    sim.run(20)
    for before, after in zip(b, sim.network.biases):
        assert np.array_equal(before, after)


def test_sigmoid_is_stable_for_extreme_inputs():
    from backprop_lab.core.activations import ACTIVATIONS
    z = np.array([-1e308, -800.0, -40.0, 0.0, 40.0, 800.0, 1e308])
    # Saturation (over/underflow of e^−z) is the intended behaviour; NaN is not.
    with np.errstate(invalid="raise", divide="raise", over="ignore", under="ignore"):
        out = ACTIVATIONS["sigmoid"].forward(z)
    assert np.all(np.isfinite(out)) and out[0] == 0.0 and out[-1] == 1.0 and out[3] == 0.5


@pytest.mark.parametrize("acts,loss,batch", [(["sigmoid", "sigmoid"], "mse", 1), (["tanh", "linear"], "mse", 3),
                                             (["relu", "sigmoid"], "cross_entropy", 2),
                                             (["leaky_relu", "tanh"], "mse", 4)])
def test_scalar_and_numpy_kernels_agree(rng, acts, loss, batch):
    from backprop_lab.core.losses import get_loss, output_delta_rule
    from backprop_lab.core.scalar_kernel import ScalarKernel
    sim = make(rng, [2, 3, 2], acts, loss, n=4, batch=batch)
    x, t = batch_of(sim)
    lo = get_loss(loss)
    k = ScalarKernel(sim.network.sizes, sim.network.activations, sim.network.offsets, lo,
                     output_delta_rule(lo, sim.network.activations[-1]))
    p_scalar = k.run(sim.network.theta.tolist(), x.tolist(), t.tolist(), detail=True)
    p_numpy = engine_gradient(sim, x, t)
    np.testing.assert_allclose(p_scalar.grad, p_numpy.grad, rtol=1e-12, atol=1e-15)
    assert p_scalar.loss == pytest.approx(p_numpy.loss, rel=1e-13)
    for a, b in zip(p_scalar.deltas, p_numpy.deltas):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    fast_loss, fast_grad = k.run(sim.network.theta.tolist(), x.tolist(), t.tolist())
    assert fast_grad == p_scalar.grad.tolist() and fast_loss == p_scalar.loss  # traced == fast, bit for bit
