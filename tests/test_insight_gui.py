"""The insight widgets (input space, neuron pictures, loss landscape, compared runs), offscreen with pytest-qt."""
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from test_insight import hand_layers

from backprop_lab.core import Element, Network, Simulation, TrainingSettings, initialize, load_example
from backprop_lab.core import insight as ins
from backprop_lab.gui.input_space import QtInputSpace
from backprop_lab.gui.landscape import QtLossLandscape
from backprop_lab.gui.neuron_pictures import BACKGROUND_STRENGTH, QtNeuronPictures, picture_image, values_rgb
from backprop_lab.gui.plot_style import PlainAxis, plain_number
from backprop_lab.gui.runs import QtComparedRuns


def sine_sim():
    rng = np.random.default_rng(0)
    net = Network([1, 8, 1], ["tanh", "linear"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.uniform(-3, 3, (40, 1))
    return Simulation(net, x, np.sin(x), TrainingSettings(learning_rate=0.05, batch_size=8))


def wide_sim():
    """784 inputs: no plane, a table of samples."""
    rng = np.random.default_rng(1)
    net = Network([784, 12, 10], ["sigmoid", "softmax"])
    net.theta[:] = initialize(net, "xavier", rng)
    x = rng.uniform(0, 1, (30, 784))
    t = np.eye(10)[rng.integers(0, 10, 30)]
    return Simulation(net, x, t, TrainingSettings(loss="cross_entropy", learning_rate=0.1, batch_size=10))


def make(name):
    if name == "sine":
        return sine_sim()
    if name == "wide":
        return wide_sim()
    return load_example(name)


ALL = ["moons", "blobs", "xor", "mazur", "sine", "wide"]
MODES = {"moons": "plane", "blobs": "plane", "xor": "plane", "mazur": "plane", "sine": "curve", "wide": "table"}


@pytest.fixture
def space(qtbot):
    w = QtInputSpace()
    qtbot.addWidget(w)
    w.resize(500, 420)
    w.show()
    qtbot.waitExposed(w)
    return w


# -- input space ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_input_space_builds_and_follows_training(space, name):
    sim = make(name)
    space.update_from(sim)
    assert space.mode == MODES[name]
    first = space.header.text()
    assert "training:" in first and "loss" in first
    assert ("accuracy" in first) == (name != "sine")
    sim.run(40)
    space.update_from(sim)
    assert space.header.text() != first
    if space.mode == "plane":
        g = space.last_grid
        gx, gy = np.meshgrid(g.xs, g.ys)
        expected = hand_layers(sim.network, np.column_stack([gx.ravel(), gy.ravel()]))[-1]
        np.testing.assert_allclose(g.outputs.reshape(-1, g.outputs.shape[-1]), expected, rtol=1e-12, atol=1e-14)
        assert space.train_pts.data.shape[0] == sim.n_samples
    elif space.mode == "curve":
        xs, ys = space.curves[0].getData()
        np.testing.assert_allclose(ys, hand_layers(sim.network, xs[:, None])[-1][:, 0], rtol=1e-12)
    else:
        assert space.model.rowCount() == sim.n_samples
        assert "inputs" in space.model.columns and "right" in space.model.columns


def test_plane_image_shows_the_outputs_and_marks_the_misclassified(space):
    sim = load_example("moons")
    sim.run(60)
    space.update_from(sim)
    g = space.last_grid
    expected = values_rgb(hand_layers(sim.network, np.column_stack([a.ravel() for a in np.meshgrid(g.xs, g.ys)]))
                          [-1][:, 0].reshape(g.value.shape), 0.0, 1.0, BACKGROUND_STRENGTH)
    assert space.image.image.shape == expected.shape
    assert np.abs(space.image.image.astype(int) - expected.astype(int)).max() <= 1
    # misclassified: sign of the output differs from the ±1 target, computed here independently
    out = hand_layers(sim.network, sim.inputs)[-1][:, 0]
    wrong = np.sign(np.where(out >= 0, 1, -1)) != sim.targets[:, 0]
    assert 0 < wrong.sum() < sim.n_samples
    assert space.wrong_pts.data.shape[0] == wrong.sum()
    assert f"({sim.n_samples - wrong.sum()}/{sim.n_samples})" in space.header.text()
    # the boundary is drawn, and lies at output 0
    x, y = space.boundary.getData()
    assert len(x) > 10
    assert np.abs(sim.network.forward(np.column_stack([x, y]))[:, 0]).max() < 0.05


def test_softmax_plane_colours_the_winning_class(space):
    sim = load_example("blobs")
    sim.run(200)
    space.update_from(sim)
    g = space.last_grid
    img = space.image.image
    win = g.outputs.argmax(axis=-1)
    # where a class wins confidently the pixel has that class's hue
    r, c = np.unravel_index(np.argmax(g.outputs[..., 2]), win.shape)
    assert win[r, c] == 2
    assert img[r, c, 1] > img[r, c, 0] and img[r, c, 1] > img[r, c, 2]  # class 3 is green


def test_test_points_are_drawn_with_their_own_marker(space):
    sim = load_example("xor")
    sim.set_data(sim.inputs, sim.targets, test_inputs=np.array([[0.2, 0.9], [0.9, 0.1]]),
                 test_targets=np.array([[1.0], [1.0]]))
    space.update_from(sim)
    assert space.test_pts.data.shape[0] == 2
    assert "test:" in space.header.text()
    assert space.test_pts.opts["symbol"] != space.train_pts.opts["symbol"]


def test_table_row_click_selects_a_training_sample(space, qtbot):
    sim = wide_sim()
    space.update_from(sim)
    idx = space.model.index(3, 2)
    rect = space.table.visualRect(idx)
    with qtbot.waitSignal(space.sample_clicked, timeout=1000) as sig:
        qtbot.mouseClick(space.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert sig.args == [3]
    table = ins.sample_table(sim)
    k = 3
    right = space.model.data(space.model.index(k, space.model.columns.index("right")))
    assert right == ("✓" if table.correct[k] else "✗")
    assert space.model.data(space.model.index(k, space.model.columns.index("target"))) == \
        f"class {int(np.argmax(sim.targets[k])) + 1}"
    # the table keeps its rows (and selection) when the values change
    space.table.selectRow(5)
    sim.run(3)
    space.update_from(sim)
    assert space.table.selectionModel().selectedRows()[0].row() == 5


def test_redraws_are_coalesced_and_skipped_while_hidden(space, qtbot):
    sim = load_example("moons")
    space.update_from(sim)
    drawn = []
    space.redrawn.connect(lambda: drawn.append(1))
    n = len(drawn)
    for _ in range(20):
        sim.run(1)
        space.request_update(sim)
    assert len(drawn) <= n + 1
    qtbot.waitUntil(lambda: space._sim is sim and not space._timer.isActive(), timeout=2000)
    qtbot.wait(150)
    done = len(drawn)
    assert done >= n + 1
    space.hide()
    space.request_update(sim)
    assert len(drawn) == done
    space.show()
    qtbot.waitUntil(lambda: len(drawn) == done + 1, timeout=2000)


# -- neuron pictures ------------------------------------------------------------------------------------------
def test_picture_image_maps_values_with_y_up(qtbot):
    arr = np.array([[-1.0, 0.0], [0.5, 1.0]])  # row 0 is the lowest y
    img = picture_image(arr, 2)
    assert (img.width(), img.height()) == (2, 2)
    top_left = QColor(img.pixel(0, 0))
    expected = values_rgb(np.array([0.5]), 0.0, 1.0)[0]
    assert abs(top_left.red() - expected[0]) <= 2 and abs(top_left.blue() - expected[2]) <= 2
    bottom_left = QColor(img.pixel(0, 1))  # −1: orange
    assert bottom_left.red() > 200 and bottom_left.blue() < 80


def test_neuron_images_for_the_diagram(qtbot):
    from backprop_lab.gui.neuron_pictures import neuron_image, neuron_images
    sim = load_example("xor")
    sim.run(500)
    imgs = neuron_images(sim, size=30, resolution=16)
    assert set(imgs) == {(1, 0), (1, 1), (1, 2), (2, 0)}
    assert all((im.width(), im.height()) == (30, 30) for im in imgs.values())
    big = neuron_image(sim, 2, 0, size=64, resolution=64)
    # bottom-left pixel: the output at the grid's corner (x0, y0), coloured on the sigmoid's 0…1 scale
    g = ins.plane_grid(sim, 64)
    o = hand_layers(sim.network, [[g.xs[0], g.ys[0]]])[-1][0, 0]
    expected = values_rgb(np.array([o]), 0.5, 0.5)[0]
    px = QColor(big.pixel(0, 63))
    assert abs(px.red() - expected[0]) <= 3 and abs(px.green() - expected[1]) <= 3 and abs(px.blue() - expected[2]) <= 3


@pytest.mark.parametrize("name", ALL)
def test_neuron_pictures_widget(qtbot, name):
    w = QtNeuronPictures()
    qtbot.addWidget(w)
    w.show()
    sim = make(name)
    w.update_from(sim)
    if sim.network.sizes[0] != 2:
        assert "2 inputs" in w.message.text()
        return
    n = sum(min(s, 16) for s in sim.network.sizes[1:])
    assert len([k for k in w._cells if k[1] >= 0]) == n
    key = (1, 0)
    pic = ins.neuron_pictures(sim, w.resolution)[key]
    assert np.array_equal(w._arrays[key][0], pic)
    assert not w._cells[key].pixmap().isNull()


# -- loss landscape -------------------------------------------------------------------------------------------------
@pytest.fixture
def land(qtbot):
    w = QtLossLandscape()
    qtbot.addWidget(w)
    w.resize(500, 380)
    w.show()
    qtbot.waitExposed(w)
    return w


FIRST_WEIGHT = {"moons": Element("weight", 0, 1, 0), "blobs": Element("weight", 1, 0, 2),
                "xor": Element("weight", 0, 2, 1), "mazur": Element("weight", 1, 0, 0),
                "sine": Element("weight", 1, 0, 3), "wide": Element("weight", 0, 5, 400)}


@pytest.mark.parametrize("name", ALL)
def test_landscape_one_parameter(land, name):
    sim = make(name)
    sim.run(5)
    e = FIRST_WEIGHT[name]
    land.update_from(sim, None)
    assert land.mode == "hint"
    land.update_from(sim, e)
    assert land.mode == "1d"
    w0 = sim.parameter(e)
    xs, ys = land.curve.getData()
    assert xs[0] < w0 < xs[-1]
    (nx,), (ny,) = land.now_pt.getData()
    assert nx == w0
    if ins.traceable(sim):
        grad = [r for r in sim.preview() if r.kind == "gradient" and r.element == e][0].result
        assert land.last["slope"] == grad
        (tx, ty) = land.tangent_line.getData()
        assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(grad, rel=1e-9, abs=1e-12)
        w1 = land.last["next"][0]
        sim.step()
        assert sim.parameter(e) == w1
        sim.step_back()
    else:  # too large to trace: the kernel's gradient, no next point
        assert land.last["next"] is None and land.next_pt.data.shape[0] == 0
    assert "∂E/∂" in land.header.text()


def test_landscape_live_mode_builds_no_trace(land, monkeypatch):
    sim = load_example("moons")
    monkeypatch.setattr(sim, "preview", lambda: pytest.fail("a live redraw built a trace"))
    land.update_from(sim, Element("weight", 0, 0, 0), live=True)
    assert land.last["next"] is None and "pauses" in land.header.text()


@pytest.mark.parametrize("name", ["xor", "mazur", "moons", "blobs"])
def test_landscape_two_parameters_with_the_path(land, name):
    sim = make(name)
    e1, e2 = Element("weight", 0, 0, 0), Element("bias", sim.network.n_layers - 1, 0)
    land.update_from(sim, e1, e2)
    for _ in range(8):
        sim.run(5)
        land.observe(sim)
    land.update_from(sim, e1, e2)
    assert land.mode == "2d"
    p1, p2 = land.path.getData()
    assert len(p1) == 9 and p1[-1] == sim.parameter(e1) and p2[-1] == sim.parameter(e2)
    g1, g2, L = land.last["grid1"], land.last["grid2"], land.last["losses"]
    assert g1[0] <= p1.min() and p1.max() <= g1[-1] and g2[0] <= p2.min() and p2.max() <= g2[-1]
    r, c = len(g2) // 3, len(g1) // 2
    net = sim.network.copy()
    net.theta[ins.param_index(net, e1)], net.theta[ins.param_index(net, e2)] = g1[c], g2[r]
    from reference import batch_loss
    assert L[r, c] == pytest.approx(batch_loss(net.sizes, net.activation_names, list(net.theta), sim.inputs,
                                               sim.targets, sim.settings.loss), rel=1e-12)
    x, _ = land.contours.getData()
    assert len(x) > 0


# -- compared runs ---------------------------------------------------------------------------------------------------
def test_compared_runs_capture_hide_rename_remove(qtbot):
    w = QtComparedRuns()
    qtbot.addWidget(w)
    w.show()
    sim = load_example("xor")
    sim.run(300)
    with qtbot.waitSignal(w.changed):
        w.capture(sim, TrainingSettings(**{**sim.settings.__dict__, "learning_rate": 0.5}))
    sim.set_training(learning_rate=0.5)
    sim.reinitialize("xavier", seed=3)
    sim.run(100)
    w.update_from(sim)
    assert w.list.list.count() == 1 and w.list.list.item(0).text() == "η = 2"
    batch, epoch, label = w.overlay._items[0]
    assert epoch.isVisible() and label.toPlainText() == "η = 2"
    assert np.array_equal(epoch.getData()[1], w.model[0].epoch_loss)
    x, y = w.batch_curve.getData()
    assert len(x) == 100
    item = w.list.list.item(0)
    item.setCheckState(Qt.Unchecked)
    assert not w.model[0].visible and not epoch.isVisible()
    item.setText("fast learning rate")
    assert w.model[0].label == "fast learning rate"
    saved = json.loads(json.dumps(w.to_list()))
    # another plot can show the same runs
    import pyqtgraph as pg
    other = pg.PlotWidget()
    qtbot.addWidget(other)
    ov = w.attach(other.getPlotItem())
    assert len(ov._items) == 1
    w.list.list.setCurrentRow(0)
    w.list.remove_selected()
    assert len(w.model) == 0 and w.list.list.count() == 0
    w.load_list(saved)
    assert [r.label for r in w.model] == ["fast learning rate"] and not w.model[0].visible


# -- axes --------------------------------------------------------------------------------------------------------------
def test_axes_read_plainly(qtbot):
    assert plain_number(0.05, 0.05) == "0.05" and plain_number(0.1, 0.05) == "0.1"
    assert plain_number(0.0005, 0.0001) == "5e−4" and plain_number(-2.0, 1.0) == "−2"
    assert plain_number(250000.0, 50000.0) == "2.5e5"
    import pyqtgraph as pg

    from backprop_lab.gui.plot_style import plain_axes, style_plot
    w = pg.PlotWidget(axisItems=plain_axes(x_integer=True))
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.show()
    w.plot([1, 2, 3], [0.001, 0.002, 0.0015])
    style_plot(w.getPlotItem(), x_min=0, y_min=0)
    w.getPlotItem().vb.setRange(xRange=(0, 3), yRange=(0, 0.002))
    left = w.getPlotItem().getAxis("left")
    assert isinstance(left, PlainAxis) and left.autoSIPrefixScale == 1.0
    bottom = w.getPlotItem().getAxis("bottom")
    for spacing, values in bottom.tickValues(0, 3, 400):
        assert all(float(v).is_integer() for v in values)
    assert bottom.tickStrings([1000.0, 2000.0], 1.0, 1000.0) == ["1,000", "2,000"]
    assert w.getPlotItem().vb.state["limits"]["xLimits"][0] == 0


def test_resolution_adapts_to_the_measured_cost(space):
    sim = load_example("moons")
    space.update_from(sim)
    first = space.resolution
    assert ins.MIN_RESOLUTION <= first <= ins.MAX_RESOLUTION
    space._cost_scale = 40.0  # redraws here cost 40× the model: a much coarser grid
    space.update_from(sim)
    assert space.resolution < first
    nx = space.last_grid.outputs.shape[1]
    ny = space.last_grid.outputs.shape[0]
    assert nx * ny <= 1.2 * space.resolution ** 2


def test_live_two_parameter_view_reuses_the_surface(land, monkeypatch):
    import backprop_lab.gui.landscape as mod
    sim = load_example("xor")
    e1, e2 = Element("weight", 0, 0, 0), Element("weight", 0, 0, 1)
    calls = []
    real = mod.loss_surface
    monkeypatch.setattr(mod, "loss_surface", lambda *a, **k: calls.append(1) or real(*a, **k))
    land.update_from(sim, e1, e2)
    sim.run(2)
    land.update_from(sim, e1, e2, live=True)
    assert len(calls) == 1  # the path and the point moved, the surface was kept
    assert land.now2.getData()[0][0] == sim.parameter(e1)
    land.update_from(sim, e1, e2)  # paused: recomputed
    assert len(calls) == 2


def test_benchmark_sections_run(qtbot):
    from benchmarks import insight as bench
    res = {"input_space": bench.input_space(True), "landscape": bench.landscape(True)}
    for name in ("moons", "blobs"):
        assert res["input_space"][name]["redraw_cpu_ms"]["median"] > 0
        assert res["landscape"][name]["two_parameters_ms"]["n"] >= 3


def test_landscape_view_holds_still_while_the_point_moves(land):
    sim = load_example("xor")
    e = Element("weight", 1, 0, 1)
    land.update_from(sim, e)
    view = land._view
    sim.step()
    land.update_from(sim, e)
    assert land._view == view  # a small step: same axes, the point moved along the curve
    w0 = sim.parameter(e)
    xs, ys = land.curve.getData()
    assert xs[0] == view[0][0] and xs[-1] == view[0][1] and xs[0] < w0 < xs[-1]
    sim.set_parameter(e, w0 + 50.0)  # far outside: the view follows
    land.update_from(sim, e)
    assert land._view != view and land._view[0][0] < w0 + 50.0 < land._view[0][1]
    assert ins.loss_along(sim, e, bounds=(1.0, 2.0), n=3)[0].tolist() == [1.0, 1.5, 2.0]
