"""The insight views wired into the main window: docks, neuron pictures, status line, compared runs, loss plot."""
import numpy as np
import pytest
from test_insight import hand_layers

from backprop_lab.core import Element, Network, Simulation, load_example
from backprop_lab.core import insight as ins
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import MainWindow
from backprop_lab.gui.neuron_pictures import picture_image
from backprop_lab.gui.plot_style import PlainAxis

# Message boxes are answered at once (fixture in conftest.py).
pytestmark = pytest.mark.usefixtures("no_dialogs")


def window(qtbot, settings, sim):
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    # the docks are tabified once the window is shown
    qtbot.waitUntil(lambda: w.insight.input_dock in w.tabifiedDockWidgets(w.equations_dock))
    return w


def hand_batch_loss(net: Network, X, T) -> float:
    """E_total = (1/B) Σ_s Σ_k ½ (t − o)², from the weights by hand (mse examples)."""
    out = hand_layers(net, X)[-1]
    return float(np.mean(np.sum(0.5 * (np.asarray(T) - out) ** 2, axis=1)))


def test_docks_exist_tabified_and_in_the_view_menu(qtbot, settings):
    w = window(qtbot, settings, load_example("mazur"))
    ins_ = w.insight
    view = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    texts = [a.text() for a in view.actions()]
    for d, title in ((ins_.input_dock, "Input space"), (ins_.landscape_dock, "Loss landscape"),
                     (ins_.runs_dock, "Compared runs")):
        assert d.windowTitle() == title and title in texts
    # The worked example's first view is unchanged: equations and loss plot in front.
    assert ins_.input_dock in w.tabifiedDockWidgets(w.equations_dock)
    assert ins_.runs_dock in w.tabifiedDockWidgets(w.plot_dock)
    assert w.equations.isVisible() and w.loss_plot.isVisible()
    assert ins_.input_space.visibleRegion().isEmpty()  # a tab behind the equations
    drawn = []
    ins_.input_space.redrawn.connect(lambda: drawn.append(1))
    w.controller.step()
    qtbot.wait(200)
    assert not drawn  # nothing computed while not shown
    ins_.input_dock.raise_()
    qtbot.waitUntil(lambda: len(drawn) > 0, timeout=2000)
    w.close()


def test_input_space_updates_on_steps_and_edits_with_engine_outputs(qtbot, settings):
    sim = load_example("moons")
    w = window(qtbot, settings, sim)
    space = w.insight.input_space
    drawn = []
    space.redrawn.connect(lambda: drawn.append(1))
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: len(drawn) > 0)
    n = len(drawn)
    w.controller.step()
    qtbot.waitUntil(lambda: len(drawn) > n, timeout=2000)
    g = space.last_grid
    gx, gy = np.meshgrid(g.xs, g.ys)
    hand = hand_layers(sim.network, np.column_stack([gx.ravel(), gy.ravel()]))[-1]
    np.testing.assert_allclose(g.outputs.reshape(-1, g.outputs.shape[-1]), hand, rtol=1e-12, atol=1e-12)
    # an edit redraws at the edited value
    n = len(drawn)
    e = Element("weight", 0, 0, 0)
    w.controller.edit_parameter(e, 3.25)
    qtbot.waitUntil(lambda: len(drawn) > n, timeout=2000)
    assert sim.network.weights[0][0, 0] == 3.25
    g = space.last_grid
    hand = hand_layers(sim.network, np.column_stack([a.ravel() for a in np.meshgrid(g.xs, g.ys)]))[-1]
    np.testing.assert_allclose(g.outputs.reshape(-1, 1), hand, rtol=1e-12, atol=1e-12)
    w.close()


def neuron_image_for(sim, key):
    from backprop_lab.gui import insight_docks as docks
    from backprop_lab.gui.neuron_pictures import neuron_image
    return neuron_image(sim, key[0], key[1], size=docks.LARGE_SIZE, resolution=docks.LARGE_RESOLUTION)


