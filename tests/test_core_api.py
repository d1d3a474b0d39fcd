"""The Simulation API other branches code against (CONTRACT.md), read-only operations, the test set, notation."""
import math

import numpy as np
import pytest
from reference import batch_loss

from backprop_lab.core import ConfigError, Network, Simulation, TrainingSettings, initialize, load_example
from backprop_lab.core.trace import Computation


def snapshot(sim):
    """Everything a read-only operation must leave alone."""
    return (sim.network.theta.tobytes(), sim.cursor, sim.pending, sim.iteration, len(sim.timeline.entries),
            sim.timeline.nbytes, list(sim.timeline.redo_stack), sim.batch_loss.view().tobytes(),
            sim.last_computation, sim.last_trace)


def small(rng, sizes=(2, 3, 2), acts=("tanh", "sigmoid"), n=6, test=0, **settings):
    net = Network(list(sizes), list(acts))
    net.theta[:] = initialize(net, "normal", rng, scale=0.8, biases="same")
    X = rng.normal(0, 1, (n + test, sizes[0]))
    T = rng.uniform(0.05, 0.95, (n + test, sizes[-1]))
    kw = {} if not test else {"test_inputs": X[n:], "test_targets": T[n:]}
    return Simulation(net, X[:n], T[:n], TrainingSettings(**{"learning_rate": 0.3, **settings}), **kw)


# -- stepping into: abandon, committed parameters, the current step ----------------------------------------
def test_abandon_pending_and_committed_theta(mazur):
    start = mazur.network.theta.copy()
    tr = mazur.begin_iteration()
    first_update = next(r.index for r in tr if r.kind == "update")
    for _ in range(first_update + 2):
        mazur.step_into()
    assert mazur.network.theta.tobytes() != start.tobytes()  # w1, w2 already updated
    assert mazur.committed_theta().tobytes() == start.tobytes()
    assert mazur.abandon_pending() is True
    assert mazur.pending is None and mazur.network.theta.tobytes() == start.tobytes()
    assert mazur.abandon_pending() is False


def test_last_computation_includes_the_final_record_of_an_iteration(mazur):
    n = len(mazur.begin_iteration())
    assert n == 43
    for k in range(n):
        rec = mazur.step_into()
        assert rec.index == k and mazur.last_computation is rec
    # 43 of 43: the iteration is complete and committed, and w8's update is still the current step.
    assert mazur.pending is None and mazur.iteration == 1
    assert mazur.last_computation.index == 42 and mazur.last_computation.target == "w8⁺"
    assert mazur.current_computation is None
    # Shift+F11 from there: back into iteration 1 with 42 of 43 performed.
    assert mazur.step_back_into()
    assert mazur.iteration == 0 and mazur.cursor == 42 and mazur.last_computation.index == 41
    assert mazur.network.weights[1][1, 1] == 0.55 and mazur.network.weights[1][1, 0] != 0.5
    assert mazur.step_into().target == "w8⁺" and mazur.iteration == 1
    mazur.step()  # a whole iteration: no single current step
    assert mazur.last_computation is None
    mazur.step_into()
    mazur.set_weight(0, 0, 0, 0.2)  # an edit clears it too
    assert mazur.last_computation is None


def test_read_only_operations_leave_a_pending_iteration_and_the_timeline_alone():
    sim = load_example("moons")
    sim.step()
    sim.step_back()  # something to redo
    tr = sim.begin_iteration()
    for _ in range(len(tr) - 30):  # deep into the updates
        sim.step_into()
    before = snapshot(sim)
    gc = sim.gradient_check()
    sim.preview()
    sim.loss()
    sim.test_loss()
    sim.outputs()
    sim.optimizer_state()
    sim.committed_theta()
    assert snapshot(sim) == before
    # The check ran at the committed parameters on the pending iteration's batch.
    fresh = load_example("moons")
    np.testing.assert_array_equal(gc.analytic, fresh.gradient_check().analytic)
    assert gc.max_error < 1e-6
    while sim.pending is not None:
        sim.step_into()
    fresh.step(trace=False)
    assert sim.network.theta.tobytes() == fresh.network.theta.tobytes()


