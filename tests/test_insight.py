"""The insight computations (input plane, neuron pictures, samples, loss landscape, compared runs)
checked against independent hand computations, finite differences and the engine's own steps."""
import json
import math

import numpy as np
import pytest
from reference import batch_loss

from backprop_lab.core import ConfigError, Element, Network, Simulation, TrainingSettings, initialize, load_example
from backprop_lab.core import insight as ins
from backprop_lab.core.runs import RunRecord, RunsModel, decimate, describe_difference


# -- independent forward pass: per layer, activations written out here ---------------------------------
def act(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "linear":
        return z
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def hand_layers(net, X):
    """Outputs of every dense layer, from the weights by W·x + b and the activation."""
    a, outs = np.asarray(X, dtype=float), []
    for l, name in enumerate(net.activation_names):
        W, b = net.weights[l], net.biases[l]
        # neuron by neuron, term by term (vectorised over the samples only)
        z = np.column_stack([sum(W[j, i] * a[:, i] for i in range(W.shape[1])) + b[j] for j in range(W.shape[0])])
        a = act(name, z)
        outs.append(a)
    return outs


def grid_points(g):
    gx, gy = np.meshgrid(g.xs, g.ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def sine_sim(seed=0):
    rng = np.random.default_rng(seed)
    net = Network([1, 6, 1], ["tanh", "linear"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.uniform(-3, 3, (30, 1))
    return Simulation(net, x, np.sin(x), TrainingSettings(learning_rate=0.05, batch_size=5))


def trained(name, iterations):
    sim = load_example(name)
    sim.run(iterations)
    return sim


# -- the plane ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,iters", [("moons", 300), ("blobs", 100), ("xor", 500), ("mazur", 0)])
def test_plane_outputs_equal_the_network_at_the_grid_points(name, iters):
    sim = trained(name, iters)
    g = ins.plane_grid(sim, 23, ny=17)
    assert g.outputs.shape == (17, 23, sim.network.sizes[-1])
    expected = hand_layers(sim.network, grid_points(g))[-1].reshape(17, 23, -1)
    np.testing.assert_allclose(g.outputs, expected, rtol=1e-12, atol=1e-14)
    xs, ys, outputs = g  # unpacks as the brief's (xs, ys, outputs)
    assert outputs is g.outputs
    # grid point (r, c) is (xs[c], ys[r])
    np.testing.assert_allclose(g.outputs[5, 7], hand_layers(sim.network, [[xs[7], ys[5]]])[-1][0], rtol=1e-12)


def test_large_grids_are_evaluated_in_blocks_with_the_same_numbers():
    sim = trained("blobs", 30)
    g = ins.plane_grid(sim, 90, ny=70)  # 6,300 points: two blocks of the forward pass
    assert 90 * 70 > ins.CHUNK_ROWS
    expected = hand_layers(sim.network, grid_points(g))
    np.testing.assert_allclose(g.outputs.reshape(-1, 3), expected[-1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g.layers[0].reshape(-1, 6), expected[0], rtol=1e-12, atol=1e-15)


def test_plane_range_is_the_data_with_a_tenth_margin():
    sim = load_example("moons")
    g = ins.plane_grid(sim, 11)
    for axis, grid in ((0, g.xs), (1, g.ys)):
        lo, hi = sim.inputs[:, axis].min(), sim.inputs[:, axis].max()
        assert grid[0] == pytest.approx(lo - 0.1 * (hi - lo), rel=1e-12)
        assert grid[-1] == pytest.approx(hi + 0.1 * (hi - lo), rel=1e-12)
    # a test set widens the range
    sim.set_data(sim.inputs, sim.targets, test_inputs=np.array([[10.0, -5.0]]), test_targets=np.array([[1.0]]))
    g = ins.plane_grid(sim, 11)
    assert g.xs[-1] > 10.0 and g.ys[0] < -5.0
    # one sample: ±0.5 around it
    m = load_example("mazur")
    assert ins.data_range(m, 0) == (0.05 - 0.5, 0.05 + 0.5)


def test_plane_rejects_bad_requests_and_changes_nothing():
    sim = load_example("moons")
    before = sim.network.theta.copy()
    with pytest.raises(ConfigError, match="2 inputs"):
        ins.plane_grid(sine_sim(), 10)
    with pytest.raises(ConfigError, match="resolution"):
        ins.plane_grid(sim, 1)
    with pytest.raises(ConfigError, match="ranges"):
        ins.plane_grid(sim, 10, ranges=((1.0, 0.0), (0.0, 1.0)))
    with pytest.raises(ConfigError, match="theta"):
        ins.plane_grid(sim, 10, theta=np.zeros(3))
    assert np.array_equal(sim.network.theta, before)


def test_plane_at_other_parameters_leaves_the_network_alone():
    sim = load_example("xor")
    theta = sim.network.theta.copy()
    other = np.linspace(-1, 1, sim.network.n_params)
    g = ins.plane_grid(sim, 9, theta=other)
    net = Network(sim.network.sizes, sim.network.activation_names, other)
    np.testing.assert_allclose(g.outputs, hand_layers(net, grid_points(g))[-1].reshape(9, 9, 1), rtol=1e-12)
    assert np.array_equal(sim.network.theta, theta)


@pytest.mark.parametrize("name", ["moons", "blobs"])
def test_neuron_pictures_are_each_neurons_activation(name):
    sim = trained(name, 50)
    pics = ins.neuron_pictures(sim, 13)
    net = sim.network
    assert set(pics) == {(l, j) for l in range(1, len(net.sizes)) for j in range(net.sizes[l])}
    g = ins.plane_grid(sim, 13)
    P = grid_points(g)
    # first hidden neuron by hand: f(W·x + b)
    W, b = net.weights[0], net.biases[0]
    j = 2
    h = act(net.activation_names[0], P[:, 0] * W[j, 0] + P[:, 1] * W[j, 1] + b[j])
    np.testing.assert_allclose(pics[(1, j)], h.reshape(13, 13), rtol=1e-12, atol=1e-15)
    layers = hand_layers(net, P)
    for (l, j), arr in pics.items():
        np.testing.assert_allclose(arr, layers[l - 1][:, j].reshape(13, 13), rtol=1e-12, atol=1e-15)


def test_curve_1d_is_the_function_over_the_data():
    sim = sine_sim()
    xs, out = ins.curve_1d(sim, 50)
    lo, hi = sim.inputs.min(), sim.inputs.max()
    assert xs[0] == pytest.approx(lo - 0.1 * (hi - lo)) and xs[-1] == pytest.approx(hi + 0.1 * (hi - lo))
    np.testing.assert_allclose(out, hand_layers(sim.network, xs[:, None])[-1], rtol=1e-12)
    with pytest.raises(ConfigError, match="1 input"):
        ins.curve_1d(load_example("xor"), 10)


# -- contours ------------------------------------------------------------------------------------------------
def test_contour_of_a_plane_lies_on_the_level():
    xs, ys = np.linspace(-1, 2, 31), np.linspace(0, 1, 17)
    gx, gy = np.meshgrid(xs, ys)
    v = 0.7 * gx - 1.3 * gy + 0.1
    segs = ins.contour_segments(xs, ys, v, 0.2)
    assert len(segs) > 10
    pts = segs.reshape(-1, 2)
    # linear interpolation of a linear field is exact
    np.testing.assert_allclose(0.7 * pts[:, 0] - 1.3 * pts[:, 1] + 0.1, 0.2, atol=1e-12)
    assert ins.contour_segments(xs, ys, v, 100.0).shape == (0, 2, 2)


def test_contour_of_a_circle_and_a_saddle():
    xs = ys = np.linspace(-1, 1, 81)
    gx, gy = np.meshgrid(xs, ys)
    segs = ins.contour_segments(xs, ys, gx ** 2 + gy ** 2, 0.51 ** 2)  # r = 0.51 meets no grid point
    r = np.hypot(*segs.reshape(-1, 2).T)
    assert np.abs(r - 0.51).max() < 2e-3
    # every segment endpoint is shared by exactly one other segment: a closed curve
    keys, counts = np.unique(np.round(segs.reshape(-1, 2), 12), axis=0, return_counts=True)
    assert set(counts) == {2}
    # a saddle cell gives two segments, split by the centre value
    s = ins.contour_segments(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([[1.0, 0.0], [0.0, 1.0]]), 0.4)
    assert s.shape == (2, 2, 2)
    # centre 0.5 ≥ 0.4 joins the high corners (0,0) and (1,1): cut off corners (1,0) and (0,1)
    ends = {tuple(np.round(p, 12)) for p in s.reshape(-1, 2)}
    assert ends == {(0.6, 0.0), (1.0, 0.4), (0.0, 0.6), (0.4, 1.0)}


def test_boundary_follows_the_decision_level_and_the_class_change():
    sim = trained("xor", 3000)
    g = ins.plane_grid(sim, 120)
    segs = ins.boundary_segments(g)
    assert len(segs) > 50
    out = sim.network.forward(segs.reshape(-1, 2))[:, 0]
    assert np.abs(out - 0.5).max() < 0.02  # interpolated between grid points
    blobs = trained("blobs", 200)
    gb = ins.plane_grid(blobs, 100)
    segs = ins.boundary_segments(gb).reshape(-1, 2)
    o = blobs.network.forward(segs)
    top2 = np.sort(o, axis=1)[:, -2:]
    assert np.abs(top2[:, 1] - top2[:, 0]).max() < 0.05  # two classes tie on the boundary
    assert len(ins.boundary_segments(ins.plane_grid(sine_like_2d(), 20))) == 0  # regression: none


def sine_like_2d():
    rng = np.random.default_rng(4)
    net = Network([2, 3, 1], ["tanh", "linear"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.normal(size=(20, 2))
    return Simulation(net, x, np.sin(x[:, :1]) + x[:, 1:])


# -- task, samples, accuracy ----------------------------------------------------------------------------------------
def test_task_rules():
    assert ins.task_of(load_example("moons")) == ins.Task("binary", 2, 0.0, -1.0, 1.0, 0.0, 1.0)
    assert ins.task_of(load_example("xor")).level == 0.5
    blobs = ins.task_of(load_example("blobs"))
    assert (blobs.kind, blobs.n_classes) == ("multiclass", 3)
    assert ins.task_of(load_example("mazur")).kind == "multiclass"  # 0.01/0.99: one-hot-like
    assert ins.task_of(sine_sim()).kind == "regression"
    assert ins.task_of(sine_like_2d()).kind == "regression"


def hand_sim():
    """One sigmoid neuron out = σ(x1): weights chosen by hand."""
    net = Network([2, 1], ["sigmoid"], np.array([1.0, 0.0, 0.0]))
    X = np.array([[-2.0, 5.0], [-1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, -4.0]])
    T = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    return Simulation(net, X, T, TrainingSettings(loss="cross_entropy"))


def test_accuracy_on_a_hand_made_case():
    sim = hand_sim()
    # σ(x1) ≥ 0.5 ⇔ x1 ≥ 0: predicted 0, 0, 1, 1, 1 against targets 0, 1, 1, 0, 1
    t = ins.sample_table(sim)
    assert t.predicted.tolist() == [0, 0, 1, 1, 1]
    assert t.correct.tolist() == [True, False, True, False, True]
    assert ins.accuracy(sim) == pytest.approx(0.6)
    # per-sample binary cross-entropy by hand
    o = 1 / (1 + np.exp(-sim.inputs[:, 0]))
    tt = sim.targets[:, 0]
    np.testing.assert_allclose(t.loss, -(tt * np.log(o) + (1 - tt) * np.log(1 - o)), rtol=1e-12)
    assert ins.accuracy(sim, "test") is None and ins.sample_table(sim, "test") is None
    sim.set_data(sim.inputs, sim.targets, test_inputs=np.array([[0.5, 0.0], [-0.5, 0.0]]),
                 test_targets=np.array([[0.0], [0.0]]))
    assert ins.accuracy(sim, "test") == 0.5
    with pytest.raises(ConfigError, match="which"):
        ins.accuracy(sim, "validation")


def test_accuracy_softmax_argmax_by_hand():
    # 2-3 softmax with logits = (x1, x2, 0): the largest input wins, class 3 when both are negative
    theta = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    net = Network([2, 3], ["softmax"], theta)
    X = np.array([[2.0, 1.0], [0.0, 3.0], [-1.0, -2.0], [1.0, 0.5]])
    T = np.eye(3)[[0, 1, 1, 2]]
    sim = Simulation(net, X, T, TrainingSettings(loss="cross_entropy"))
    t = ins.sample_table(sim)
    assert t.predicted.tolist() == [0, 1, 2, 0] and t.target_class.tolist() == [0, 1, 1, 2]
    assert ins.accuracy(sim) == 0.5
    for k in range(4):
        assert t.loss[k] == pytest.approx(batch_loss([2, 3], ["softmax"], list(theta), X[k:k + 1], T[k:k + 1],
                                                     "cross_entropy"), rel=1e-12)


def test_regression_has_no_accuracy_and_the_right_losses():
    sim = sine_sim()
    t = ins.sample_table(sim)
    assert t.predicted is None and t.correct is None and ins.accuracy(sim) is None
    np.testing.assert_allclose(t.loss.mean(), sim.loss(), rtol=1e-12)
    ref = [batch_loss(sim.network.sizes, sim.network.activation_names, list(sim.network.theta),
                      sim.inputs[k:k + 1], sim.targets[k:k + 1], "mse") for k in range(3)]
    np.testing.assert_allclose(t.loss[:3], ref, rtol=1e-12)


# -- the loss landscape ------------------------------------------------------------------------------------------------
def state(sim):
    return (sim.network.theta.copy(), sim.iteration, sim.position, sim.epoch, sim.can_step_back(), sim.can_redo(),
            sim.undo_label, sim.velocity.copy(), sim.pending, sim.cursor, len(sim.batch_loss.view()))


def same_state(a, b):
    return all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y for x, y in zip(a, b))


ELEMENTS = {
    "mazur": [Element("weight", 1, 0, 0), Element("weight", 0, 1, 0), Element("bias", 1, 1)],
    "moons": [Element("weight", 0, 3, 1), Element("weight", 2, 0, 5), Element("bias", 1, 2)],
    "blobs": [Element("weight", 1, 2, 4), Element("bias", 0, 1)],
    "xor": [Element("weight", 0, 0, 0), Element("bias", 1, 0)],
}
CASES = [(n, e) for n, es in ELEMENTS.items() for e in es]


@pytest.mark.parametrize("name,element", CASES)
def test_tangent_is_the_traces_gradient_and_the_slope_of_the_curve(name, element):
    sim = trained(name, 7)  # mini-batches part-way through an epoch, momentum built up
    before = state(sim)
    w0, e0, slope = ins.tangent(sim, element)
    trace = sim.preview()
    grad = [r for r in trace if r.kind == "gradient" and r.element == element]
    assert slope == grad[0].result
    assert w0 == sim.parameter(element)
    # E0 is the next batch's loss, by an independent reference
    idx = sim.next_batch()
    ref = batch_loss(sim.network.sizes, sim.network.activation_names, list(sim.network.theta),
                     sim.inputs[idx], sim.targets[idx], sim.settings.loss)
    assert e0 == pytest.approx(ref, rel=1e-12) and e0 == pytest.approx(trace.loss, rel=1e-12)
    # a central difference of the curve at w0
    h = 1e-5
    vals, losses = ins.loss_along(sim, element, h, 3)
    assert vals[1] == w0 and losses[1] == e0
    fd = (losses[2] - losses[0]) / (vals[2] - vals[0])
    assert fd == pytest.approx(slope, rel=1e-5, abs=1e-10)
    assert same_state(before, state(sim))


@pytest.mark.parametrize("name,element", CASES)
def test_next_point_is_where_a_step_puts_the_parameter(name, element):
    sim = trained(name, 7)
    theta0 = sim.network.theta.copy()
    w1, e1 = ins.next_point(sim, element)
    vals, losses = ins.loss_along(sim, element, abs(w1 - sim.parameter(element)) or 1.0, 3)
    sim.step()
    assert sim.parameter(element) == w1
    sim.step_back()
    assert np.array_equal(sim.network.theta, theta0)
    # E1: the batch loss with only this parameter moved (independent reference)
    th = theta0.copy()
    th[ins.param_index(sim.network, element)] = w1
    idx = sim.next_batch()
    ref = batch_loss(sim.network.sizes, sim.network.activation_names, list(th), sim.inputs[idx], sim.targets[idx],
                     sim.settings.loss)
    assert e1 == pytest.approx(ref, rel=1e-12)


def test_fixed_bias_does_not_move():
    sim = load_example("mazur")  # update_biases off
    w0, _, slope = ins.tangent(sim, Element("bias", 0, 0))
    assert slope != 0.0
    w1, _ = ins.next_point(sim, Element("bias", 0, 0))
    assert w1 == w0 == 0.35


def test_loss_along_is_the_batch_or_training_loss_by_reference():
    sim = trained("moons", 3)
    e = Element("weight", 1, 4, 2)
    k = sim.network.weight_index(1, 4, 2)
    vals, losses = ins.loss_along(sim, e, 0.7, 9)
    np.testing.assert_allclose(vals, sim.network.theta[k] + np.linspace(-0.7, 0.7, 9), rtol=0, atol=1e-15)
    idx = sim.next_batch()
    for data, X, T, got in (("batch", sim.inputs[idx], sim.targets[idx], losses),
                            ("train", sim.inputs, sim.targets, ins.loss_along(sim, e, 0.7, 9, data="train")[1])):
        for c in (0, 4, 8):
            th = sim.network.theta.copy()
            th[k] = vals[c]
            ref = batch_loss(sim.network.sizes, sim.network.activation_names, list(th), X, T, "mse")
            assert got[c] == pytest.approx(ref, rel=1e-12), data
    with pytest.raises(ConfigError, match="weight or a bias"):
        ins.loss_along(sim, Element("neuron", 1, 0), 1.0, 5)
    with pytest.raises(ConfigError, match="span"):
        ins.loss_along(sim, e, -1.0, 5)
    with pytest.raises(ConfigError, match="test set"):
        ins.loss_along(sim, e, 1.0, 5, data="test")


def test_kernel_gradient_without_a_trace_matches_the_trace():
    sim = trained("moons", 5)  # the numpy kernel: bit-identical
    e = Element("weight", 0, 1, 1)
    _, _, slope = ins.tangent(sim, e, preview=False)
    assert slope == ins.tangent(sim, e)[2]
    assert ins.next_point(sim, e, preview=False) is None
    m = load_example("mazur")  # the plain-Python kernel traces tiny networks: equal to rounding
    assert ins.tangent(m, Element("weight", 1, 0, 0), preview=False)[2] == pytest.approx(0.082167041, abs=1e-9)


def test_a_given_trace_is_used_only_when_it_is_the_next_iteration():
    sim = load_example("mazur")
    e = Element("weight", 1, 0, 0)
    tr = sim.preview()
    assert ins.tangent(sim, e, trace=tr)[2] == pytest.approx(0.082167041, abs=1e-9)
    sim.step()
    # a stale trace (the iteration just done) is ignored: the slope is at the new parameters
    w0, _, slope = ins.tangent(sim, e, trace=tr)
    assert w0 == pytest.approx(0.358916480, abs=1e-9)
    assert slope == [r for r in sim.preview() if r.kind == "gradient" and r.element == e][0].result


def test_during_step_into_the_base_is_the_iterations_start():
    sim = load_example("mazur")
    e = Element("weight", 1, 0, 0)
    expected = ins.tangent(sim, e), ins.next_point(sim, e), ins.loss_along(sim, e, 0.5, 5)
    sim.begin_iteration()
    while sim.current_computation is None or sim.current_computation.kind != "update" \
            or sim.current_computation.element != e:
        sim.step_into()
    assert sim.parameter(e) == pytest.approx(0.358916480, abs=1e-9)  # the diagram shows the update done
    before = state(sim)
    got = ins.tangent(sim, e), ins.next_point(sim, e), ins.loss_along(sim, e, 0.5, 5)
    assert got[0] == expected[0] and got[1] == expected[1]
    assert np.array_equal(got[2][1], expected[2][1])
    assert same_state(before, state(sim))


def test_loss_surface_values_are_direct_loss_computations():
    sim = trained("xor", 200)
    e1, e2 = Element("weight", 0, 0, 0), Element("bias", 1, 0)
    k1, k2 = ins.param_index(sim.network, e1), ins.param_index(sim.network, e2)
    g1, g2, L = ins.loss_surface(sim, e1, e2, (0.5, 2.0), 7)
    assert L.shape == (7, 7)
    np.testing.assert_allclose(g1, sim.network.theta[k1] + np.linspace(-0.5, 0.5, 7), atol=1e-15)
    np.testing.assert_allclose(g2, sim.network.theta[k2] + np.linspace(-2, 2, 7), atol=1e-15)
    for r, c in ((0, 0), (3, 3), (6, 1), (2, 5)):
        th = sim.network.theta.copy()
        th[k1], th[k2] = g1[c], g2[r]
        ref = batch_loss(sim.network.sizes, sim.network.activation_names, list(th), sim.inputs, sim.targets, "mse")
        assert L[r, c] == pytest.approx(ref, rel=1e-12)
    assert L[3, 3] == pytest.approx(sim.loss(), rel=1e-14)
    # parameters in different layers of a softmax network, on given ranges
    b = load_example("blobs")
    e1, e2 = Element("weight", 0, 5, 1), Element("weight", 1, 0, 3)
    g1, g2, L = ins.loss_surface(b, e1, e2, n=5, ranges=((-1.0, 1.0), (0.0, 2.0)))
    assert g1[0] == -1.0 and g1[-1] == 1.0 and g2[0] == 0.0 and g2[-1] == 2.0
    th = b.network.theta.copy()
    th[ins.param_index(b.network, e1)], th[ins.param_index(b.network, e2)] = g1[1], g2[4]
    ref = batch_loss(b.network.sizes, b.network.activation_names, list(th), b.inputs, b.targets, "cross_entropy")
    assert L[4, 1] == pytest.approx(ref, rel=1e-12)
    with pytest.raises(ConfigError, match="two different"):
        ins.loss_surface(b, e1, e1)


def test_path_through_and_the_recorded_history():
    sim = load_example("xor")
    e1, e2 = Element("weight", 0, 0, 0), Element("weight", 1, 0, 2)
    k1, k2 = ins.param_index(sim.network, e1), ins.param_index(sim.network, e2)
    hist = ins.ThetaHistory()
    hist.observe(sim)
    seen = [sim.network.theta.copy()]
    for _ in range(5):
        sim.step(trace=False)
        hist.observe(sim)
        seen.append(sim.network.theta.copy())
    p1, p2 = ins.path_through(hist.thetas, e1, e2, network=sim.network)
    assert p1.tolist() == [t[k1] for t in seen] and p2.tolist() == [t[k2] for t in seen]
    sim.step_back()
    sim.step_back()
    hist.observe(sim)
    assert hist.iterations == [0, 1, 2, 3]
    sim.set_weight(0, 0, 0, 5.0)  # an edit replaces the current entry
    hist.observe(sim)
    assert hist.iterations == [0, 1, 2, 3] and hist.thetas[-1][k1] == 5.0
    small = ins.ThetaHistory(max_points=8)
    for _ in range(30):
        sim.step(trace=False)
        small.observe(sim)
    assert len(small.thetas) <= 8 and small.iterations[-1] == sim.iteration
    assert small.iterations == sorted(small.iterations)
    with pytest.raises(ConfigError, match="parameter vectors"):
        ins.path_through([np.zeros(3)], e1, e2, network=sim.network)


# -- resolution -------------------------------------------------------------------------------------------------------
def test_choose_resolution_follows_the_cost_model():
    small, big = ins.choose_resolution(105, 12.0), ins.choose_resolution(20_000, 12.0)
    assert big < small <= ins.MAX_RESOLUTION
    r = ins.choose_resolution(5_000, 12.0)
    cost = lambda r: ins.COST_FIXED_MS + r * r * (ins.COST_PIXEL_MS + ins.COST_PARAM_MS * 5_000)  # noqa: E731
    assert cost(r) <= 12.0 < cost(r + 1)
    assert ins.choose_resolution(10**7, 12.0) == ins.MIN_RESOLUTION
    assert ins.choose_resolution(105, 1000.0) == ins.MAX_RESOLUTION
    for bad in (0, -1.0, math.nan, "fast"):
        with pytest.raises(ConfigError):
            ins.choose_resolution(105, bad)


# -- compared runs -----------------------------------------------------------------------------------------------------
def test_describe_difference_labels():
    a, b = TrainingSettings(learning_rate=0.5), TrainingSettings(learning_rate=0.1)
    assert describe_difference(a, b) == "η = 0.5"
    assert describe_difference(a, a, {"scheme": "xavier", "seed": 3}, {"scheme": "he", "seed": 3}) == "xavier, seed 3"
    assert describe_difference(TrainingSettings(batch_size=10, momentum=0.9), TrainingSettings()) == "batch 10, μ = 0.9"
    assert describe_difference(a, a) == "same settings"
    assert describe_difference(a, a, None, {"scheme": "he", "seed": 1}) == "weights from the file"
    # settings from a newer engine (plain dicts) still read sensibly
    assert describe_difference({"optimizer": "adam", "l2": 1e-4, "warmup": 5}, {"optimizer": "sgd"}) == \
        "Adam, L2 = 0.0001, warmup = 5"


def test_run_record_round_trip_through_json():
    sim = trained("moons", 95)
    rec = RunRecord.from_simulation(sim, "η = 0.05", init={"scheme": "xavier", "seed": 3})
    assert rec.iterations.tolist() == list(range(1, 96))
    assert np.array_equal(rec.batch_loss, sim.batch_loss.view())
    assert np.array_equal(rec.epoch_loss, sim.epoch_loss.view()) and rec.epoch_end.tolist() == [30, 60, 90]
    back = RunRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    for f in ("iterations", "batch_loss", "epoch_end", "epoch_loss"):
        assert np.array_equal(getattr(back, f), getattr(rec, f)) and getattr(back, f).dtype == getattr(rec, f).dtype
    assert (back.label, back.visible, back.init, back.settings) == (rec.label, True, rec.init, rec.settings)
    model = RunsModel([rec, back])
    model.rename(1, "second")
    model.set_visible(0, False)
    again = RunsModel.from_list(json.loads(json.dumps(model.to_list())))
    assert [r.label for r in again] == ["η = 0.05", "second"] and [r.visible for r in again] == [False, True]


@pytest.mark.parametrize("bad,msg", [
    ({"label": 3}, "label"),
    ({"batch_loss": [0.1, float("nan")]}, "finite"),
    ({"iterations": [1, 2, 2], "batch_loss": [0.3, 0.2, 0.1]}, "increasing"),
    ({"iterations": [1, 2, 3]}, "batch_loss"),
    ({"visible": "yes"}, "visible"),
    ({"extra": 1}, "unknown"),
    ({"epoch_end": [1.5]}, "whole number"),
])
def test_run_record_rejects_bad_dicts(bad, msg):
    good = {"label": "x", "iterations": [1, 2], "batch_loss": [0.5, 0.4], "epoch_end": [2], "epoch_loss": [0.45]}
    RunRecord.from_dict(good)
    with pytest.raises(ConfigError, match=msg):
        RunRecord.from_dict({**good, **bad}, "history.runs[0]")
    with pytest.raises(ConfigError, match="history.runs"):
        RunsModel.from_list("no")


def test_long_runs_are_decimated_keeping_extremes():
    x = np.arange(1, 100_001)
    y = np.sin(x / 500.0) + (x == 77_777) * 5.0
    xd, yd = decimate(x, y, 4000)
    assert len(xd) <= 4100 and yd.max() == y.max() and yd.min() == y.min()
    assert np.all(np.diff(xd) > 0)


def test_runs_model_capture_labels_and_bounds():
    sim = load_example("xor")
    model = RunsModel()
    assert model.capture(sim, sim.settings) is None  # nothing run yet
    sim.run(50)
    rec = model.capture(sim, TrainingSettings(**{**sim.settings.__dict__, "learning_rate": 0.5}))
    assert rec.label == "η = 2" and len(model) == 1
    for _ in range(25):
        model.add(RunRecord("r", np.array([1]), np.array([0.1]), np.array([], dtype=np.int64), np.array([])))
    assert len(model) == 20 and model[0].label == "r"


@pytest.mark.parametrize("l2,l1", [(0.1, 0.0), (0.0, 0.05), (0.2, 0.03)])
def test_tangent_touches_the_regularised_curve(l2, l1):
    # With L2/L1 the trace's ∂E/∂w includes λ·w (λ·sign w), so E(w) must include the penalty too.
    sim = load_example("moons")
    sim.set_training(l2=l2, l1=l1)
    element = Element("weight", 1, 2, 3)
    w0, e0, slope = ins.tangent(sim, element)
    trace = sim.preview()
    full = [r for r in trace if r.kind == "regularization" and r.element == element][0]
    assert full.target.startswith("∂E/∂") and slope == full.result
    assert e0 == pytest.approx(trace.loss, rel=1e-12)
    h = 1e-5
    vals, losses = ins.loss_along(sim, element, h, 3)
    assert (losses[2] - losses[0]) / (vals[2] - vals[0]) == pytest.approx(slope, rel=1e-5, abs=1e-10)
