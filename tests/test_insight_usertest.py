"""What a new user hit in the insight views: each test replays the tester's steps and checks what they saw."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget

from backprop_lab.core import load_example
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import MainWindow

# Message boxes are answered at once (fixture in conftest.py).
pytestmark = pytest.mark.usefixtures("no_dialogs")


def window(qtbot, settings, sim, size=(1400, 880)):
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.insight.input_dock in w.tabifiedDockWidgets(w.equations_dock))
    return w


def press(qtbot, w, key, n=1, mod=Qt.NoModifier):
    for _ in range(n):
        qtbot.keyClick(w.diagram, key, mod)


def message_room(w) -> int:
    """Pixels the status bar's message can use: up to the first visible widget in the bar (as Qt draws it)."""
    sb = w.statusBar()
    lefts = [c.geometry().left() for c in sb.findChildren(QWidget) if c.parent() is sb and c.isVisible()]
    return min(lefts, default=sb.width()) - 6


# -- 1. a click on a training point in the input plane --------------------------------------------------
def test_clicking_a_point_after_37_iterations_says_so_visibly_and_marks_it(qtbot, settings):
    """The tester's click did reach the controller, but its message was drawn in a zero-width space: the
    status bar's permanent widgets filled it at 1,400 pixels.  And the ring stayed where it was, since the
    clicked sample was not in that iteration's batch."""
    w = window(qtbot, settings, load_example("moons"))
    c, space = w.controller, w.insight.input_space
    press(qtbot, w, Qt.Key_F10, 37)
    assert c.state.iteration == 37
    w.insight.input_dock.raise_()
    qtbot.waitUntil(lambda: space.mode == "plane" and space.isVisible(), timeout=3000)
    batch = [int(b) for b in c.state.trace.batch]
    k = next(i for i in range(c.sim.n_samples) if i not in batch)
    vb = space.plane.getPlotItem().vb
    scene_pt = vb.mapViewToScene(QPointF(*c.sim.inputs[k]))
    msgs = []
    c.message.connect(msgs.append)
    qtbot.mouseClick(space.plane.viewport(), Qt.LeftButton, pos=space.plane.mapFromScene(scene_pt))
    assert msgs and f"Sample #{k + 1} is not in this batch" in msgs[-1]
    assert w.statusBar().currentMessage() == msgs[-1]
    need = w.statusBar().fontMetrics().horizontalAdvance(msgs[-1])
    assert message_room(w) >= need, (message_room(w), need)
    # the chosen sample is marked (dashed ring) apart from the traced one (solid square)
    xs, ys = space.chosen_pt.getData()
    assert [list(xs), list(ys)] == [[c.sim.inputs[k, 0]], [c.sim.inputs[k, 1]]]
    tx, ty = space.traced_pt.getData()
    assert [tx[0], ty[0]] == list(c.sim.inputs[c.state.sample_index])
    # a sample in the batch: the ring moves to it, the dashed ring goes
    j = batch[3]
    scene_pt = vb.mapViewToScene(QPointF(*c.sim.inputs[j]))
    qtbot.mouseClick(space.plane.viewport(), Qt.LeftButton, pos=space.plane.mapFromScene(scene_pt))
    assert c.state.sample_index == j and msgs[-1].endswith(f"sample #{j + 1} (sample 4 of 10 in the batch).")
    assert len(space.chosen_pt.getData()[0]) == 0
    assert w.statusBar().fontMetrics().horizontalAdvance(msgs[-1]) <= message_room(w)