def test_neuron_pictures_equal_the_neurons_activations(qtbot, settings):
    from backprop_lab.gui import insight_docks as docks
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    d = w.insight
    assert d.act_pictures.isEnabled() and d.act_pictures.isChecked()  # 2 inputs, few hidden neurons: on
    d._pictures_paced.now()
    net = sim.network
    g = ins.plane_grid(sim, docks.PICTURE_RESOLUTION)
    gx, gy = np.meshgrid(g.xs, g.ys)
    hand = hand_layers(net, np.column_stack([gx.ravel(), gy.ravel()]))
    keys = [(l, j) for l in range(1, len(net.sizes)) for j in range(net.sizes[l])]
    assert sorted(d.picture_images) == sorted(keys)
    for (layer, j) in keys:
        arr = hand[layer - 1][:, j].reshape(gx.shape)
        centre, half = ins.activation_scale(net.activation_names[layer - 1], hand[layer - 1])
        want = picture_image(arr, d.picture_images[(layer, j)].width(), centre=centre, half=half)
        assert d.picture_images[(layer, j)] == want, (layer, j)
        item = d._pictures[(layer, j)][1]
        assert item.parentItem() is w.diagram.neurons[(layer, j)]
    # hovering shows it large; the toggle removes the pictures
    d.show_large_picture((1, 0))
    pix = d._large.pixmap()
    assert d._large.isVisible() and pix.width() == docks.LARGE_SIZE and pix.height() > docks.LARGE_SIZE
    # the picture as drawn, and its neuron named below it (a tester could not tell whose it was)
    big = neuron_image_for(sim, (1, 0))
    assert pix.toImage().copy(0, 0, docks.LARGE_SIZE, docks.LARGE_SIZE) == big.convertToFormat(
        pix.toImage().format())
    caption = pix.toImage().copy(0, docks.LARGE_SIZE, docks.LARGE_SIZE, pix.height() - docks.LARGE_SIZE)
    assert len({caption.pixel(x, y) for x in range(caption.width()) for y in range(caption.height())}) > 2
    assert d._large.toolTip() == sim.network.neuron_name(1, 0)
    d.hide_large_picture()
    d.act_pictures.setChecked(False)
    assert not d._pictures and all(not ch for n in w.diagram.neurons.values() for ch in
                                   [[c for c in n.childItems() if isinstance(c, docks._PictureItem)]])
    w.close()


def test_neuron_pictures_cover_no_shown_edge_label(qtbot, settings):
    # (on two moons the second hidden layer's pictures covered the start of four edge labels: a minus sign or
    # a Δ could hide under them)
    w = window(qtbot, settings, load_example("moons"))
    d = w.insight
    assert d.act_pictures.isChecked()
    d._pictures_paced.now()
    pictures = [item.sceneBoundingRect() for _, item in d._pictures.values()]
    labels = [lab.sceneBoundingRect().adjusted(2, 2, -2, -2) for lab in w.diagram.labels.values() if lab.isVisible()]
    assert len(pictures) == 17 and len(labels) == 9
    assert not [(p, q) for p in pictures for q in labels if p.intersects(q)]
    w.close()


def test_neuron_pictures_come_back_after_the_diagram_is_rebuilt(qtbot, settings):
    # (a new-user tester: on two moons, Ctrl+3 then Ctrl+1 left the diagram without pictures, though View ▸
    # Neuron Pictures stayed ticked; the views' labels differ in size, so the diagram builds its items again)
    from backprop_lab.gui import insight_docks as docks
    w = window(qtbot, settings, load_example("moons"))
    d = w.insight
    d._pictures_paced.now()

    def shown():
        return [c for n in w.diagram.neurons.values() for c in n.childItems() if isinstance(c, docks._PictureItem)
                and c.scene() is w.diagram.scene()]
    assert len(shown()) == 17
    for view in ("delta", "weight"):
        w.controller.set_edge_view(view)
        qtbot.waitUntil(lambda: len(shown()) == 17, timeout=3000)
    assert d.act_pictures.isChecked()
    w.close()


