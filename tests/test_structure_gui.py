"""Structure editing on the diagram: every context-menu action, the +/− buttons, refusals, new-parameter halos."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from backprop_lab.gui.structure_menu import find_action


@pytest.fixture
def win(open_window, warnings_shown):
    """The window with its warnings in ``win.shown`` as (title, text)."""
    w = open_window()
    w.shown = warnings_shown
    return w


def trigger(win, layer, j, text):
    """Trigger the context-menu action starting with *text* on neuron *j* of *layer* (or on the layer)."""
    a = find_action(win.data_features.structure.menu_for(layer, j), text)
    assert a is not None, text
    a.trigger()


def snapshot(sim):
    return sim.network.sizes, tuple(sim.network.activation_names), sim.settings.loss, sim.network.theta.tobytes()


def undo_restores(win, before):
    win.act_undo.trigger()
    assert snapshot(win.controller.sim) == before
    assert len(win.diagram.neurons) == sum(before[0])


# Mazur's worked example: 2-2-2 sigmoid; w1…w4 into the hidden layer, w5…w8 out of it, biases b1, b2.
def test_add_a_neuron_keeps_every_weight_and_highlights_the_new_ones(win):
    sim, st = win.controller.sim, win.data_features.structure
    before = snapshot(sim)
    trigger(win, 1, 0, "Add a neuron to hidden layer 1")
    net = win.controller.sim.network
    assert net.sizes == (2, 3, 2) and len(win.diagram.neurons) == 7
    assert net.weights[0][:2].tolist() == [[0.15, 0.20], [0.25, 0.30]]
    assert net.weights[1][:, :2].tolist() == [[0.40, 0.45], [0.50, 0.55]]
    new = st.new_elements()
    assert sorted((e.kind, e.layer, e.j, e.i) for e in new) == sorted(
        [("weight", 0, 2, 0), ("weight", 0, 2, 1), ("weight", 1, 0, 2), ("weight", 1, 1, 2), ("bias", 0, 2, -1)])
    assert st.halo_shown()
    assert "Added a neuron to hidden layer 1" in win.statusBar().currentMessage()
    win.controller.step()
    assert st.new_elements() == [] and not st.halo_shown()  # highlighted until the next step
    win.act_undo.trigger()  # the step
    assert st.halo_shown()  # step back brings the highlight back with the state
    undo_restores(win, before)


def test_remove_a_neuron_keeps_the_others_weights(win):
    before = snapshot(win.controller.sim)
    trigger(win, 1, 0, "Remove neuron h1")
    net = win.controller.sim.network
    assert net.sizes == (2, 1, 2)
    assert net.weights[0].tolist() == [[0.25, 0.30]] and net.weights[1].tolist() == [[0.45], [0.55]]
    undo_restores(win, before)


def test_activation_menu_changes_only_the_activation(win):
    c = win.controller
    before = snapshot(c.sim)
    menu = win.data_features.structure.menu_for(1, 0)
    sub = next(a.menu() for a in menu.actions() if a.text() == "Activation")
    assert [a.text() for a in sub.actions()] == ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
    assert [a.text() for a in sub.actions() if a.isChecked()] == ["sigmoid"]
    out = next(a.menu() for a in win.data_features.structure.menu_for(2, 0).actions() if a.text() == "Activation")
    assert "softmax" in [a.text() for a in out.actions()]  # softmax only on the output
    trigger(win, 1, 1, "tanh")
    assert c.sim.network.activation_names == ["tanh", "sigmoid"]
    assert c.sim.network.theta.tobytes() == before[3]
    # the equations and the diagram follow at once: h1's value is now tanh(net_h1)
    net_h1 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35
    assert float(win.diagram.neurons[(1, 0)].value_text) == pytest.approx(np.tanh(net_h1), abs=1e-6)
    undo_restores(win, before)


def test_insert_and_remove_hidden_layers(win):
    c = win.controller
    before = snapshot(c.sim)
    trigger(win, 1, None, "Insert a hidden layer after hidden layer 1")
    assert c.sim.network.sizes == (2, 2, 3, 2) and len(win.diagram.neurons) == 9
    assert c.sim.network.weights[0].tolist() == [[0.15, 0.20], [0.25, 0.30]]  # kept
    assert len(win.data_features.structure.new_elements()) == 2 * 3 + 3 * 2 + 3
    trigger(win, 1, None, "Insert a hidden layer before hidden layer 1")
    assert c.sim.network.sizes == (2, 3, 2, 3, 2)
    trigger(win, 2, None, "Remove hidden layer 2")
    assert c.sim.network.sizes == (2, 3, 3, 2)
    for _ in range(2):
        win.act_undo.trigger()
    assert c.sim.network.sizes == (2, 2, 3, 2)
    undo_restores(win, before)


def test_loss_menu(win):
    c = win.controller
    before = snapshot(c.sim)
    trigger(win, 2, 0, "Cross-entropy")
    assert c.sim.settings.loss == "cross_entropy" and c.state.settings.loss == "cross_entropy"
    undo_restores(win, before)


def test_refusals_say_why_and_change_nothing(win):
    c = win.controller
    before, label = snapshot(c.sim), c.sim.undo_label
    trigger(win, 0, 0, "Remove neuron i1")  # the data has two input columns
    assert snapshot(c.sim) == before and c.sim.undo_label == label
    assert win.shown[-1][0] == "Cannot remove the neuron" and "input column" in win.shown[-1][1]
    assert win.statusBar().currentMessage().startswith("Cannot remove the neuron")
    trigger(win, 2, 0, "Cross-entropy")
    before = snapshot(c.sim)
    trigger(win, 2, 0, "tanh")  # cross-entropy needs a sigmoid or softmax output
    assert snapshot(c.sim) == before and win.shown[-1][0] == "Cannot change the activation"
    assert "cross_entropy" in win.shown[-1][1] and "sigmoid" in win.shown[-1][1]
    trigger(win, 1, 0, "Remove neuron h1")
    before = snapshot(c.sim)
    trigger(win, 1, 0, "Remove neuron h1")  # the last neuron of the layer (h2 was renamed h1)
    assert snapshot(c.sim) == before and win.shown[-1][0] == "Cannot remove the neuron"


def test_plus_and_minus_buttons_by_each_layer(win, qtbot):
    d, st, c = win.diagram, win.data_features.structure, win.controller
    d.fit()
    QApplication.processEvents()

    def click(layer, sign):
        b = st.buttons[(layer, sign)]
        qtbot.mouseClick(d.viewport(), Qt.LeftButton, pos=d.mapFromScene(b.scenePos()))
    assert sorted(st.buttons) == sorted((l, s) for l in range(3) for s in "−+")
    assert st.button_at(d.mapFromScene(st.buttons[(1, "+")].scenePos())).tip == "Add a neuron to hidden layer 1"
    click(1, "+")
    assert c.sim.network.sizes == (2, 3, 2) and st.halo_shown()
    click(1, "−")  # the buttons are made again for the new layout
    click(1, "−")
    assert c.sim.network.sizes == (2, 1, 2)


def test_a_right_click_on_a_neuron_opens_its_menu(win, qtbot, monkeypatch):
    d, st = win.diagram, win.data_features.structure
    opened = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *a: opened.append(menu))  # no real popup offscreen
    d.fit()
    QApplication.processEvents()
    circle = d.layout_.neurons[(1, 1)]
    pos = d.mapFromScene(circle.x, circle.y)
    ev = QContextMenuEvent(QContextMenuEvent.Mouse, pos, d.viewport().mapToGlobal(pos))
    QApplication.sendEvent(d.viewport(), ev)
    assert opened == [st.menu] and find_action(st.menu, "Remove neuron h2") is not None
    # away from the neurons: the nearest layer's menu (here the inputs), with the loss
    ev = QContextMenuEvent(QContextMenuEvent.Mouse, QPoint(2, 2), d.viewport().mapToGlobal(QPoint(2, 2)))
    QApplication.sendEvent(d.viewport(), ev)
    assert opened[-1] is st.menu and find_action(st.menu, "Add a neuron to the input layer") is not None
    assert find_action(st.menu, "Mean squared error").isChecked()


def blobs_window(win):
    """A 2-4-3 softmax network on 3 Gaussian blobs, with the Data panel's source on blobs (60 samples, seed 5)."""
    from backprop_lab.gui.network_spec import NetworkSpec, build_simulation
    spec = NetworkSpec(sizes=(2, 4, 3), activations=("tanh", "softmax"), loss="cross_entropy", init_scheme="xavier",
                       init_seed=1, dataset_name="blobs",
                       dataset_options={"n_samples": 60, "noise": 0.5, "seed": 5, "classes": 3, "targets": "01"})
    f = win.data_features
    f.open_new(build_simulation(spec))
    p = f.panel
    p.source.setCurrentIndex(p.source.findData("gen:blobs"))
    p.samples.set_text("60")
    p.seed.set_text("5")
    p.test_fraction.set_text("0")
    return f