# -- 7. the status bar's sample field ----------------------------------------------------------------
def test_status_bar_names_the_traced_sample_first(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c = w.controller
    press(qtbot, w, Qt.Key_F11, 25)  # into sample 2 of iteration 1
    st = c.state
    assert st.sample == 1
    k = int(st.trace.batch[1])
    assert w.status_sample.text() == f"Sample #{k + 1} (2 of 10 in this batch)"
    assert np.isfinite(st.sample_index) and st.sample_index == k


# -- 2./3. compared runs after a reset ---------------------------------------------------------------------
def trained_then_reset(qtbot, settings):
    """The tester's steps: 30 iterations, η changed, 30 more, Reset (Ctrl+R)."""
    w = window(qtbot, settings, load_example("moons"))
    c = w.controller
    for _ in range(30):
        c.step()
    assert c.set_training(learning_rate=0.2)
    for _ in range(30):
        c.step()
    earlier = c.sim.batch_loss.view().copy()
    assert len(earlier) == 60
    c.reset()
    assert c.state.iteration == 0 and len(w.insight.runs.model) == 1
    return w, earlier


def view_box_contains(vb, x0, x1, y0, y1) -> bool:
    (vx0, vx1), (vy0, vy1) = vb.viewRange()
    return vx0 <= x0 and x1 <= vx1 and vy0 <= y0 and y1 <= vy1


def test_compared_runs_fit_the_current_run_and_every_shown_run(qtbot, settings):
    w, earlier = trained_then_reset(qtbot, settings)
    c, runs = w.controller, w.insight.runs
    for _ in range(40):
        c.step()
    now = c.sim.batch_loss.view().copy()
    w.insight.runs_dock.raise_()
    qtbot.waitUntil(lambda: runs.plot.isVisible(), timeout=3000)
    vb = runs.plot.getPlotItem().vb
    # the current run is drawn (it was left as it was when the tab was last shown)
    x, y = runs.batch_curve.getData()
    assert list(x) == list(range(1, 41)) and np.allclose(y, now)
    qtbot.waitUntil(lambda: view_box_contains(vb, 1, 60, min(earlier.min(), now.min()),
                                              max(earlier.max(), now.max())), timeout=2000)
    # the earlier run hidden: the axes fit the current run alone
    item = runs.list.list.item(0)
    item.setCheckState(Qt.Unchecked)
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] < 50, timeout=2000)
    assert view_box_contains(vb, 1, 40, now.min(), now.max())
    assert vb.viewRange()[1][1] < 1.3 * max(now.max(), 0) + 0.05
    # shown again: fitted to both; removed: to the current one
    item.setCheckState(Qt.Checked)
    qtbot.waitUntil(lambda: view_box_contains(vb, 1, 60, earlier.min(), earlier.max()), timeout=2000)
    runs.list.list.setCurrentRow(0)
    runs.list.remove_selected()
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] < 50, timeout=2000)
    assert view_box_contains(vb, 1, 40, now.min(), now.max())


def rgb_distance(a, b) -> float:
    return float(np.linalg.norm(np.subtract(a[:3], b[:3], dtype=float)))


def test_after_reset_the_earlier_run_shows_whole_on_the_loss_plot_in_a_colour_of_its_own(qtbot, settings):
    w, earlier = trained_then_reset(qtbot, settings)
    plot = w.loss_plot
    vb = plot.plot.getPlotItem().vb
    ov = w.insight.main_overlay
    batch, _epoch, label = ov._items[0]
    # a faint curve of its batch loss over its whole length
    x, y = batch.getData()
    assert batch.isVisible() and list(x) == list(range(1, 61)) and np.allclose(y, earlier)
    assert batch.opts["pen"].color().alpha() < 160
    # in view right after the reset, its label too
    assert view_box_contains(vb, 1, 60, earlier.min(), earlier.max())
    assert label.isVisible() and label.toPlainText()
    qtbot.waitUntil(lambda: vb.sceneBoundingRect().contains(label.sceneBoundingRect()), timeout=2000)
    # no legend entry of either loss plot uses a run's colour
    from backprop_lab.gui.runs import RUN_COLORS
    legends = [plot.legend, w.insight.runs.legend]
    others = [pg_color(s.item.opts.get("pen")).getRgb() for lg in legends for s, lbl in lg.items
              if lbl.text != "earlier runs"]
    assert batch.opts["pen"].color().getRgb()[:3] == RUN_COLORS[0]
    for rgb in RUN_COLORS:
        for other in others:
            assert rgb_distance(rgb, other) > 80, (rgb, other)


def pg_color(pen):
    import pyqtgraph as pg
    return pg.mkPen(pen).color()