# -- optimizer state and saved progress ---------------------------------------------------------------------
def test_optimizer_state_of_sgd_and_momentum(rng):
    sim = small(rng)
    assert sim.optimizer_state() == {}
    sim.set_training(momentum=0.9)
    before = sim.network.theta.copy()
    sim.step()
    v = sim.optimizer_state()["velocity"]
    # First step from v = 0: v = g and θ⁺ = θ − η·v.
    np.testing.assert_allclose(v, (before - sim.network.theta) / 0.3, rtol=1e-9, atol=1e-12)
    v[:] = 0.0  # a copy: changing it changes nothing
    assert np.any(sim.optimizer_state()["velocity"] != 0.0)


def test_restore_progress_sets_state_and_becomes_the_reset_point(rng):
    sim = small(rng, n=6, batch_size=4, momentum=0.5)
    vel = np.linspace(-1, 1, sim.network.n_params)
    sim.restore_progress(5, 2, 4, [0.5, 0.4, 0.3, 0.2, 0.1], [0.45, 0.25], [2, 4], optimizer_state={"velocity": vel},
                         test_loss=[0.5, 0.3])
    assert (sim.iteration, sim.epoch, sim.position) == (5, 2, 4)
    assert sim.batch_loss.view().tolist() == [0.5, 0.4, 0.3, 0.2, 0.1]
    assert sim.epoch_end.view().tolist() == [2, 4] and sim.test_epoch_loss.view().tolist() == [0.5, 0.3]
    assert sim.optimizer_state()["velocity"].tobytes() == vel.tobytes()
    assert not sim.can_step_back()
    sim.run(3)
    sim.reset()
    assert (sim.iteration, sim.epoch, sim.position) == (5, 2, 4)
    assert sim.optimizer_state()["velocity"].tobytes() == vel.tobytes()


@pytest.mark.parametrize("args,message", [
    ((3, 0, 0, [1.0, 2.0], [], []), "one entry per iteration"),
    ((2, 0, 6, [1.0, 2.0], [], []), "position"),
    ((2, 1, 0, [1.0, 2.0], [0.1, 0.2], [1, 2]), "only 1 epochs"),
    ((4, 2, 0, [1.0] * 4, [0.1, 0.2], [3, 2]), "must not decrease"),
    ((2, 2, 0, [1.0] * 2, [0.1, 0.2], [1, 3]), "later than the current one"),
    ((2, 1, 0, [1.0] * 2, [0.1], [2, 2]), "one entry per epoch loss"),
])
def test_restore_progress_refuses_inconsistent_values(rng, args, message):
    sim = small(rng)
    sim.step()
    before = snapshot(sim)
    with pytest.raises(ConfigError, match=message):
        sim.restore_progress(*args)
    assert snapshot(sim) == before