def test_neuron_pictures_off_for_more_inputs(qtbot, settings):
    rng = np.random.default_rng(2)
    net = Network([3, 4, 1], ["tanh", "sigmoid"])
    net.theta[:] = rng.normal(0, 0.5, net.n_params)
    sim = Simulation(net, rng.normal(size=(12, 3)), rng.integers(0, 2, (12, 1)).astype(float))
    w = window(qtbot, settings, sim)
    assert not w.insight.act_pictures.isEnabled() and not w.insight.act_pictures.isChecked()
    w.close()


def test_landscape_tangent_is_the_gradient_and_next_point_is_the_step(qtbot, settings):
    sim = load_example("mazur")
    w = window(qtbot, settings, sim)
    land = w.insight.landscape
    w.insight.landscape_dock.raise_()
    qtbot.waitUntil(lambda: not land.visibleRegion().isEmpty())
    e = Element("weight", 0, 0, 0)  # w1
    w.controller.select(e)
    qtbot.waitUntil(lambda: land.mode == "1d" and land.last.get("element") == e, timeout=2000)
    land._draw_requested()
    batch = sim.next_batch()
    X, T = sim.inputs[batch], sim.targets[batch]
    h = 1e-6
    losses = []
    for s in (+1, -1):
        net = Network(sim.network.sizes, sim.network.activation_names, sim.network.theta.copy())
        net.weights[0][0, 0] += s * h
        losses.append(hand_batch_loss(net, X, T))
    fd = (losses[0] - losses[1]) / (2 * h)
    assert land.last["slope"] == pytest.approx(fd, rel=1e-6, abs=1e-10)
    assert land.last["slope"] == pytest.approx(0.000438568, abs=1e-9)  # the published worked example
    expected_next = land.last["next"][0]
    w.controller.step()
    assert sim.network.weights[0][0, 0] == pytest.approx(expected_next, abs=1e-15)
    assert sim.network.weights[0][0, 0] == pytest.approx(0.149780716, abs=1e-9)
    # the second-parameter combo (a person's choice: activated) asks the controller, and the view follows
    combo = w.insight.second_combo
    combo.activated.emit(combo.findText("w3 (i1 → h2)"))  # each row says where its parameter is
    assert w.controller.state.second == Element("weight", 0, 1, 0)
    land._draw_requested()
    assert land.mode == "2d"
    w.close()


def test_status_bar_and_plot_header_show_accuracy_on_blobs(qtbot, settings):
    sim = load_example("blobs")
    w = window(qtbot, settings, sim)
    w.controller.step()
    w.insight._summary_paced.now()
    out = hand_layers(sim.network, sim.inputs)[-1]
    acc = float(np.mean(out.argmax(axis=1) == sim.targets.argmax(axis=1)))
    want = f"accuracy {100 * acc:.1f} %"
    assert want in w.insight.status_summary.text()
    assert want in w.loss_plot.summary.text()
    assert "loss" in w.insight.status_summary.text()
    w.close()