def test_a_copied_empty_history_grows():
    """Reset restores a compact copy of the history at iteration 0 (an empty buffer): the next step's loss must
    still be appended (it raised IndexError: doubling an empty buffer left it empty)."""
    from backprop_lab.core.history import LossHistory
    h = LossHistory(keep=4, max_buckets=4).copy()
    for k in range(20):
        h.batch_loss.append(float(k))
    x, y = h.batch_loss.points()
    assert h.batch_loss.total == 20 and y.min() == 0.0 and y.max() == 19.0 and x[-1] == 20


# -- 4. the loss landscape fits its dock ---------------------------------------------------------------------
@pytest.mark.parametrize("second", [False, True])
def test_landscape_plot_fits_its_dock_at_the_default_size_and_when_resized(qtbot, settings, second):
    w = window(qtbot, settings, load_example("moons"))
    c, land = w.controller, w.insight.landscape
    net = c.sim.network
    c.select(net.element_of_index(86))
    if second:
        c.set_second(net.element_of_index(90))
    w.insight.landscape_dock.raise_()
    qtbot.waitUntil(lambda: land.mode == ("2d" if second else "1d"), timeout=3000)
    plot = land.plot2 if second else land.plot1

    def fits() -> bool:
        pi = plot.getPlotItem()
        return pi.sceneBoundingRect().right() <= plot.viewport().width() + 0.5

    for width in (1400, 1180, 1600):
        w.resize(width, 880)
        qtbot.waitUntil(lambda: plot.isVisible() and plot.viewport().width() > 100)
        qtbot.waitUntil(fits, timeout=2000)
        # the legend is inside the plot's width too
        lg = land.legend2 if second else land.legend1
        assert lg.sceneBoundingRect().right() <= plot.viewport().width() + 0.5


