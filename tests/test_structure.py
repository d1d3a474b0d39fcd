"""Structure edits: kept parameters, new ones, validity rules, exact step back / redo, replay across edits.

Expected layouts are computed here independently of ``core.structure``: each
weight matrix and bias vector is edited with numpy (rows, columns, whole
matrices), new entries are NaN, and the result is flattened in the documented
state layout (per dense layer: weights row by row, then biases).
"""
import math

import numpy as np
import pytest
from reference import act, batch_loss

from backprop_lab.core import (
    ACTIVATIONS,
    ConfigError,
    Network,
    Simulation,
    TrainingSettings,
    initialize,
    load_example,
)

NEW = np.nan


# -- networks -------------------------------------------------------------------------------------------------
def relu_net():
    """A 1-hidden-layer ReLU regression network with momentum."""
    rng = np.random.default_rng(7)
    net = Network([2, 5, 1], ["relu", "linear"])
    net.theta[:] = initialize(net, "he", rng, biases="same")
    x = rng.uniform(-1, 1, (20, 2))
    t = np.sin(2 * x[:, :1]) + x[:, 1:] ** 2
    return Simulation(net, x, t, TrainingSettings(learning_rate=0.05, batch_size=5, momentum=0.5, seed=3))


def make(name):
    if name == "relu":
        sim = relu_net()
    else:
        sim = load_example(name)
    if name == "moons":
        sim.set_training(momentum=0.9)
    if name == "xor":
        sim.set_training(optimizer="adam", learning_rate=0.1)
    for _ in range(3):  # non-trivial optimizer state and counters
        sim.step(trace=False)
    return sim


NETS = ["mazur", "xor", "moons", "blobs", "relu"]


def edits_for(sim):
    """Every kind of edit, at every place it applies, for this network: (method name, args)."""
    sizes = sim.network.sizes
    n = len(sizes)
    out = []
    for k in range(1, n - 1):
        out += [("add_neuron", (k,)), ("remove_neuron", (k, 0)), ("remove_neuron", (k, sizes[k] - 1)),
                ("remove_layer", (k,)), ("set_activation", (k, "linear"))]
    for idx in range(1, n):
        out.append(("insert_layer", (idx, 3, "tanh")))
    out.append(("set_activation", (n - 1, "sigmoid" if sim.network.activation_names[-1] != "sigmoid" else "linear")))
    if sim.settings.loss == "cross_entropy" and out[-1][1][1] == "linear":
        out[-1] = ("set_activation", (n - 1, "softmax"))
    return out


# -- the expected result, computed independently ------------------------------------------------------------------
def matrices(sim, flat=None, sizes=None):
    """Weight matrices and bias vectors read from a flat vector in the documented layout.

    *flat* defaults to the network's parameters, *sizes* to its layer sizes.
    """
    sizes = sim.network.sizes if sizes is None else sizes
    flat = sim.network.theta if flat is None else flat
    Ws, bs, pos = [], [], 0
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        Ws.append(np.array(flat[pos:pos + n_in * n_out], dtype=float).reshape(n_out, n_in))
        pos += n_in * n_out
        bs.append(np.array(flat[pos:pos + n_out], dtype=float))
        pos += n_out
    assert pos == len(flat)
    return Ws, bs


def expected_after(method, args, Ws, bs):
    """The matrices after the edit, NaN where a parameter is new."""
    Ws, bs = [W.copy() for W in Ws], [b.copy() for b in bs]
    if method == "add_neuron":
        (k,) = args
        if k > 0:
            Ws[k - 1] = np.vstack([Ws[k - 1], np.full((1, Ws[k - 1].shape[1]), NEW)])
            bs[k - 1] = np.append(bs[k - 1], NEW)
        if k < len(Ws):
            Ws[k] = np.hstack([Ws[k], np.full((Ws[k].shape[0], 1), NEW)])
    elif method == "remove_neuron":
        k, j = args
        if k > 0:
            Ws[k - 1] = np.delete(Ws[k - 1], j, axis=0)
            bs[k - 1] = np.delete(bs[k - 1], j)
        if k < len(Ws):
            Ws[k] = np.delete(Ws[k], j, axis=1)
    elif method == "insert_layer":
        idx, size, _ = args
        n_before, n_after = Ws[idx - 1].shape[1], Ws[idx - 1].shape[0]
        Ws[idx - 1:idx] = [np.full((size, n_before), NEW), np.full((n_after, size), NEW)]
        bs.insert(idx - 1, np.full(size, NEW))
    elif method == "remove_layer":
        (idx,) = args
        n_before, n_after = Ws[idx - 1].shape[1], Ws[idx].shape[0]
        Ws[idx - 1:idx + 1] = [np.full((n_after, n_before), NEW)]
        del bs[idx - 1]
    return Ws, bs


