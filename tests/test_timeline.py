"""Traced vs fast path, exact step back, step into, redo, divergence, symmetry."""
import numpy as np
import pytest

from backprop_lab.core import (
    ConfigError,
    DivergenceError,
    Element,
    Network,
    Simulation,
    TrainingSettings,
    initialize,
    load_example,
)


def state(sim):
    """Everything step back must restore, as comparable bytes/values."""
    return (sim.network.theta.tobytes(), sim.velocity.tobytes(), sim.iteration, sim.epoch, sim.position,
            sim.batch_loss.view().tobytes(), sim.epoch_loss.view().tobytes(), sim.epoch_end.view().tobytes(),
            sim.settings, sim.next_batch().tobytes())


def moons(momentum=0.9, shuffle=True):
    sim = load_example("moons")
    sim.set_training(momentum=momentum, shuffle=shuffle)
    sim.timeline.clear()  # the settings change above is part of the setup, not of the test
    return sim


@pytest.mark.parametrize("example", ["mazur", "xor", "moons", "blobs"])
def test_traced_and_fast_paths_are_bit_identical(example):
    a, b = load_example(example), load_example(example)
    for _ in range(7):
        a.step(trace=True)
        b.step(trace=False)
        assert a.network.theta.tobytes() == b.network.theta.tobytes()
        assert a.velocity.tobytes() == b.velocity.tobytes()
    assert a.batch_loss.view().tobytes() == b.batch_loss.view().tobytes()


def test_step_into_reaches_same_parameters_as_step():
    a, b = load_example("blobs"), load_example("blobs")
    tr = a.begin_iteration()
    for _ in range(len(tr)):
        a.step_into()
    b.step()
    assert a.pending is None and a.iteration == 1
    assert a.network.theta.tobytes() == b.network.theta.tobytes()


def test_step_back_is_bit_identical_after_steps_runs_edits_and_shuffled_epochs():
    sim = moons()
    states = [state(sim)]

    def do(action):
        action()
        states.append(state(sim))
    do(sim.step)
    for _ in range(95):  # crosses three shuffled epochs, more than one checkpoint run
        do(lambda: sim.step(trace=False))
    do(lambda: sim.set_weight(1, 2, 3, 0.123))
    do(lambda: sim.set_training(learning_rate=0.01))
    for _ in range(3):
        do(sim.step)
    do(lambda: sim.set_bias(0, 1, -0.5))
    do(sim.step)
    # An independent simulation doing the same with run() reaches the same states.
    ref = moons()
    ref.step()
    ref.run(95)
    assert state(ref) == states[96]
    ref.set_weight(1, 2, 3, 0.123)
    ref.set_training(learning_rate=0.01)
    ref.run(3)
    ref.set_bias(0, 1, -0.5)
    ref.step(trace=False)
    assert state(ref) == states[-1]
    # Walk back to the very start: every intermediate state is restored exactly.
    for k in range(len(states) - 2, -1, -1):
        assert sim.step_back()
        assert state(sim) == states[k], f"after undoing down to entry {k}"
    assert not sim.step_back()
    assert len(states) == 1 + 1 + 95 + 1 + 1 + 3 + 1 + 1


def test_step_back_each_iteration_matches_forward_history():
    sim = moons()
    hist = [state(sim)]
    for _ in range(70):
        sim.step(trace=False)
        hist.append(state(sim))
    for k in range(70, 0, -1):
        assert state(sim) == hist[k]
        assert sim.step_back()
    assert state(sim) == hist[0]
    assert not sim.step_back()


def test_redo_and_reproducing_a_step_after_step_back():
    sim = moons()
    sim.run(40)
    after = state(sim)
    sim.step_back()
    sim.step_back()
    assert sim.can_redo()
    sim.redo()
    sim.redo()
    assert state(sim) == after
    sim.step_back()
    sim.step(trace=False)  # stepping forward again reproduces the same step
    assert state(sim) == after


def test_new_edit_after_step_back_discards_future():
    sim = load_example("mazur")
    sim.step()
    sim.step()
    sim.step_back()
    assert sim.can_redo()
    sim.set_weight(0, 0, 0, 0.5)
    assert not sim.can_redo()
    assert sim.network.weights[0][0, 0] == 0.5
    sim.step_back()
    assert sim.network.weights[0][0, 0] == pytest.approx(0.149780716, abs=5e-10)