# -- 5. Ctrl+click discoverable, the second parameter's rows say where, the contour has a colour scale ------
def test_landscape_says_how_to_get_the_contour_and_the_combo_rows_say_where(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c, land, combo = w.controller, w.insight.landscape, w.insight.second_combo
    net = c.sim.network
    w.insight.landscape_dock.raise_()
    c.select(net.element_of_index(36))  # w37
    qtbot.waitUntil(lambda: land.mode == "1d", timeout=3000)
    # the one-parameter view names the way to the contour, in view under the plot
    assert land.tip.isVisible() and "Ctrl+click a second weight" in land.tip.text()
    assert land.tip.geometry().bottom() <= land.height()
    # 2-8-8-1: w1..w16 are i→h1 (row j = target h1_j+1, column i = source), b_h1_1..8, w17..w80 h1→h2, …, w88.
    # w37 is the 21st h1→h2 weight: row 20 // 8 = 2 (h2_3), column 20 % 8 = 4 (h1_5).
    texts = [combo.itemText(r) for r in range(combo.count())]
    assert "w37 (h1_5 → h2_3)" in texts and "w1 (i1 → h1_1)" in texts and "w16 (i2 → h1_8)" in texts
    assert "b_h1_1 (bias of h1_1)" in texts and "w88 (h2_8 → o1)" in texts
    assert texts[texts.index("w88 (h2_8 → o1)") + 1] == "b_o1 (bias of o1)"
    # two parameters: the tip says how to go back and which way the loss goes down
    c.set_second(net.element_of_index(90))
    qtbot.waitUntil(lambda: land.mode == "2d", timeout=3000)
    assert "Light is low loss" in land.tip.text() and "again" in land.tip.text()
    w.close()


def test_the_contour_has_a_colour_scale_from_low_to_high_loss(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c, land = w.controller, w.insight.landscape
    net = c.sim.network
    c.select(net.element_of_index(86))
    c.set_second(net.element_of_index(90))
    w.insight.landscape_dock.raise_()
    qtbot.waitUntil(lambda: land.mode == "2d", timeout=3000)
    losses = land.last["losses"]
    # the scale spans the painted losses (linear here: they span far less than 50×) ...
    assert losses.max() < 50 * losses.min()
    lo, hi = land.scale.levels()
    assert lo == pytest.approx(losses.min(), rel=1e-12) and hi == pytest.approx(losses.max(), rel=1e-12)
    assert land.scale.isVisible()
    # ... as drawn, its bottom (low loss) has the surface's lightest colour, its top the darkest
    img = land.surface.image
    shot = land.plot2.viewport().grab().toImage()
    r = land.plot2.mapFromScene(land.scale.bar.sceneBoundingRect()).boundingRect()
    bottom = shot.pixelColor(r.center().x(), r.bottom() - 3).getRgb()
    top = shot.pixelColor(r.center().x(), r.top() + 3).getRgb()
    light = img.reshape(-1, 3)[np.argmax(img.reshape(-1, 3).sum(axis=1))]
    dark = img.reshape(-1, 3)[np.argmin(img.reshape(-1, 3).sum(axis=1))]
    assert rgb_distance(light, bottom) < 12 and rgb_distance(dark, top) < 12, (light, bottom, dark, top)
    fine_lo = np.unravel_index(np.argmin(img.sum(axis=2)), img.shape[:2])
    assert img[fine_lo].sum() < light.sum()  # (the darkest pixel is the high loss, not the low)
    w.close()


def test_a_log_scaled_surface_names_losses_on_its_scale(qtbot):
    from backprop_lab.gui.landscape import QtLossLandscape, log_ticks
    assert [t for _, t in log_ticks(np.log(0.03), np.log(2.0))] == ["0.05", "0.1", "0.2", "0.5", "1", "2"]
    assert [v for v, _ in log_ticks(np.log(0.03), np.log(2.0))] == pytest.approx(
        np.log([0.05, 0.1, 0.2, 0.5, 1.0, 2.0]), rel=1e-12)
    land = QtLossLandscape()
    qtbot.addWidget(land)
    g = np.linspace(-1.0, 1.0, 9)
    losses = 0.01 * np.exp(3.0 * (g[None, :] ** 2 + g[:, None] ** 2))  # 0.01 … 4.03: 403×
    land._paint_surface(g, g, losses)
    assert land.last["scale"] == pytest.approx((losses.min(), losses.max()), rel=1e-9)
    ticks = land.scale.axis._tickLevels[0]
    assert [t for _, t in ticks] == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"]


# -- 6. after F10 the equations list opens at the traced sample ---------------------------------------------
def first_shown_row(lst) -> int:
    return lst.rowAt(0)


def test_after_f10_the_equations_list_opens_at_the_traced_samples_forward_pass(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c, lst = w.controller, w.equations.iteration_list
    m = lst.model_
    press(qtbot, w, Qt.Key_F11, 25)  # into sample 2's forward pass: the list follows it
    assert c.state.sample == 1 and c.state.current.sample == 1
    qtbot.waitUntil(lambda: lst.visualRect(m.index(m.row_of[c.state.current.index])).bottom() > 0)
    assert first_shown_row(lst) > 10
    press(qtbot, w, Qt.Key_F10)  # the iteration finishes: the diagram and Loss section show batch position 0
    st = c.state
    assert st.mode == "complete" and st.sample == 0
    # the list is at the top: the "Forward pass" title, then sample 1's first computation (net of h1_1)
    qtbot.waitUntil(lambda: first_shown_row(lst) == 0, timeout=2000)
    assert isinstance(m.rows[0], str) and m.rows[1].sample == 0 and m.rows[1].phase == "forward"
    # the learner scrolls, then selects an element: the list stays where they put it
    lst.verticalScrollBar().setValue(lst.verticalScrollBar().maximum() // 2)
    mid = first_shown_row(lst)
    c.select(c.sim.network.element_of_index(3))
    qtbot.wait(50)
    assert first_shown_row(lst) == mid
    # traced sample #k (position 4 in this batch) chosen: the list opens at its forward pass
    k = int(st.trace.batch[4])
    c.trace_sample(k)
    assert c.state.sample == 4
    first = next(r.index for r in st.trace.records if r.sample == 4)
    qtbot.waitUntil(lambda: first_shown_row(lst) == m.row_of[first], timeout=2000)
    assert m.rows[m.row_of[first]].target.startswith("net")
    # the next F10: a new iteration, its traced sample's forward pass (position 0 unless the batch holds #k)
    press(qtbot, w, Qt.Key_F10)
    st = c.state
    first = next(r.index for r in st.trace.records if r.sample == st.sample)
    want = m.row_of[first] - (1 if st.sample == 0 else 0)
    qtbot.waitUntil(lambda: first_shown_row(lst) == want, timeout=2000)
    w.close()


# -- 8. the accuracy/loss readout keeps up with held stepping keys ------------------------------------------
def hand_summary(sim) -> tuple[float, float]:
    """Accuracy (sign of the tanh output against the ±1 target) and ½·squared-error loss of the training set,
    from the network's weights by hand."""
    net = sim.network
    a = sim.inputs
    for l in range(net.n_layers):
        a = np.tanh(a @ net.weights[l].T + net.biases[l])
    acc = float(np.mean(np.sign(a[:, 0]) == sim.targets[:, 0]))
    return acc, float(np.mean(np.sum(0.5 * (sim.targets - a) ** 2, axis=1)))


def shown_summary(text: str) -> tuple[float, float]:
    import re
    m = re.match(r"training: accuracy ([\d.]+) % \((\d+)/(\d+)\) · loss ([\d.e−-]+)", text)
    assert m, text
    return int(m.group(2)) / int(m.group(3)), float(m.group(4).replace("−", "-"))


@pytest.mark.parametrize("key,mod", [(Qt.Key_F10, Qt.NoModifier), (Qt.Key_F10, Qt.ShiftModifier)])
def test_accuracy_line_agrees_with_the_diagram_after_every_press_of_a_burst(qtbot, settings, key, mod):
    w = window(qtbot, settings, load_example("moons"))
    c, ins = w.controller, w.insight
    assert c.sim.network.activation_names == ["tanh", "tanh", "tanh"] and c.sim.settings.loss == "mse"
    if mod == Qt.ShiftModifier:
        press(qtbot, w, Qt.Key_F10, 30)
        qtbot.wait(400)
    for n in range(20):
        qtbot.keyClick(w.diagram, key, mod)  # as auto-repeat delivers them: no time for timers in between
        acc, loss = hand_summary(c.sim)
        assert c.state.training_loss == pytest.approx(loss, rel=1e-12)  # what the E_total box shows
        for text in (ins.status_summary.text(), w.loss_plot.summary.text()):
            got_acc, got_loss = shown_summary(text)
            assert got_acc == acc, (n, text)
            assert got_loss == pytest.approx(loss, rel=5e-4, abs=1e-9), (n, text)
    w.close()


def test_a_costly_accuracy_line_never_shows_an_older_value_and_catches_up(qtbot, settings):
    w = window(qtbot, settings, load_example("moons"))
    c, ins = w.controller, w.insight
    qtbot.waitUntil(lambda: bool(ins.summary), timeout=2000)
    ins._summary_paced.at_once_below = 0.0  # as on a data set where it costs more than the budget
    ins._summary_paced._costs = [0.001] * 3
    pending = 0
    for _ in range(12):
        qtbot.keyClick(w.diagram, Qt.Key_F10)
        text = ins.status_summary.text()
        assert text == w.loss_plot.summary.text()
        if text.startswith("training: accuracy ") and "%" in text:
            assert shown_summary(text) == pytest.approx(hand_summary(c.sim), rel=5e-4)
        else:
            assert text == "training: accuracy and loss …"
            pending += 1
    assert pending >= 6  # (paced: most presses of a quick burst wait for it)
    # the end of the burst: it catches up within its pace
    qtbot.waitUntil(lambda: "%" in ins.status_summary.text(), timeout=1000)
    assert shown_summary(ins.status_summary.text()) == pytest.approx(hand_summary(c.sim), rel=5e-4)
    assert shown_summary(w.loss_plot.summary.text()) == pytest.approx(hand_summary(c.sim), rel=5e-4)
    w.close()