def test_compared_runs_survive_reinitialise_save_and_load(qtbot, settings, tmp_path):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    c = w.controller
    for _ in range(5):
        c.step()
    before = sim.batch_loss.view().copy()
    c.reinitialize("xavier", 3)
    runs = w.insight.runs.model
    assert len(runs) == 1
    np.testing.assert_array_equal(runs[0].batch_loss, before)
    assert runs[0].label == "weights from the file"
    batch_curve, _, label = w.insight.main_overlay._items[0]  # still on the loss plot (its batch loss), labelled
    assert batch_curve.isVisible() and label.textItem.toPlainText() == "weights from the file"
    np.testing.assert_array_equal(batch_curve.getData()[1], runs[0].batch_loss)
    c.set_training(learning_rate=2.0)
    for _ in range(3):
        c.step()
    c.reinitialize("xavier", 4)
    # labelled with what differs from the run that replaced it (same η, another seed); its settings kept
    assert len(runs) == 2 and runs[1].label == "xavier, seed 3" and runs[1].settings["learning_rate"] == 2.0
    for _ in range(3):
        c.step()
    c.set_training(learning_rate=0.25)  # a setting changed, then start again: the run trained with η = 2
    c.reinitialize("xavier", 4)
    assert runs[2].label == "η = 2"
    w.insight.runs.model.rename(0, "first try")
    w.insight.runs.model.set_visible(1, False)
    w.insight.runs.list.changed.emit()
    path = str(tmp_path / "runs.json")
    assert c.save(path)
    w.insight.runs.load_list([])
    assert c.open(path)
    got = w.insight.runs.model
    assert [r.label for r in got] == ["first try", "xavier, seed 3", "η = 2"]
    assert [r.visible for r in got] == [True, False, True]
    np.testing.assert_array_equal(got[0].batch_loss, before)
    w.close()


def test_bad_runs_in_a_file_are_refused_with_the_place(tmp_path):
    import json

    from backprop_lab.core import StateFileError
    from backprop_lab.core.statefile import load_simulation, simulation_to_dict
    doc = simulation_to_dict(load_example("xor"))
    doc["history"]["runs"] = [{"label": "x", "iterations": [1, 2], "batch_loss": [0.5],
                               "epoch_end": [], "epoch_loss": []}]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(StateFileError, match="history.runs"):
        load_simulation(p)


def test_loss_plot_reads_plainly_and_keeps_the_undone_future(qtbot, settings):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    lp = w.loss_plot
    left, bottom = lp.plot.getPlotItem().getAxis("left"), lp.plot.getPlotItem().getAxis("bottom")
    assert isinstance(left, PlainAxis) and isinstance(bottom, PlainAxis) and bottom.integer
    assert not left.autoSIPrefix
    assert left.tickStrings([0.001, 0.002, 0.003], 1.0, 0.001) == ["0.001", "0.002", "0.003"]
    assert all(float(s).is_integer() and s >= 1 for s, _ in bottom.tickSpacing(0, 4, 400))
    assert lp.legend.parentItem() is lp.plot.getPlotItem()  # above the data, not inside the view box
    c = w.controller
    for _ in range(6):
        c.step()
    full = sim.batch_loss.view().copy()
    c.step_back()
    c.step_back()
    np.testing.assert_array_equal(lp.future, full[4:])
    fx, fy = lp.future_curve.getData()
    np.testing.assert_array_equal(fx, [4, 5, 6])  # from the last shown iteration on (no gap; a tester saw one)
    np.testing.assert_array_equal(fy, full[3:])
    c.redo()
    np.testing.assert_array_equal(lp.future, full[5:])
    np.testing.assert_array_equal(lp.future_curve.getData()[0], [5, 6])
    c.edit_parameter(Element("bias", 0, 0), 0.123)  # a new entry replaces the future
    assert lp.future is None and len(lp.future_curve.getData()[0] or []) == 0
    vb = lp.plot.getPlotItem().vb
    (x0, _), (y0, _) = vb.viewRange()
    assert x0 >= 0 and y0 >= 0
    w.close()


def test_neuron_pictures_not_on_by_default_for_the_one_sample_worked_example(qtbot, settings):
    w = window(qtbot, settings, load_example("mazur"))
    d = w.insight
    assert d.act_pictures.isEnabled() and not d.act_pictures.isChecked() and not d._pictures
    d.act_pictures.setChecked(True)  # but it can be turned on
    assert sorted(d._pictures) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    w.close()


def test_a_refused_reinitialise_keeps_no_run(qtbot, settings):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    for _ in range(3):
        w.controller.step()
    w.controller.reinitialize("no-such-scheme", 1)
    assert sim.iteration == 3 and len(w.insight.runs.model) == 0
    w.controller.step()
    assert len(w.insight.runs.model) == 0
    w.close()