def expected_sizes(method, args, sizes, acts):
    sizes, acts = list(sizes), list(acts)
    if method == "add_neuron":
        sizes[args[0]] += 1
    elif method == "remove_neuron":
        sizes[args[0]] -= 1
    elif method == "insert_layer":
        sizes.insert(args[0], args[1])
        acts.insert(args[0] - 1, args[2])
    elif method == "remove_layer":
        del sizes[args[0]]
        del acts[args[0] - 1]
    else:
        acts[args[0] - 1] = args[1]
    return tuple(sizes), acts


def flatten(Ws, bs):
    return np.concatenate([np.concatenate([W.ravel(), b]) for W, b in zip(Ws, bs)])


def hand_forward(sizes, acts, theta, X):
    """Outputs of every sample, neuron by neuron in plain Python."""
    out = []
    for x in X:
        a, pos = list(x), 0
        for l in range(len(sizes) - 1):
            n_in, n_out = sizes[l], sizes[l + 1]
            W, b = theta[pos:pos + n_in * n_out], theta[pos + n_in * n_out:pos + n_in * n_out + n_out]
            pos += n_in * n_out + n_out
            z = [math.fsum(W[j * n_in + i] * a[i] for i in range(n_in)) + b[j] for j in range(n_out)]
            if acts[l] == "softmax":
                e = [math.exp(v - max(z)) for v in z]
                a = [v / sum(e) for v in e]
            else:
                a = [act(acts[l], v) for v in z]
        out.append(a)
    return np.array(out)


def state(sim):
    """Everything step back must restore, as comparable values."""
    net = sim.network
    opt = tuple((k, v.tobytes() if isinstance(v, np.ndarray) else v) for k, v in sorted(sim.optimizer_state().items()))
    return (net.sizes, tuple(net.activation_names), net.theta.tobytes(), opt, sim.iteration, sim.epoch, sim.position,
            sim.batch_loss.view().tobytes(), sim.epoch_loss.view().tobytes(), sim.epoch_end.view().tobytes(),
            sim.test_epoch_loss.view().tobytes(), sim.settings, sim.inputs.tobytes(), sim.targets.tobytes(),
            sim.new_parameters.tobytes(), sim.structure_edits, sim.next_batch().tobytes())


def optimizer_arrays(sim):
    d = sim.optimizer_state()
    return {k: v for k, v in d.items() if isinstance(v, np.ndarray)}


# -- every edit on every network -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NETS)
def test_every_edit_keeps_fitting_parameters_computes_correctly_and_undoes_exactly(name):
    for method, args in edits_for(make(name)):
        sim = make(name)
        before = state(sim)
        Ws, bs = matrices(sim)
        opt_before = optimizer_arrays(sim)
        t_before = sim.optimizer_state().get("t")
        n_entries = len(sim.timeline.entries)
        getattr(sim, method)(*args)
        where = f"{name}: {method}{args}"

        sizes, acts = expected_sizes(method, args, before[0], before[1])
        assert sim.network.sizes == sizes and sim.network.activation_names == acts, where
        expected = flatten(*expected_after(method, args, Ws, bs))
        new = np.isnan(expected)
        theta = sim.network.theta
        assert theta.shape == expected.shape, where
        assert theta[~new].tobytes() == expected[~new].tobytes(), where  # kept bit for bit
        assert np.array_equal(sim.new_parameters, new), where
        assert np.all(np.isfinite(theta))
        for key, old in opt_before.items():  # velocity, m, v: kept where the parameter is, zero where new
            carried = flatten(*expected_after(method, args, *matrices(None, old, before[0])))
            now = sim.optimizer_state()[key]
            assert now[~new].tobytes() == carried[~new].tobytes() and not now[new].any(), (where, key)
        assert sim.optimizer_state().get("t") == t_before, where
        assert (sim.iteration, sim.epoch, sim.position) == before[4:7], where
        assert len(sim.timeline.entries) == n_entries + 1, where

        np.testing.assert_allclose(sim.outputs(), hand_forward(sizes, acts, theta.tolist(), sim.inputs),
                                   rtol=1e-12, atol=1e-15, err_msg=where)
        ref = batch_loss(sizes, acts, theta.tolist(), sim.inputs.tolist(), sim.targets.tolist(), sim.settings.loss)
        assert sim.loss() == pytest.approx(ref, rel=1e-12), where
        assert sim.gradient_check().max_error < 1e-6, where

        after = state(sim)
        assert sim.step_back()
        assert state(sim) == before, where
        assert sim.redo()
        assert state(sim) == after, where


