"""Adam, L2/L1, learning-rate schedules and the "updated weights" mistake, against independent references."""
import math

import numpy as np
import pytest
from reference import batch_loss

from backprop_lab.core import ConfigError, Network, Simulation, TrainingSettings, initialize, load_example

SIZES, ACTS = [2, 3, 2], ["tanh", "sigmoid"]


def make(seed, n=6, batch=3, **settings):
    rng = np.random.default_rng(seed)
    net = Network(SIZES, ACTS)
    net.theta[:] = initialize(net, "normal", rng, scale=0.8, biases="same")
    X = rng.normal(0, 1, (n, 2))
    T = rng.uniform(0.05, 0.95, (n, 2))
    return Simulation(net, X, T, TrainingSettings(**{"learning_rate": 0.1, "batch_size": batch, **settings}))


def weight_mask(sizes):
    m = []
    for l in range(len(sizes) - 1):
        m += [True] * (sizes[l] * sizes[l + 1]) + [False] * sizes[l + 1]
    return np.array(m)


def ref_loss(theta, X, T, l2=0.0, l1=0.0, sizes=SIZES, acts=ACTS):
    """Independent: the reference data loss plus (λ₂/2)Σw² + λ₁Σ|w| over the weights."""
    w = np.asarray(theta)[weight_mask(sizes)]
    return batch_loss(sizes, acts, list(theta), X, T, "mse") + 0.5 * l2 * float(w @ w) + l1 * float(np.abs(w).sum())


def fd_grad(theta, X, T, eps=1e-6, **reg):
    g = np.empty_like(theta)
    for k in range(len(theta)):
        tp, tm = theta.copy(), theta.copy()
        tp[k] += eps
        tm[k] -= eps
        g[k] = (ref_loss(tp, X, T, **reg) - ref_loss(tm, X, T, **reg)) / (2 * eps)
    return g


def state(sim):
    opt = sim.optimizer_state()
    return (sim.network.theta.tobytes(), sim.iteration, sim.epoch, sim.position, sim.batch_loss.view().tobytes(),
            sim.epoch_loss.view().tobytes(), sim.settings,
            tuple((k, v.tobytes() if isinstance(v, np.ndarray) else v) for k, v in sorted(opt.items())))


OPTIONS = {
    "adam": {"optimizer": "adam", "learning_rate": 0.05},
    "adam+l2+bias fixed": {"optimizer": "adam", "l2": 0.01, "update_biases": False},
    "l2": {"l2": 0.05},
    "l1": {"l1": 0.02},
    "l2+l1+momentum": {"l2": 0.01, "l1": 0.01, "momentum": 0.8},
    "step schedule": {"schedule": "step", "decay_rate": 0.5, "decay_every": 3},
    "exponential schedule": {"schedule": "exponential", "decay_rate": 0.9, "decay_every": 2},
    "updated-weights mistake": {"hidden_delta_weights": "updated", "momentum": 0.5},
}