def test_an_output_neuron_on_generated_blobs_adapts_the_data(win):
    c, f = win.controller, blobs_window(win)
    before, data = snapshot(c.sim), c.sim.data
    trigger(win, 2, 0, "Add a neuron to the output layer")
    sim = c.sim
    assert sim.network.sizes == (2, 4, 4) and sim.targets.shape == (60, 4)
    # one-hot targets, and the data is exactly blobs with 4 classes from the panel's fields
    from backprop_lab.core import datasets as ds
    x, t = ds.make("blobs", n_samples=60, noise=float(f.panel.noise.text()), seed=5, classes=4, targets="01")
    assert np.array_equal(sim.inputs, x) and np.array_equal(sim.targets, t)
    assert set(sim.targets.sum(axis=1)) == {1.0} and f.panel.table.model.rowCount() == 60
    assert "made again" in win.statusBar().currentMessage()
    win.act_undo.trigger()
    assert snapshot(c.sim) == before and c.sim.data is data


def test_an_output_neuron_on_data_that_cannot_adapt_is_refused(win):
    c = win.controller
    f = blobs_window(win)
    f.panel.source.setCurrentIndex(f.panel.source.findData("current"))
    before, data = snapshot(c.sim), c.sim.data
    trigger(win, 2, 0, "Add a neuron to the output layer")
    assert snapshot(c.sim) == before and c.sim.data is data
    assert win.shown[-1][0] == "Cannot add a neuron" and "target column" in win.shown[-1][1]


@pytest.mark.parametrize("action", ["Add a neuron to hidden layer 1", "Insert a hidden layer after hidden layer 1",
                                    "relu", "Cross-entropy"])
def test_after_each_edit_the_window_steps_and_the_gradient_check_passes(win, qtbot, monkeypatch, action):
    from backprop_lab.gui import main_window
    monkeypatch.setattr(main_window, "show_gradient_check", lambda *a: None)
    c = win.controller
    trigger(win, 1, 0, action)
    # the next iteration's own gradient against central differences (computed by the engine's checker)
    with qtbot.waitSignal(c.gradient_checked) as got:
        win.act_grad_check.trigger()
    result = got.args[0]
    assert result.max_error < 1e-6 and len(result.checked) == c.sim.network.n_params
    loss_before = c.state.training_loss
    win.act_step.trigger()
    assert c.sim.iteration == 1 and c.state.training_loss != loss_before