def test_restore_progress_refuses_a_wrong_optimizer_state(rng):
    sim = small(rng, momentum=0.9)
    with pytest.raises(ConfigError, match="velocity"):
        sim.restore_progress(0, 0, 0, [], [], [], optimizer_state={"velocity": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="test_loss"):
        sim.restore_progress(1, 1, 0, [0.3], [0.2], [1], test_loss=[0.1, 0.2])


# -- test set and data ------------------------------------------------------------------------------------------
def test_test_loss_and_its_history_against_a_reference(rng):
    sim = small(rng, n=6, test=4, batch_size=3)
    sizes, acts = list(sim.network.sizes), sim.network.activation_names

    def ref(x, t):
        return batch_loss(sizes, acts, sim.network.theta.tolist(), x.tolist(), t.tolist(), "mse")
    assert sim.test_loss() == pytest.approx(ref(sim.test_inputs, sim.test_targets), rel=1e-12)
    assert sim.loss() == pytest.approx(ref(sim.inputs, sim.targets), rel=1e-12)
    n0 = sim.timeline_nbytes()
    sim.run_epochs(2)
    assert sim.timeline_nbytes() > n0  # snapshots of the run
    hist = sim.test_epoch_loss.view()
    assert len(hist) == len(sim.epoch_loss.view()) == 2
    assert hist[-1] == pytest.approx(ref(sim.test_inputs, sim.test_targets), rel=1e-12)
    sim.step_back()
    assert len(sim.test_epoch_loss.view()) == 1


def test_without_a_test_set(rng):
    sim = small(rng)
    assert sim.test_loss() is None and sim.test_inputs is None
    sim.run_epochs(1)
    assert len(sim.test_epoch_loss.view()) == 1 and math.isnan(sim.test_epoch_loss.view()[0])


def test_set_data_is_one_undoable_entry(rng):
    sim = small(rng, n=6)
    sim.run(4)
    old_inputs = sim.inputs
    X = rng.normal(size=(9, 2))
    T = rng.uniform(size=(9, 2))
    sim.set_data(X, T, X[:3], T[:3])
    assert sim.n_samples == 9 and sim.position == 0 and sim.test_inputs.shape == (3, 2)
    assert sim.undo_label == "change data"
    with pytest.raises(ConfigError, match="targets must have shape"):
        sim.set_data(X, T[:, :1])
    with pytest.raises(ConfigError, match="together"):
        sim.set_data(X, T, test_inputs=X)
    assert sim.n_samples == 9
    assert sim.step_back()
    assert sim.inputs is old_inputs and sim.test_inputs is None and sim.iteration == 4
    assert sim.redo() and sim.n_samples == 9


# -- the softmax + MSE output delta (#9.7) --------------------------------------------------------------------
def test_softmax_mse_output_delta_shows_every_number(rng):
    sim = small(rng, sizes=(2, 3, 3), acts=("tanh", "softmax"), n=1, loss="mse")
    tr = sim.step()
    d = tr.find("δ_o1")
    assert d.expansion == ("out_o1·(∂E/∂out_o1 − (∂E/∂out_o1·out_o1 + ∂E/∂out_o2·out_o2 + "
                           "∂E/∂out_o3·out_o3))")
    assert "…" not in d.text()
    ops = dict(d.operands)
    for k in (1, 2, 3):  # the factors are the trace's own ∂E/∂out records and outputs
        assert ops[f"∂E/∂out_o{k}"] == tr.find(f"∂E/∂out_o{k}").result
        assert ops[f"out_o{k}"] == tr.find(f"out_o{k}").result
        assert format_in(ops[f"∂E/∂out_o{k}"], d.text()) and format_in(ops[f"out_o{k}"], d.text())
    o = [ops[f"out_o{k}"] for k in (1, 2, 3)]
    g = [ops[f"∂E/∂out_o{k}"] for k in (1, 2, 3)]
    assert d.result == pytest.approx(o[0] * (g[0] - sum(gm * om for gm, om in zip(g, o))), rel=1e-12)
    # Independent: central difference of the sample loss with respect to net_o1.
    z = np.array([tr.find(f"net_o{k}").result for k in (1, 2, 3)])
    t = sim.targets[0]

    def E(zz):
        p = np.exp(zz - zz.max())
        p /= p.sum()
        return 0.5 * ((t - p) ** 2).sum()
    h = 1e-6
    fd = (E(z + [h, 0, 0]) - E(z - [h, 0, 0])) / (2 * h)
    assert d.result == pytest.approx(fd, rel=1e-6, abs=1e-10)


def format_in(value, text):
    from backprop_lab.core import format_number
    return format_number(value) in text


# -- notation -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template,values,expected", [
    ("tanh({0})", [-0.9], "tanh(−0.9)"),
    ("1/(1+e^(−{0}))", [0.0], "1/(1+e^(0))"),
    ("1/(1+e^(−{0}))", [-0.5], "1/(1+e^(−(−0.5)))"),
    ("1/(1+e^(−{0}))", [-0.0], "1/(1+e^(0))"),
    ("−{0}·log {1} − (1 − {0})·log(1 − {1})", [0.0, 0.25], "0·log 0.25 − (1 − 0)·log(1 − 0.25)"),
    ("max(0.01·{0}, {0})", [-0.3], "max(0.01·(−0.3), −0.3)"),
    ("{0} − {1}·{2}", [0.4, 0.5, -0.02], "0.4 − 0.5·(−0.02)"),
    ("{0}·(1 − {0})", [-0.5], "−0.5·(1 − (−0.5))"),
    ("({0}·{1} + {2}·{3}) / 2", [-0.5, 1, -0.25, 2], "(−0.5·1 + (−0.25)·2) / 2"),
    ("{0}²", [-0.5], "(−0.5)²"),
    ("1 − {0}²", [-0.5], "1 − (−0.5)²"),
])
def test_substitution_never_writes_minus_zero_or_double_parentheses(template, values, expected):
    c = Computation(0, "forward", "activation", None, 0, "x", "x", template,
                    tuple((f"v{k}", v) for k, v in enumerate(values)), 0.0)
    assert c.substituted() == expected