def test_new_parameters_are_drawn_with_the_scheme_and_seed():
    sim = make("moons")
    sim.add_neuron(1, seed=5)
    new = sim.new_parameters
    shell = Network(sim.network.sizes, sim.network.activation_names)
    draw = initialize(shell, "xavier", np.random.default_rng([5, 0]))  # the documented generator: (seed, edits before)
    assert sim.network.theta[new].tobytes() == draw[new].tobytes()
    Ws, bs = matrices(sim, new.astype(float))
    assert Ws[0][-1].all() and bs[0][-1] == 1 and Ws[1][:, -1].all() and new.sum() == 2 + 1 + 8
    # Xavier's bound for 2 → 9 and 9 → 8, biases zero
    assert np.all(np.abs(matrices(sim)[0][0][-1]) <= math.sqrt(6 / 11))
    assert np.all(np.abs(matrices(sim)[0][1][:, -1]) <= math.sqrt(6 / 17))
    assert matrices(sim)[1][0][-1] == 0.0
    # the second structure edit draws from (seed, 1); the default seed is the Training settings' seed
    sim.insert_layer(1, 2, "sigmoid", scheme="he")
    shell = Network(sim.network.sizes, sim.network.activation_names)
    draw = initialize(shell, "he", np.random.default_rng([sim.settings.seed, 1]))
    assert sim.network.theta[sim.new_parameters].tobytes() == draw[sim.new_parameters].tobytes()


def test_new_parameters_are_reproducible_and_follow_the_seed():
    a, b, c = make("blobs"), make("blobs"), make("blobs")
    for s, seed in ((a, 11), (b, 11), (c, 12)):
        s.add_neuron(1, seed=seed)
    kept, new_weights = ~a.new_parameters, a.new_parameters & a.network.weight_mask()
    assert a.network.theta[kept].tobytes() == c.network.theta[kept].tobytes()  # only new ones follow the seed
    assert new_weights.sum() == 2 + 3 and not np.any(a.network.theta[new_weights] == c.network.theta[new_weights])
    for s, seed in ((a, 11), (b, 11), (c, 12)):
        s.insert_layer(2, 4, "tanh", seed=seed)
    assert a.network.theta.tobytes() == b.network.theta.tobytes()
    assert a.network.theta.tobytes() != c.network.theta.tobytes()
    # undone and done again: the same numbers (the edit count is part of the state)
    theta = a.network.theta.copy()
    a.step_back()
    a.insert_layer(2, 4, "tanh", seed=11)
    assert a.network.theta.tobytes() == theta.tobytes()


def test_new_parameters_highlight_until_the_next_step():
    sim = make("xor")
    assert not sim.new_parameters.any() and len(sim.new_parameters) == sim.network.n_params
    sim.add_neuron(1)
    mask = sim.new_parameters.copy()
    assert mask.sum() == 2 + 1 + 1
    with pytest.raises(ValueError):
        sim.new_parameters[0] = True  # read-only
    sim.set_weight(0, 0, 0, 0.25)  # a hand edit keeps the highlight
    assert np.array_equal(sim.new_parameters, mask)
    sim.step()
    assert not sim.new_parameters.any()
    sim.step_back()  # back to the state right after the edit: highlighted again
    assert np.array_equal(sim.new_parameters, mask)
    sim.set_activation(1, "tanh")  # no new parameters
    assert not sim.new_parameters.any()
    sim.step_back()
    assert np.array_equal(sim.new_parameters, mask)
    sim.reinitialize("xavier", seed=1)
    assert not sim.new_parameters.any()