def test_deep_timeline_thins_and_still_steps_back_exactly():
    sim = load_example("moons")
    sim.timeline_budget = 64 * 1024  # tiny budget forces merging of old runs
    hist = {}
    for k in range(1, 3001):
        sim.step(trace=False)
        if k in (1, 100, 1500, 2999):
            hist[k] = state(sim)
    assert sim.timeline.nbytes <= 2 * 64 * 1024
    sim.step_back()
    assert state(sim) == hist[2999]
    while sim.iteration > 1500:
        sim.step_back()
    assert state(sim) == hist[1500]
    while sim.iteration > 100:
        sim.step_back()
    assert state(sim) == hist[100]
    while sim.iteration > 1:
        sim.step_back()
    assert state(sim) == hist[1]


def test_step_back_into_walks_computations_in_reverse():
    sim = load_example("mazur")
    w5 = Element("weight", 1, 0, 0)
    tr = sim.begin_iteration()
    n = len(tr)
    recs = [sim.step_into() for _ in range(n)]
    assert [r.index for r in recs] == list(range(n))
    assert sim.iteration == 1 and sim.parameter(w5) == pytest.approx(0.35891648, abs=1e-9)
    # One computation back enters iteration 1 again, just before its last computation.
    assert sim.step_back_into()
    assert sim.iteration == 0 and sim.cursor == n - 1
    for _ in range(n - 1):
        assert sim.step_back_into()
    assert sim.cursor == 0
    assert sim.parameter(w5) == 0.40
    assert sim.network.theta.tobytes() == load_example("mazur").network.theta.tobytes()


def test_redo_performs_again_what_step_back_into_undid():
    # (a new-user tester: after Shift+F11, Redo did nothing; F11 was the only way forward)
    sim = load_example("mazur")
    tr = sim.begin_iteration()
    n = len(tr)
    first_update = next(r.index for r in tr if r.kind == "update")
    thetas = {}
    for _ in range(first_update + 3):  # into the updates: parameters change
        sim.step_into()
        thetas[sim.cursor] = sim.network.theta.copy()
    assert not sim.can_redo()
    for _ in range(3):
        assert sim.step_back_into()
    assert sim.can_redo() and sim.redo_label == f"computation {first_update + 1} of iteration 1"
    assert sim.redo() and sim.cursor == first_update + 1
    np.testing.assert_array_equal(sim.network.theta, thetas[first_update + 1])
    sim.step_into()  # F11 is the same step forward: one redo fewer
    assert sim.cursor == first_update + 2 and sim.can_redo()
    assert sim.redo() and not sim.can_redo() and sim.redo_label == ""
    np.testing.assert_array_equal(sim.network.theta, thetas[first_update + 3])
    # one computation back from the next iteration's start, then Redo, completes iteration 1 as before
    while sim.pending is not None:
        sim.step_into()
    done = state(sim)
    assert sim.step_back_into() and sim.iteration == 0 and sim.cursor == n - 1
    assert sim.redo() and state(sim) == done
    # anything else ends the redo: an edit
    sim.step_into()
    sim.step_back_into()
    assert sim.can_redo()
    sim.set_parameter(Element("weight", 1, 0, 0), 0.3)
    assert not sim.can_redo()


def test_parameters_change_only_when_their_update_is_reached():
    sim = load_example("mazur")
    tr = sim.begin_iteration()
    first_update = next(r.index for r in tr if r.kind == "update")
    for _ in range(first_update):
        sim.step_into()
    assert sim.network.theta.tobytes() == load_example("mazur").network.theta.tobytes()
    r = sim.step_into()
    assert r.target == "w1⁺" and sim.network.weights[0][0, 0] == r.result


def test_edit_mid_iteration_abandons_it():
    sim = load_example("mazur")
    tr = sim.begin_iteration()
    for _ in range(len(tr) - 3):  # some updates applied already
        sim.step_into()
    sim.set_weight(0, 0, 1, 0.3)
    assert sim.abandoned_iteration and sim.pending is None and sim.iteration == 0
    assert sim.network.weights[1][0, 0] == 0.40  # the partial update was undone
    assert sim.preview().find("net_h1").operand("w2") == 0.3


def test_trace_order_and_elements():
    tr = load_example("mazur").step()
    phases = [r.phase for r in tr]
    assert phases == sorted(phases, key=["forward", "loss", "backward", "update"].index)
    kinds = {r.kind: r.element.kind for r in tr}
    assert kinds["weighted_sum"] == "neuron" and kinds["gradient"] in ("weight", "bias")
    assert kinds["update"] == "weight" and kinds["total_loss"] == "loss"
    deltas = [r.target for r in tr if r.kind.endswith("delta")]
    assert deltas == ["δ_o1", "δ_o2", "δ_h1", "δ_h2"]


