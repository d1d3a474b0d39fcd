"""Choosing in the insight views: a second parameter by Ctrl+click (or the combo), the sample the diagram traces."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from test_insight import hand_layers, sine_sim

from backprop_lab.core import Element, Network, Simulation, TrainingSettings, load_example
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.diagram_items import SELECT, SELECT2
from backprop_lab.gui.main_window import MainWindow

# Message boxes are answered at once (fixture in conftest.py).
pytestmark = pytest.mark.usefixtures("no_dialogs")

W1, W2, W4 = Element("weight", 0, 0, 0), Element("weight", 0, 0, 1), Element("weight", 0, 1, 1)


def window(qtbot, settings, sim):
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.resize(1400, 880)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.insight.input_dock in w.tabifiedDockWidgets(w.equations_dock))
    return w


def click_edge(qtbot, w, element, modifier=Qt.NoModifier):
    d = w.diagram
    qtbot.mouseClick(d.viewport(), Qt.LeftButton, modifier, d.mapFromScene(d.label_anchor(element)))


def shown_number(text: str) -> float:
    return float(text.replace("−", "-"))


# -- a second parameter ---------------------------------------------------------------------------------
def test_ctrl_click_adds_a_second_parameter_and_the_landscape_shows_both(qtbot, settings):
    sim = load_example("mazur")
    w = window(qtbot, settings, sim)
    c, d, land = w.controller, w.diagram, w.insight.landscape
    w.insight.landscape_dock.raise_()
    qtbot.waitUntil(lambda: not land.visibleRegion().isEmpty())
    seen = []
    c.selection_changed.connect(lambda st: seen.append((st.selection, st.second)))
    click_edge(qtbot, w, W1)
    click_edge(qtbot, w, W4, Qt.ControlModifier)
    assert (c.state.selection, c.state.second) == (W1, W4) and seen[-1] == (W1, W4)
    # drawn distinctly: the selection a solid green band, the second a dashed violet one; both labels shown
    pens1, pens2 = d.edges[W1]._pens, d.edges[W4]._pens
    assert pens1[0].color() == SELECT and pens1[0].style() == Qt.SolidLine
    assert pens2[0].color() == SELECT2 and pens2[0].style() == Qt.DashLine
    assert d.edges[W2].look[3] == 0 and {W1, W4} <= d.shown_labels()
    # the combo shows the controller's choice, the landscape draws E over both
    combo = w.insight.second_combo
    assert combo.currentData() == W4
    land._draw_requested()
    assert land.mode == "2d" and land.last["elements"] == (W1, W4)
    g1, g2, losses = land.last["grid1"], land.last["grid2"], land.last["losses"]
    # a contour value against the loss computed by hand from the weights (both parameters moved)
    a, b = len(g2) // 3, 2 * len(g1) // 3
    net = Network(sim.network.sizes, sim.network.activation_names, sim.network.theta.copy())
    net.weights[0][0, 0], net.weights[0][1, 1] = g1[b], g2[a]
    out = hand_layers(net, sim.inputs)[-1]
    assert losses[a, b] == pytest.approx(float(np.mean(np.sum(0.5 * (sim.targets - out) ** 2, axis=1))), rel=1e-12)
    # Ctrl+click on the second again lets it go; a plain click starts over with one
    click_edge(qtbot, w, W4, Qt.ControlModifier)
    assert (c.state.selection, c.state.second) == (W1, None) and combo.currentIndex() == 0
    assert d.edges[W4].look[3] == 0
    click_edge(qtbot, w, W4, Qt.ControlModifier)
    click_edge(qtbot, w, W2)
    assert (c.state.selection, c.state.second) == (W2, None)
    # Ctrl+click on the selected one lets it go: the second becomes the selection
    click_edge(qtbot, w, W4, Qt.ControlModifier)
    click_edge(qtbot, w, W2, Qt.ControlModifier)
    assert (c.state.selection, c.state.second) == (W4, None)
    w.close()


def test_ctrl_click_without_a_selected_parameter_selects(qtbot, settings):
    w = window(qtbot, settings, load_example("mazur"))
    c = w.controller
    c.select(Element("neuron", 1, 0))
    click_edge(qtbot, w, W4, Qt.ControlModifier)
    assert (c.state.selection, c.state.second) == (W4, None)
    w.close()


def test_the_combo_is_the_keyboards_way_and_stays_in_sync(qtbot, settings):
    w = window(qtbot, settings, load_example("mazur"))
    c, combo = w.controller, w.insight.second_combo
    msgs = []
    c.message.connect(msgs.append)
    assert not combo.isEnabled()  # no parameter selected yet
    c.set_second(W2)  # (asked anyway: refused, and said so)
    assert c.state.second is None and "Select a weight or bias first" in msgs[-1]
    c.select(W1)
    assert combo.isEnabled()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down)  # w1 is the selection itself: its row is skipped, the next is w2
    assert c.state.second == combo.currentData() == W2
    c.select(W4)  # a new selection (arrow keys, a click) lets the second go, and the combo says so
    assert c.state.second is None and combo.currentIndex() == 0
    w.close()


# -- the traced sample ----------------------------------------------------------------------------------
def five_input_sim():
    rng = np.random.default_rng(5)
    net = Network([5, 3, 2], ["tanh", "softmax"])
    net.theta[:] = rng.normal(0, 0.5, net.n_params)
    return Simulation(net, rng.normal(size=(8, 5)), np.eye(2)[rng.integers(0, 2, 8)],
                      TrainingSettings(loss="cross_entropy", batch_size=4, shuffle=False))


def assert_diagram_traces(w, sim, k, theta=None):
    """The diagram's neurons show sample *k*'s inputs and the activations computed by hand from the weights
    (*theta*: those the shown iteration started from; default the current ones)."""
    d = w.diagram
    net = Network(sim.network.sizes, sim.network.activation_names,
                  sim.network.theta.copy() if theta is None else theta)
    acts = [sim.inputs[k:k + 1]] + hand_layers(net, sim.inputs[k:k + 1])
    for l, a in enumerate(acts):
        for j in range(a.shape[1]):
            assert shown_number(d.neuron_text(l, j)) == pytest.approx(a[0, j], rel=1e-5, abs=1e-6), (l, j)


def test_clicking_a_row_traces_that_sample_in_the_diagram_and_equations(qtbot, settings):
    sim = five_input_sim()
    w = window(qtbot, settings, sim)
    c, space = w.controller, w.insight.input_space
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: space.mode == "table", timeout=2000)
    msgs = []
    c.message.connect(msgs.append)
    batch = [int(b) for b in c.state.trace.batch]
    assert batch == [0, 1, 2, 3]
    k = batch[2]
    rect = space.table.visualRect(space.model.index(k, 2))
    qtbot.mouseClick(space.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert msgs[-1] == f"The diagram and equations now trace sample #{k + 1} (sample 3 of 4 in the batch)."
    assert c.state.sample_index == k and w.status_sample.text() == f"Sample #{k + 1} (3 of 4 in this batch)"
    assert_diagram_traces(w, sim, k)
    # the equations say which sample with its inputs, and its loss lines are that sample's
    w.equations_dock.raise_()
    details = w.equations.details.toPlainText()
    inputs = ", ".join(f"{sim.network.neuron_name(0, j)} = {c.state.fmt(sim.inputs[k, j], 6)}" for j in range(5))
    assert f"Traced: sample #{k + 1} (3 of 4 in this batch): {inputs}" in details
    assert "⁽³⁾" in details and "⁽¹⁾ = " not in details.split("Traced")[1].split("Etotal")[0]
    # the table marks it (the selected row), and the equations list opens at its forward pass
    assert space.table.selectionModel().selectedRows()[0].row() == k
    # a sample outside this batch: said plainly; the diagram shows the batch's first
    msgs.clear()
    space.sample_clicked.emit(6)
    assert "Sample #7 is not in this batch (samples #1–#4); it is traced once a batch holds it." in msgs[-1]
    assert c.state.sample_index == 0
    assert_diagram_traces(w, sim, 0)
    # ... and it is traced in the first iteration whose batch holds it (F10 performs the shown iteration 1,
    # whose batch is samples 1-4; the next F10 performs iteration 2 on samples 5-8 and shows it)
    c.step()
    assert c.state.sample_index == 0
    before = sim.network.theta.copy()
    c.step()
    assert [int(b) for b in c.state.trace.batch] == [4, 5, 6, 7] and c.state.sample_index == 6
    assert_diagram_traces(w, sim, 6, before)  # the iteration just done, at the weights it started from
    w.close()


def test_while_stepping_into_a_sample_the_diagram_follows_the_computation(qtbot, settings):
    sim = load_example("xor")  # full batch: all four samples in every iteration
    w = window(qtbot, settings, sim)
    c = w.controller
    msgs = []
    c.message.connect(msgs.append)
    c.step_into()  # net_h1 of sample #1
    assert c.state.current.sample == 0
    c.trace_sample(3)
    assert c.state.sample_index == 0 and "traced once you step past sample #1's computations" in msgs[-1]
    while c.state.current is None or c.state.current.sample is not None:
        c.step_into() if c.state.mode != "complete" else c.step()
    # past the per-sample computations (a batch gradient): the chosen sample is shown again
    assert c.state.sample_index == 3
    assert_diagram_traces_before_update(w, c)
    w.close()


def assert_diagram_traces_before_update(w, c):
    """The shown activations are those of the iteration's starting weights (the trace's)."""
    tr = c.state.trace
    for (l, j), item in w.diagram.neurons.items():
        if l == 0:
            continue
        rec = next(r for r in tr.records if r.kind == "activation" and r.sample == c.state.sample
                   and r.element == Element("neuron", l, j))
        assert shown_number(w.diagram.neuron_text(l, j)) == pytest.approx(rec.result, rel=1e-5, abs=1e-6)


def test_clicking_a_point_in_the_plane_traces_it_and_rings_it(qtbot, settings):
    sim = load_example("xor")
    w = window(qtbot, settings, sim)
    c, space = w.controller, w.insight.input_space
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: space.mode == "plane", timeout=2000)
    qtbot.wait(50)
    vb = space.plane.getPlotItem().vb
    k = 2
    scene_pt = vb.mapViewToScene(QPointF(*sim.inputs[k]))
    pos = space.plane.mapFromScene(scene_pt)
    qtbot.mouseClick(space.plane.viewport(), Qt.LeftButton, pos=pos)
    assert c.state.sample_index == k
    assert_diagram_traces(w, sim, k)
    xs, ys = space.traced_pt.getData()
    assert (xs[0], ys[0]) == tuple(sim.inputs[k])
    w.close()


def test_clicking_a_data_point_of_the_one_input_curve_traces_it(qtbot, settings):
    sim = sine_sim(3)  # 30 samples, batches of 5, not shuffled
    w = window(qtbot, settings, sim)
    c, space = w.controller, w.insight.input_space
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: space.mode == "curve", timeout=2000)
    qtbot.wait(50)
    k = 3  # in the first batch (samples 1-5)
    vb = space.curve_plot.getPlotItem().vb
    pos = space.curve_plot.mapFromScene(vb.mapViewToScene(QPointF(sim.inputs[k, 0], sim.targets[k, 0])))
    qtbot.mouseClick(space.curve_plot.viewport(), Qt.LeftButton, pos=pos)
    assert c.state.sample_index == k and c.state.sample == 3
    assert_diagram_traces(w, sim, k)
    xs, ys = space.curve_traced.getData()
    assert (xs[0], ys[0]) == (sim.inputs[k, 0], sim.targets[k, 0])
    # a click far from every point chooses nothing
    (x0, x1), (y0, y1) = vb.viewRange()
    far = space.curve_plot.mapFromScene(vb.mapViewToScene(QPointF(x0 + 0.01 * (x1 - x0), y1 - 0.01 * (y1 - y0))))
    qtbot.mouseClick(space.curve_plot.viewport(), Qt.LeftButton, pos=far)
    assert c.state.sample_index == k
    w.close()