# -- activations and the gradient check ---------------------------------------------------------------------------
@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "softmax"])
@pytest.mark.parametrize("name", NETS)
def test_gradient_check_after_edits_with_every_activation(name, activation):
    # ε = 1e-5: the edited networks have gradients down to 1e-6, where the default ε = 1e-6 leaves a round-off
    # of about 1e-16·E/ε ≈ 1e-11, i.e. a relative error up to 1e-5 with a correct gradient. ReLU and leaky ReLU
    # have kinks (and leaky ReLU's 0.01 slope makes gradients of 1e-7), so they get a looser bound; a wrong
    # gradient is off by far more than either. New biases are drawn too (biases="same"): with zero biases and
    # XOR's 0/1 inputs a ReLU sits exactly on its kink.
    bound = 1e-6 if activation in ("sigmoid", "tanh", "linear") else 1e-4

    def check():
        assert sim.gradient_check(eps=1e-5).max_error < bound

    sim = make(name)
    sim.set_activation(1, activation)
    assert sim.network.activation_names[0] == activation
    check()
    sim.insert_layer(1, 4, activation, seed=2, biases="same")
    check()
    sim.add_neuron(2, biases="same")
    sim.remove_neuron(1, 0)
    check()
    out = len(sim.network.sizes) - 1
    if sim.settings.loss == "cross_entropy" and activation != "sigmoid":
        sim.set_loss("mse")
    sim.set_activation(out, activation)
    check()
    sim.remove_layer(2)
    check()
    sim.step(trace=False)
    check()


def test_softmax_output_and_loss_changes():
    sim = make("blobs")  # softmax with cross-entropy
    sim.set_activation(2, "sigmoid")
    assert sim.gradient_check().max_error < 1e-6
    with pytest.raises(ConfigError, match="cross_entropy, which needs a softmax or sigmoid output layer, not tanh"):
        sim.set_activation(2, "tanh")
    sim.set_loss("mse")
    assert sim.settings.loss == "mse"
    sim.set_activation(2, "tanh")
    with pytest.raises(ConfigError, match="cross_entropy"):
        sim.set_loss("cross_entropy")
    sim.set_activation(2, "softmax")
    sim.set_training(loss="cross_entropy")  # both spellings work
    assert sim.gradient_check().max_error < 1e-6
    for _ in range(4):
        sim.step_back()
    assert sim.settings.loss == "cross_entropy" and sim.network.activation_names == ["tanh", "sigmoid"]
    assert sim.undo_label == "activation of layer 2: sigmoid"


# -- replay and step back through a history with structure edits ------------------------------------------------
def test_steps_edits_and_steps_step_back_through_all_of_it_bit_for_bit():
    sim = make("moons")
    sim.timeline.clear()  # the set-up is not part of the test
    states = [state(sim)]

    def do(f, *args, **kw):
        f(*args, **kw)
        states.append(state(sim))
    for _ in range(40):  # more than one checkpoint run, crosses an epoch
        do(sim.step, trace=False)
    do(sim.add_neuron, 1)
    for _ in range(35):
        do(sim.step, trace=False)
    do(sim.insert_layer, 2, 3, "sigmoid")
    do(sim.step)
    do(sim.remove_neuron, 3, 2)
    for _ in range(33):
        do(sim.step, trace=False)
    do(sim.remove_layer, 1)
    do(sim.set_activation, 2, "relu")
    for _ in range(5):
        do(sim.step, trace=False)
    assert sim.network.sizes == (2, 3, 7, 1)
    final = states[-1]
    for expected in reversed(states[:-1]):
        assert sim.step_back()
        assert state(sim) == expected
    assert not sim.step_back()
    for expected in states[1:]:
        assert sim.redo()
        assert state(sim) == expected
    assert state(sim) == final
    # jumping back across the edits replays exactly too: to the latest state at or before the iteration
    for it in (75, 50, 10):
        sim.step_back_to(it)
        assert state(sim) == states[max(k for k, st in enumerate(states) if st[4] <= it)]
    sim.step_back_to(0)
    assert state(sim) == states[0]


def test_structure_edit_cuts_a_pending_iteration():
    sim = make("xor")
    committed = sim.network.theta.copy()
    before = state(sim)
    tr = sim.begin_iteration()
    for _ in range(len(tr) - 1):  # every update but the last performed
        sim.step_into()
    assert sim.network.theta.tobytes() != committed.tobytes()
    sim.add_neuron(1)
    assert sim.pending is None and sim.abandoned_iteration
    kept = ~sim.new_parameters
    expected = flatten(*expected_after("add_neuron", (1,), *matrices(None, committed, before[0])))
    assert sim.network.theta[kept].tobytes() == expected[kept].tobytes()
    sim.step_back()
    assert state(sim) == before