def test_minibatch_trace_shows_per_sample_values_and_mean():
    sim = load_example("moons")  # batch 10
    tr = sim.step()
    assert len({r.sample for r in tr if r.kind == "weighted_sum"}) == 10
    g = tr.find("∂E/∂w1")
    assert g.expansion.startswith("(1/10)·Σₛ δ_h1_1⁽ˢ⁾")
    prods = [g.operands[k][1] * g.operands[k + 1][1] for k in range(0, len(g.operands), 2)]
    assert g.result == pytest.approx(sum(prods) / 10, rel=1e-12)
    assert tr.find("E_total").result == pytest.approx(
        np.mean([r.result for r in tr if r.kind == "sample_loss"]), rel=1e-12)


def test_divergence_stops_and_keeps_last_finite_state():
    net = Network([1, 1], ["linear"])
    net.theta[:] = [1.0, 0.0]
    sim = Simulation(net, [[10.0]], [[1.0]], TrainingSettings(learning_rate=50.0, update_biases=True))
    r = sim.run(10_000)
    assert r.diverged and r.reason.startswith(f"Iteration {r.iterations + 1}: ")
    assert "learning rate" in r.reason or "loss" in r.reason
    assert np.isfinite(sim.network.theta).all()
    before = sim.network.theta.copy()
    with pytest.raises(DivergenceError):
        sim.step()
    assert np.array_equal(sim.network.theta, before)
    assert r.iterations == sim.iteration


@pytest.mark.parametrize("bad", ["abc", float("nan"), float("inf"), "1e999", None])
def test_bad_edits_are_refused_and_change_nothing(bad):
    sim = load_example("mazur")
    before = state(sim)
    with pytest.raises(ConfigError):
        sim.set_weight(0, 0, 0, bad)
    assert state(sim) == before
    with pytest.raises(ConfigError):
        sim.set_weight(5, 0, 0, 1.0)


@pytest.mark.parametrize("changes", [{"learning_rate": -1}, {"learning_rate": float("nan")},
                                     {"batch_size": 0}, {"momentum": 1.0}, {"loss": "hinge"},
                                     {"loss": "cross_entropy", "learning_rate": 0.1}])
def test_bad_settings_are_refused(changes):
    sim = load_example("moons")  # tanh output: cross-entropy is not allowed
    before = sim.settings
    with pytest.raises(ConfigError):
        sim.set_training(**changes)
    assert sim.settings == before


def test_symmetry_problem_constant_init_keeps_hidden_neurons_identical():
    sim = load_example("symmetry")
    sim.run(2000)
    W0, W1 = sim.network.weights[0], sim.network.weights[1]
    for j in range(1, 3):
        assert np.array_equal(W0[j], W0[0]) and sim.network.biases[0][j] == sim.network.biases[0][0]
        assert W1[0, j] == W1[0, 0]
    assert sim.loss() > 0.1  # it cannot learn XOR


def test_symmetry_constant_nonzero_init_too():
    sim = load_example("symmetry")
    sim.reinitialize("constant", value=0.3, biases=0.3)
    sim.run(500)
    assert np.array_equal(sim.network.weights[0][1], sim.network.weights[0][0])


def test_random_init_breaks_symmetry():
    sim = load_example("symmetry")
    sim.reinitialize("uniform", seed=4, scale=1.0, biases="same")
    sim.run(3000)
    W0 = sim.network.weights[0]
    assert not np.array_equal(W0[0], W0[1])
    assert sim.loss() < 0.01


def test_reinitialize_and_reset_are_undoable():
    sim = load_example("xor")
    sim.run(100)
    s100 = state(sim)
    sim.reinitialize("he", seed=9)
    assert sim.iteration == 0 and sim.batch_loss.n == 0
    sim.run(10)
    sim.reset()
    assert state(sim) == state(load_example("xor"))
    for _ in range(12):  # undo reset, the 10 steps, the re-initialisation
        assert sim.step_back()
    assert state(sim) == s100