# -- Adam ----------------------------------------------------------------------------------------------------
def test_adam_matches_a_hand_written_adam_on_finite_difference_gradients():
    sim = make(1, optimizer="adam", learning_rate=0.05, beta1=0.8, beta2=0.95, epsilon=1e-7)
    theta = sim.network.theta.copy()
    m = [0.0] * len(theta)
    v = [0.0] * len(theta)
    for t in range(1, 6):  # plain Python Adam, as PyTorch's documentation writes it
        idx = sim.next_batch()
        g = fd_grad(theta, sim.inputs[idx].tolist(), sim.targets[idx].tolist())
        for k in range(len(theta)):
            m[k] = 0.8 * m[k] + 0.2 * g[k]
            v[k] = 0.95 * v[k] + 0.05 * g[k] ** 2
            m_hat = m[k] / (1 - 0.8 ** t)
            v_hat = v[k] / (1 - 0.95 ** t)
            theta[k] -= 0.05 * m_hat / (math.sqrt(v_hat) + 1e-7)
        sim.step(trace=False)
        np.testing.assert_allclose(sim.network.theta, theta, rtol=0, atol=1e-8)
    opt = sim.optimizer_state()
    assert opt["t"] == 5 and set(opt) == {"m", "v", "t"}
    np.testing.assert_allclose(opt["m"], m, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(opt["v"], v, rtol=1e-6, atol=1e-12)


def test_adam_trace_shows_moments_corrections_and_step():
    sim = make(2, optimizer="adam", learning_rate=0.05)
    sim.run(2)
    before = sim.optimizer_state()
    tr = sim.step()
    k = sim.network.weight_index(1, 0, 0)  # w7 of 2-3-2 (layer 1, row 0, column 0)
    name = sim.network.weight_name(1, 0, 0)
    g = tr.find(f"∂E/∂{name}").result
    m = tr.find(f"m_{name}⁺")
    assert m.expansion == f"β1·m_{name} + (1 − β1)·∂E/∂{name}"
    assert m.operand(f"m_{name}") == before["m"][k]
    assert m.result == pytest.approx(0.9 * before["m"][k] + 0.1 * g, rel=1e-12)
    v = tr.find(f"v_{name}⁺")
    assert v.result == pytest.approx(0.999 * before["v"][k] + 0.001 * g * g, rel=1e-12)
    m_hat, v_hat = tr.find(f"m̂_{name}"), tr.find(f"v̂_{name}")
    assert m_hat.operand("t") == 3 and m_hat.result == pytest.approx(m.result / (1 - 0.9 ** 3), rel=1e-12)
    assert v_hat.result == pytest.approx(v.result / (1 - 0.999 ** 3), rel=1e-12)
    u = tr.find(f"{name}⁺")
    assert u.expansion == f"{name} − η·m̂_{name} / (√v̂_{name} + ε)"
    assert u.result == sim.network.theta[k]
    assert u.result == pytest.approx(u.operand(name) - 0.05 * m_hat.result / (math.sqrt(v_hat.result) + 1e-8),
                                     rel=1e-12)
    for r in (m, v, m_hat, v_hat, u):
        assert "…" not in r.text() and r.text().count("=") == 3


def test_adam_state_restores_and_continues_exactly():
    a = make(3, optimizer="adam")
    a.run(7)
    b = make(3, optimizer="adam")
    b.network.theta[:] = a.network.theta
    b.restore_progress(a.iteration, a.epoch, a.position, a.batch_loss.view(), a.epoch_loss.view(),
                       a.epoch_end.view(), optimizer_state=a.optimizer_state())
    a.run(5)
    b.run(5)
    assert state(a) == state(b)
    with pytest.raises(ConfigError, match="m, v and t"):
        b.restore_progress(0, 0, 0, [], [], [], optimizer_state={"m": np.zeros(b.network.n_params)})


def test_switching_to_adam_starts_with_fresh_moments_and_back_is_undoable():
    sim = make(4, momentum=0.9)
    sim.run(3)
    sim.set_training(optimizer="adam")
    opt = sim.optimizer_state()
    assert opt["t"] == 0 and not opt["m"].any() and not opt["v"].any()
    sim.step_back()
    assert set(sim.optimizer_state()) == {"velocity"}


# -- L2 / L1 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("l2,l1", [(0.05, 0.0), (0.0, 0.03), (0.02, 0.01)])
def test_regularised_loss_and_gradient_against_independent_finite_differences(l2, l1):
    sim = make(5, l2=l2, l1=l1, batch=6)
    theta = sim.network.theta.copy()
    X, T = sim.inputs.tolist(), sim.targets.tolist()
    assert sim.loss() == pytest.approx(ref_loss(theta, X, T, l2=l2, l1=l1), rel=1e-12)
    gc = sim.gradient_check()
    assert gc.max_error < 1e-6
    np.testing.assert_allclose(gc.analytic, fd_grad(theta, X, T, l2=l2, l1=l1), rtol=1e-6, atol=1e-8)
    before = sim.network.theta.copy()
    sim.step()
    np.testing.assert_allclose(sim.network.theta, before - 0.1 * gc.analytic, rtol=1e-12, atol=1e-15)


def test_regularisation_in_the_trace():
    sim = make(6, l2=0.04, l1=0.01, batch=1, n=2)
    theta = sim.network.theta.copy()
    tr = sim.step()
    w = theta[weight_mask(SIZES)]
    e_reg = tr.find("E_reg")
    assert e_reg.result == pytest.approx(0.02 * float(w @ w) + 0.01 * float(np.abs(w).sum()), rel=1e-12)
    assert e_reg.expansion.startswith("(λ₂/2)·(w1² + w2² + ") and "λ₁·(|w1| + " in e_reg.expansion
    total = tr.find("E_total")
    assert total.expansion == "E_data + E_reg"
    assert total.result == pytest.approx(tr.find("E_data").result + e_reg.result, rel=1e-15)
    g = tr.find("∂E/∂w5")
    assert g.kind == "regularization" and g.expansion == "∂E_data/∂w5 + λ₂·w5 + λ₁·sign(w5)"
    w5 = theta[sim.network.weight_index(0, 2, 0)]  # 2-3-2: w5 is the first weight into h3
    data = tr.find("∂E_data/∂w5").result
    assert g.result == pytest.approx(data + 0.04 * w5 + 0.01 * np.sign(w5), rel=1e-12)
    assert tr.find("w5⁺").operand("∂E/∂w5") == g.result
    assert tr.find("∂E/∂b_h1").kind == "gradient"  # biases are not regularised


# -- learning-rate schedules --------------------------------------------------------------------------------------
@pytest.mark.parametrize("schedule,expected", [
    ("step", lambda t: 0.1 * 0.5 ** (t // 3)),
    ("exponential", lambda t: 0.1 * 0.5 ** (t / 3)),
    ("constant", lambda t: 0.1),
])
def test_schedule_sets_each_updates_learning_rate(schedule, expected):
    sim = make(7, schedule=schedule, decay_rate=0.5, decay_every=3)
    for t in range(8):
        tr = sim.step()
        k = sim.network.weight_index(0, 0, 0)
        u = tr.find("w1⁺")
        eta = u.operands[1][1]
        assert eta == pytest.approx(expected(t), rel=1e-15)
        assert u.result == pytest.approx(u.operand("w1") - expected(t) * u.operand("∂E/∂w1"), rel=1e-14)
        assert sim.network.theta[k] == u.result
        if schedule != "constant":
            rec = tr.find("η_t")
            assert rec.kind == "learning_rate" and rec.operand("t") == t and rec.result == eta
        else:
            assert not any(r.kind == "learning_rate" for r in tr)


# -- every option: traced = fast, step back bit for bit ----------------------------------------------------------
@pytest.mark.parametrize("option", list(OPTIONS))
def test_option_traced_fast_and_step_back_are_exact(option):
    a, b = make(8, **OPTIONS[option]), make(8, **OPTIONS[option])
    states = [state(a)]
    for k in range(9):
        a.step(trace=bool(k % 2))
        b.step(trace=False)
        states.append(state(a))
        assert state(a) == state(b), k
    c = make(8, **OPTIONS[option])  # every computation stepped into
    for _ in range(4):
        for _ in range(len(c.begin_iteration())):
            c.step_into()
    assert state(c) == states[4]
    for k in range(8, -1, -1):
        assert a.step_back()
        assert state(a) == states[k], k
    assert not a.step_back()
    for _ in range(6):  # into the middle of iteration 4 and out again
        assert c.step_back_into()
    assert c.pending is not None and c.iteration == 3
    assert c.abandon_pending()
    assert state(c) == states[3]


def test_bad_option_values_are_refused():
    sim = make(9)
    for bad in ({"optimizer": "rmsprop"}, {"beta1": 1.0}, {"beta2": -0.1}, {"epsilon": 0.0}, {"l2": -1},
                {"l1": float("nan")}, {"schedule": "cosine"}, {"decay_rate": 0}, {"decay_every": 0},
                {"hidden_delta_weights": "new"}):
        with pytest.raises(ConfigError):
            sim.set_training(**bad)
    assert sim.settings == make(9).settings


def test_refusals_and_undo_labels_read_as_a_person_writes():
    # (a new-user tester: "got -1.0" for a typed −1, and "undid change learning_rate")
    sim = make(9)
    with pytest.raises(ConfigError, match="^learning rate must be a finite number ≥ 0, got −1$"):
        sim.set_training(learning_rate=-1.0)
    with pytest.raises(ConfigError, match="^batch size must be a whole number ≥ 1, got 0$"):
        sim.set_training(batch_size=0)
    with pytest.raises(ConfigError, match="got 'fast'$"):
        sim.set_training(learning_rate="fast")
    sim.set_training(learning_rate=0.3, update_biases=True, beta1=0.8)
    assert sim.undo_label == "change β1, learning rate, bias updates"


# -- the classic mistake (#14) ------------------------------------------------------------------------------------
def test_worked_example_correct_and_classic_mistake_numbers():
    right = load_example("mazur")
    right.step()
    assert right.loss() == pytest.approx(0.291027774, abs=5e-10)
    wrong = load_example("mazur")
    wrong.set_training(hidden_delta_weights="updated")
    tr = wrong.step()
    assert wrong.loss() == pytest.approx(0.291027924, abs=5e-10)
    e_h1 = tr.find("∂E/∂out_h1")
    assert e_h1.expansion == "δ_o1·w5⁺ + δ_o2·w7⁺"
    assert e_h1.operand("w5⁺") == pytest.approx(0.35891648, abs=5e-10)
    # The output layer is the same either way; only w1..w4 differ.
    np.testing.assert_array_equal(wrong.network.weights[1], right.network.weights[1])
    assert not np.array_equal(wrong.network.weights[0], right.network.weights[0])


def test_classic_mistake_layer_by_layer_in_a_deeper_network():
    sizes, acts = [2, 3, 3, 2], ["tanh", "tanh", "sigmoid"]
    rng = np.random.default_rng(10)
    net = Network(sizes, acts)
    net.theta[:] = initialize(net, "normal", rng, scale=0.8, biases="same")
    x, t = rng.normal(size=(1, 2)), rng.uniform(0.1, 0.9, (1, 2))
    sim = Simulation(net, x, t, TrainingSettings(learning_rate=0.5, hidden_delta_weights="updated"))
    W = [w.copy() for w in sim.network.weights]
    b = [v.copy() for v in sim.network.biases]
    # Hand-written: forward, then from the top, update each layer before the delta below uses it.
    a = [x[0]]
    for Wl, bl, f in zip(W, b, [np.tanh, np.tanh, lambda z: 1 / (1 + np.exp(-z))]):
        a.append(f(Wl @ a[-1] + bl))
    delta = (a[3] - t[0]) * a[3] * (1 - a[3])
    for l in (2, 1, 0):
        gW, gb = np.outer(delta, a[l]), delta
        W[l] = W[l] - 0.5 * gW
        b[l] = b[l] - 0.5 * gb
        if l:
            delta = (W[l].T @ delta) * (1 - a[l] ** 2)  # the *updated* W[l]: the mistake
    sim.step()
    for l in range(3):
        np.testing.assert_allclose(sim.network.weights[l], W[l], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(sim.network.biases[l], b[l], rtol=1e-13, atol=1e-15)


def test_gradient_check_exposes_the_classic_mistake():
    sim = load_example("mazur")
    assert sim.gradient_check().max_error < 1e-6
    sim.set_training(hidden_delta_weights="updated")
    gc = sim.gradient_check()
    assert gc.per_layer[1] < 1e-6  # the output layer's gradient is still right
    assert gc.per_layer[0] > 1e-3  # the hidden layer's used the updated w5..w8