def test_edits_that_change_the_data_too():
    sim = make("blobs")
    x4 = np.vstack([sim.inputs, [[0.0, 0.0]]])
    t4 = np.hstack([np.vstack([sim.targets, [[0, 0, 0]]]), np.zeros((sim.n_samples + 1, 1))])
    t4[-1, 3] = 1.0
    before = state(sim)
    sim.add_neuron(2, inputs=x4, targets=t4)
    assert sim.network.sizes == (2, 6, 4) and sim.n_samples == 151 and sim.position == 0
    assert sim.gradient_check().max_error < 1e-6
    sim.remove_neuron(0, 1, inputs=x4[:, :1], targets=t4)
    assert sim.network.sizes == (1, 6, 4)
    np.testing.assert_allclose(sim.outputs(), hand_forward(sim.network.sizes, sim.network.activation_names,
                                                           sim.network.theta.tolist(), sim.inputs), rtol=1e-12)
    sim.step_back()
    sim.step_back()
    assert state(sim) == before
    with pytest.raises(ConfigError, match="inputs must have shape"):
        sim.add_neuron(0, inputs=sim.inputs, targets=sim.targets)
    with pytest.raises(ConfigError, match="both inputs and targets"):
        sim.add_neuron(2, targets=t4)
    assert state(sim) == before


# -- names -----------------------------------------------------------------------------------------------------------
def test_names_follow_the_new_sizes():
    sim = make("xor")
    assert sim.network.neuron_name(1, 2) == "h3" and sim.network.weight_name(1, 0, 2) == "w9"
    sim.add_neuron(1)
    assert sim.undo_label == "add neuron h4" and sim.network.neuron_name(1, 3) == "h4"
    sim.insert_layer(2, 2, "tanh")
    assert [sim.network.neuron_name(1, 0), sim.network.neuron_name(2, 1), sim.network.neuron_name(3, 0)] == \
        ["h1_1", "h2_2", "o1"]
    assert sim.network.bias_name(0, 3) == "b_h1_4"
    sim.remove_layer(1)
    assert sim.network.sizes == (2, 2, 1) and sim.network.neuron_name(1, 1) == "h2"
    assert sim.undo_label == "remove layer 1"
    sim.remove_neuron(1, 0)
    assert sim.undo_label == "remove neuron h1"


# -- refusals ----------------------------------------------------------------------------------------------------------
def refused_edits(sim):
    n = len(sim.network.sizes)
    return [
        (lambda: sim.add_neuron(0), "2 input column"),
        (lambda: sim.remove_neuron(0, 0), "input column"),
        (lambda: sim.add_neuron(n - 1), "target column"),
        (lambda: sim.add_neuron(n), "no layer"),
        (lambda: sim.add_neuron(-1), "no layer"),
        (lambda: sim.add_neuron(1.5), "whole number"),
        (lambda: sim.add_neuron(True), "whole number"),
        (lambda: sim.remove_neuron(1, sim.network.sizes[1]), "no neuron"),
        (lambda: sim.insert_layer(0, 3, "tanh"), "position 1"),
        (lambda: sim.insert_layer(n, 3, "tanh"), "position 1"),
        (lambda: sim.insert_layer(1, 0, "tanh"), "1 to 1,024"),
        (lambda: sim.insert_layer(1, 1025, "tanh"), "1 to 1,024"),
        (lambda: sim.insert_layer(1, 3, "softmax"), "softmax is only allowed on the output"),
        (lambda: sim.insert_layer(1, 3, "swish"), "unknown activation"),
        (lambda: sim.insert_layer(1, 3, "tanh", scheme="glorot"), "unknown initialisation"),
        (lambda: sim.insert_layer(1, 3, "tanh", seed=-1), "seed"),
        (lambda: sim.insert_layer(1, 3, "tanh", gain=2), "initialisation option"),
        (lambda: sim.remove_layer(0), "input layer cannot be removed"),
        (lambda: sim.remove_layer(n - 1), "output layer cannot be removed"),
        (lambda: sim.set_activation(0, "tanh"), "input layer has no activation"),
        (lambda: sim.set_activation(1, "softmax"), "softmax is only allowed on the output"),
        (lambda: sim.set_activation(1, "nope"), "unknown activation"),
        (lambda: sim.set_loss("hinge"), "unknown loss"),
    ]