def test_initialisation_is_seeded():
    net = Network([3, 4, 2], ["tanh", "sigmoid"])
    for scheme in ["uniform", "normal", "xavier", "he"]:
        a = initialize(net, scheme, np.random.default_rng(1))
        b = initialize(net, scheme, np.random.default_rng(1))
        c = initialize(net, scheme, np.random.default_rng(2))
        assert np.array_equal(a, b) and not np.array_equal(a, c)
    a = initialize(net, "xavier", np.random.default_rng(0))
    lim = np.sqrt(6 / (3 + 4))
    assert np.all(np.abs(a[:12]) <= lim)


def test_naming():
    net = Network([2, 2, 2], ["sigmoid", "sigmoid"])
    assert [net.neuron_name(0, 0), net.neuron_name(1, 1), net.neuron_name(2, 0)] == ["i1", "h2", "o1"]
    assert [net.weight_name(0, 0, 0), net.weight_name(0, 1, 0), net.weight_name(1, 1, 1)] == ["w1", "w3", "w8"]
    assert net.bias_name(0) == "b1" and net.bias_name(1) == "b2"
    deep = Network([2, 3, 3, 1], ["tanh", "tanh", "linear"])
    assert deep.neuron_name(2, 2) == "h2_3" and deep.weight_name(2, 0, 2) == "w18"


def test_step_back_to_an_iteration_far_back_is_exact_and_redoable():
    sim = load_example("moons")
    hist = {}
    for k in range(1, 2001):
        sim.step(trace=False)
        if k in (777, 2000):
            hist[k] = state(sim)
    sim.set_weight(0, 0, 0, 1.5)
    n = sim.step_back_to(777)
    assert n == 1 + 2000 - 777
    assert state(sim) == hist[777]
    for _ in range(2000 - 777):
        assert sim.redo()
    assert state(sim) == hist[2000]
    sim.redo()
    assert sim.network.weights[0][0, 0] == 1.5


def test_a_step_a_person_took_is_stepped_back_over_by_a_restore_not_a_replay():
    sim = moons()
    states = [state(sim)]
    for _ in range(40):  # more than one checkpoint interval
        sim.step()
        states.append(state(sim))
    calls = []
    real = sim.engine.compute
    sim.engine.compute = lambda *a, **k: calls.append(1) or real(*a, **k)
    for k in range(39, 29, -1):
        assert sim.step_back()
        assert state(sim) == states[k], k  # exact
    assert not calls  # every traced step had its own snapshot: nothing was recomputed
    before = state(sim)
    sim.run(40)  # steps without a trace share snapshots, as before: the last run's are replayed
    calls.clear()
    for _ in range(40):
        sim.step_back()
    assert state(sim) == before and calls


def test_large_networks_share_snapshots_between_steps():
    from backprop_lab.core import simulation as S
    sim = moons()
    sim.step()
    S.SNAPSHOT_EACH_STEP_BYTES, real_limit = 0, S.SNAPSHOT_EACH_STEP_BYTES
    try:
        for _ in range(5):
            sim.step()
    finally:
        S.SNAPSHOT_EACH_STEP_BYTES = real_limit
    runs = [e for e in sim.timeline.entries if type(e).__name__ == "Run"]
    assert [r.count for r in runs] == [6]  # the later steps joined the first one's run


def test_undo_names_a_partly_stepped_into_iteration_first():
    # (a new-user tester: two computations into iteration 2, Edit showed "Undo iteration 1", and Ctrl+Z undid
    # iteration 2's computations)
    from backprop_lab.core import load_example
    sim = load_example("mazur")
    sim.step()
    assert sim.undo_label == "iteration 1"
    sim.step_into()
    sim.step_into()
    assert sim.undo_label == "the computations of iteration 2"
    assert sim.step_back() and sim.pending is None and sim.iteration == 1
    assert sim.undo_label == "iteration 1"


def test_step_back_from_an_entered_iteration_with_nothing_performed_undoes_the_one_before():
    # (a third new-user tester: Shift+F11 back to "Ready for iteration 2", then Shift+F10 said it undid "the
    # computations of this iteration" — none — and a second press was needed)
    sim = load_example("mazur")
    before = state(sim)
    sim.step()
    sim.step_into()
    assert sim.step_back_into() and sim.pending is not None and sim.cursor == 0
    assert sim.undo_label == "iteration 1"
    assert sim.step_back() and sim.pending is None and state(sim) == before
    sim.redo()
    sim.step_into()
    sim.step_into()
    assert sim.undo_label == "the computations of iteration 2"
    assert sim.step_back() and sim.iteration == 1 and sim.pending is None  # performed ones: those first