def test_examples_never_show_minus_zero_or_double_parentheses():
    for name in ("mazur", "xor", "symmetry", "moons", "blobs"):
        text = load_example(name).step().text()
        for bad in ("((−", "e^(−0)", "−0·", "(−0)"):
            assert bad not in text, (name, bad)


# -- bounded memory and sampled gradient checks ------------------------------------------------------------------
def test_dataset_loss_in_chunks_equals_one_pass(rng, monkeypatch):
    from backprop_lab.core import kernel
    sim = small(rng, sizes=(3, 7, 2), n=1000)
    whole = sim.loss()
    out = sim.outputs()
    monkeypatch.setattr(kernel, "CHUNK_BYTES", 64 * 8 * (3 + 2 * 9))  # 64 samples a chunk
    assert kernel.chunk_rows(sim.network, 1000) == 64
    assert sim.loss() == pytest.approx(whole, rel=1e-13)
    np.testing.assert_array_equal(sim.outputs(), out)


def test_gradient_check_samples_large_networks_reproducibly(rng):
    sim = small(rng, sizes=(4, 20, 3), n=5, batch_size=5)
    n_w = 4 * 20 + 20 * 3
    full = sim.gradient_check()
    assert full.n_checked == sim.network.n_params and full.max_error < 1e-6
    a = sim.gradient_check(max_weights=50, seed=1)
    b = sim.gradient_check(max_weights=50, seed=1)
    c = sim.gradient_check(max_weights=50, seed=2)
    assert a.n_checked == 50 + 23 and np.array_equal(a.checked, b.checked)
    assert not np.array_equal(a.checked, c.checked)
    biases = np.flatnonzero(sim.network.bias_mask())
    assert set(biases) <= set(a.checked) and np.isnan(a.numeric).sum() == n_w - 50
    assert a.max_error < 1e-6


# -- naming of biases (#10.9) -----------------------------------------------------------------------------------
def test_biases_are_named_by_their_neuron_when_they_are_updated():
    tr = load_example("xor").step()  # 2-3-1, biases updated
    net_h2 = tr.find("net_h2⁽¹⁾")  # a batch of 4: per-sample symbols
    assert net_h2.expansion.endswith(" + b_h2") and net_h2.operand("b_h2") == load_example("xor").network.biases[0][1]
    assert tr.find("net_o1⁽⁴⁾").expansion.endswith(" + b_o1")
    g = tr.find("∂E/∂b_h2")
    assert g.element.kind == "bias" and (g.element.layer, g.element.j) == (0, 1)
    u = tr.find("b_o1⁺")
    assert u.expansion == "b_o1 − η·∂E/∂b_o1" and u.operand("b_o1") == load_example("xor").network.biases[1][0]
    assert not any("b1" in r.target or "b2" in r.target for r in tr)


def test_shared_fixed_biases_keep_the_layer_name(mazur):
    tr = mazur.step()
    assert tr.find("net_h2").expansion == "w3·i1 + w4·i2 + b1"
    assert tr.find("net_o1").expansion == "w5·out_h1 + w6·out_h2 + b2"
    assert tr.find("∂E/∂b1→h2").result == tr.find("δ_h2").result
    assert not any(r.kind == "update" and r.element.kind == "bias" for r in tr)


def test_fixed_but_different_biases_are_named_by_their_neuron(mazur):
    mazur.set_bias(0, 1, 0.3)  # h2's bias differs from h1's: not shared any more
    tr = mazur.step()
    assert tr.find("net_h1").expansion.endswith(" + b_h1") and tr.find("net_h2").operand("b_h2") == 0.3
    assert tr.find("net_o2").expansion.endswith(" + b2")  # the output layer's are still equal and fixed
    assert mazur.network.element_name(mazur.network.element_of_index(mazur.network.bias_index(0, 1))) == "b_h2"