@pytest.mark.parametrize("name", NETS)
def test_refusals_leave_everything_untouched(name):
    sim = make(name)
    tr = sim.begin_iteration()  # a pending iteration must survive a refused edit too
    sim.step_into()
    for edit, message in refused_edits(sim):
        before, n_entries, cursor = state(sim), len(sim.timeline.entries), sim.cursor
        with pytest.raises(ConfigError, match=message):
            edit()
        assert state(sim) == before and len(sim.timeline.entries) == n_entries
        assert sim.pending is tr and sim.cursor == cursor


def test_the_last_neuron_of_a_layer_cannot_be_removed():
    sim = make("xor")
    sim.remove_neuron(1, 0)
    sim.remove_neuron(1, 0)
    before = state(sim)
    with pytest.raises(ConfigError, match="only neuron of hidden layer 1.*remove_layer\\(1\\)"):
        sim.remove_neuron(1, 0)
    sim.remove_layer(1)
    assert sim.network.sizes == (2, 1)
    with pytest.raises(ConfigError, match="only hidden layers can and 2-1 has none"):
        sim.remove_layer(1)
    with pytest.raises(ConfigError, match="only neuron of the output layer"):
        sim.remove_neuron(1, 0)
    assert sim.gradient_check().max_error < 1e-6
    sim.step_back()
    assert state(sim) == before


def test_limits_are_refused():
    sim = make("xor")
    sim.insert_layer(1, 1024, "tanh")
    with pytest.raises(ConfigError, match="1,025 neurons; a layer needs 1 to 1,024"):
        sim.add_neuron(1)
    sim.step_back()
    for _ in range(14):
        sim.insert_layer(1, 1, "tanh")
    assert len(sim.network.sizes) - 1 == 16
    before = state(sim)
    with pytest.raises(ConfigError, match="17 dense layers; the limit is 16"):
        sim.insert_layer(1, 1, "tanh")
    assert state(sim) == before
    rng = np.random.default_rng(0)
    net = Network([2, 1000, 990, 1], ["tanh", "tanh", "linear"])
    big = Simulation(net, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    n = len(big.timeline.entries)
    # 2-1000-s-990-1 has 4,981 + 1,991·s parameters
    with pytest.raises(ConfigError, match="2-1000-1003-990-1 would have 2,001,954 parameters; the limit is 2,000,000"):
        big.insert_layer(2, 1003, "tanh")
    assert big.network.sizes == (2, 1000, 990, 1) and len(big.timeline.entries) == n
    big.insert_layer(2, 1002, "tanh")
    assert big.network.n_params == 1_999_963


def test_single_softmax_output_is_refused_where_the_output_changes():
    sim = make("relu")
    with pytest.raises(ConfigError, match="softmax output needs at least 2 neurons"):
        sim.set_activation(2, "softmax")


def test_setting_the_same_activation_is_not_an_entry():
    sim = make("mazur")
    n = len(sim.timeline.entries)
    sim.set_activation(1, "sigmoid")
    assert len(sim.timeline.entries) == n and sim.structure_edits == 0


def test_saved_state_after_structure_edits_loads_the_new_network():
    sim = make("moons")
    sim.insert_layer(3, 2, "tanh")
    sim.remove_neuron(1, 3)
    back = Simulation.from_dict(sim.to_dict())
    assert back.network.sizes == sim.network.sizes == (2, 7, 8, 2, 1)
    assert back.network.theta.tobytes() == sim.network.theta.tobytes()
    assert back.optimizer_state()["velocity"].tobytes() == sim.optimizer_state()["velocity"].tobytes()
    back.step(trace=False)
    sim.step(trace=False)
    assert back.network.theta.tobytes() == sim.network.theta.tobytes()


def test_reset_and_step_back_into_across_structure_edits():
    fresh = load_example("mazur")
    sim = make("mazur")
    before_edit = state(sim)
    sim.add_neuron(1)
    after_edit = state(sim)
    sim.step()
    after_step = state(sim)
    sim.reset()  # the network the file was opened with, structure included
    assert sim.network.sizes == (2, 2, 2) and sim.network.theta.tobytes() == fresh.network.theta.tobytes()
    assert sim.iteration == 0 and not sim.new_parameters.any()
    sim.step_back()
    assert state(sim) == after_step
    tr = sim.step_back_into()  # into the iteration after the edit, all but its last computation performed
    assert tr and sim.pending is not None and sim.network.sizes == (2, 3, 2)
    while sim.cursor > 0:
        sim.step_back_into()
    assert state(sim) == after_edit
    sim.step_back_into()  # the edit itself
    assert state(sim) == before_edit
