"""The main window, driven like a user would (pytest-qt, offscreen)."""
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QTextBrowser

from backprop_lab.core import Element, Network, Simulation, TrainingSettings, load_example
from backprop_lab.gui.controller import SimulationController
from backprop_lab.gui.main_window import MainWindow, create_main_window

# Threads a test starts end with it; message boxes are recorded, never modal (fixtures in conftest.py).
pytestmark = pytest.mark.usefixtures("no_leaked_threads", "dialogs")

W5 = Element("weight", 1, 0, 0)
W1 = Element("weight", 0, 0, 0)


def press(qtbot, w, key, mod=Qt.NoModifier):
    qtbot.keyClick(w.diagram, key, mod)


def test_window_opens_on_worked_example(win):
    assert win.controller.sim.name.startswith("Worked example")
    assert "Backprop Lab" in win.windowTitle()
    assert not win.windowIcon().isNull()
    assert win.diagram.edge_label(W5) == "0.4"
    assert win.diagram.neuron_text(0, 0) == "0.05"


def test_f10_steps_and_shift_f10_steps_back_exactly(qtbot, win):
    press(qtbot, win, Qt.Key_F10)
    assert win.diagram.edge_label(W5) == "0.35891648"
    assert "0.082167041" in win.equations.plain_text()
    assert "Iteration 1 ·" in win.status_iter.text()
    press(qtbot, win, Qt.Key_F10, Qt.ShiftModifier)
    assert win.controller.sim.parameter(W5) == 0.40
    assert win.diagram.edge_label(W5) == "0.4"
    assert "Iteration 0 ·" in win.status_iter.text()


def test_f11_walks_every_computation_and_highlights_its_element(qtbot, win):
    c = win.controller
    n = len(c.sim.preview())
    seen = []
    for k in range(n):
        press(qtbot, win, Qt.Key_F11)
        if k < n - 1:
            cur = c.current
            assert cur.index == k
            assert win.diagram.highlighted == cur.element
            seen.append(cur)
            kind = cur.element.kind
            if cur.phase == "forward":
                assert kind == "neuron" and cur.element.layer > 0
            elif cur.kind in ("gradient", "update"):
                assert kind in ("weight", "bias")
            elif cur.kind.endswith("delta"):
                assert kind == "neuron"
            # the equations panel shows the engine's number for this computation
            assert win.equations.current_label.text().count(c.state.fmt(cur.result)) >= 1
    assert c.sim.iteration == 1 and c.sim.pending is None
    assert win.diagram.edge_label(W5) == "0.35891648"
    assert [r.index for r in seen] == list(range(n - 1))
    # F11 order matches the trace: forward before loss before backward before update
    assert seen[0].target == "net_h1" and seen[-1].target == "w7⁺"


def test_values_appear_only_once_computed(qtbot, win):
    press(qtbot, win, Qt.Key_F11)  # net_h1
    assert win.diagram.neuron_text(1, 0) == ""  # out_h1 not computed yet
    press(qtbot, win, Qt.Key_F11)  # net_h2
    press(qtbot, win, Qt.Key_F11)  # out_h1
    assert win.diagram.neuron_text(1, 0) == "0.59327"


def test_shift_f11_steps_back_one_computation(qtbot, win):
    for _ in range(5):
        press(qtbot, win, Qt.Key_F11)
    assert win.controller.sim.cursor == 5
    press(qtbot, win, Qt.Key_F11, Qt.ShiftModifier)
    assert win.controller.sim.cursor == 4
    assert win.diagram.highlighted == win.controller.current.element


def test_inline_edit_updates_loss_and_equations_and_refuses_bad_input(qtbot, win):
    c = win.controller
    before_loss = c.sim.loss()
    ed = win.diagram.open_editor(W1)
    ed.clear()
    qtbot.keyClicks(ed, "0.5")
    qtbot.keyClick(ed, Qt.Key_Return)
    assert c.sim.parameter(W1) == 0.5
    assert c.sim.loss() != before_loss
    assert "0.5·0.05" in win.equations.plain_text()  # net_h1 recomputed with the new w1
    assert win.diagram.editor is None
    assert win.isWindowModified()
    for bad in ["abc", "1e999", "nan", ""]:
        ed = win.diagram.open_editor(W1)
        ed.clear()
        qtbot.keyClicks(ed, bad)
        qtbot.keyClick(ed, Qt.Key_Return)
        assert win.diagram.editor_error.isVisible(), bad
        assert "unchanged" in win.diagram.editor_error.text() or "number" in win.diagram.editor_error.text()
        assert c.sim.parameter(W1) == 0.5
        qtbot.keyClick(ed, Qt.Key_Escape)
        assert win.diagram.editor is None
    press(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert c.sim.parameter(W1) == 0.15
    press(qtbot, win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert c.sim.parameter(W1) == 0.5


def test_double_click_on_edge_opens_editor(qtbot, win):
    pos = win.diagram.mapFromScene(win.diagram.label_anchor(W5))
    qtbot.mouseDClick(win.diagram.viewport(), Qt.LeftButton, pos=pos)
    assert win.diagram.editor is not None and win.controller.selection == W5
    assert win.diagram.editor.text() == "0.4"
    qtbot.keyClick(win.diagram.editor, Qt.Key_Escape)
    assert win.controller.sim.parameter(W5) == 0.4


def wheel(widget, pos, notches, modifiers=Qt.NoModifier):
    """A real wheel event (what a mouse wheel sends) at a viewport position."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    p = QPointF(pos)
    ev = QWheelEvent(p, QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 120 * notches), Qt.NoButton,
                     modifiers, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_wheel_on_selected_weight_scrubs_it_as_one_undo_step(qtbot, win):
    c = win.controller
    pos = win.diagram.mapFromScene(win.diagram.label_anchor(W5))
    c.select(W5)
    for _ in range(3):
        wheel(win.diagram.viewport(), pos, 1)  # steps of 0.01
    assert c.sim.parameter(W5) == pytest.approx(0.43)
    wheel(win.diagram.viewport(), pos, -1, Qt.ControlModifier)  # Ctrl: steps of 0.1
    assert c.sim.parameter(W5) == pytest.approx(0.33)
    assert win.diagram.edge_label(W5) == "0.33"
    c.undo()  # the whole scrub is one undo step
    assert c.sim.parameter(W5) == 0.4
    zoom = win.diagram.transform().m11()
    wheel(win.diagram.viewport(), pos, 1)  # on the selected weight again: scrubs, does not zoom
    assert win.diagram.transform().m11() == zoom
    c.select(None)
    wheel(win.diagram.viewport(), pos, 1)  # elsewhere (nothing selected): zooms
    assert win.diagram.transform().m11() > zoom and c.sim.parameter(W5) == pytest.approx(0.41)


def test_click_selects_and_equations_follow(qtbot, win):
    qtbot.mouseClick(win.diagram.viewport(), Qt.LeftButton, pos=win.diagram.mapFromScene(win.diagram.label_anchor(W5)))
    assert win.controller.selection == W5
    text = win.equations.plain_text()
    assert "Selected: w5" in text
    assert "0.74136507 · 0.186815602 · 0.593269992 = 0.082167041" in text  # the chain rule, factor by factor
    copied = win.equations.copy_plain().splitlines()  # only the selection's equations
    assert copied == ["∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.74136507 · 0.186815602 · "
                      "0.593269992 = 0.082167041", "w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.082167041 = 0.35891648"]


def test_edit_mid_iteration_says_iteration_abandoned(qtbot, win):
    for _ in range(12):
        press(qtbot, win, Qt.Key_F11)
    msgs = []
    win.controller.message.connect(msgs.append)
    assert win.controller.edit_parameter(W1, "0.2")
    assert win.controller.sim.pending is None
    assert any("abandoned" in m for m in msgs)


def test_edge_view_switch(qtbot, win):
    press(qtbot, win, Qt.Key_F10)
    press(qtbot, win, Qt.Key_2, Qt.ControlModifier)
    assert win.controller.edge_view == "gradient"
    assert win.diagram.edge_label(W5) == "∂ 0.082167041"
    press(qtbot, win, Qt.Key_3, Qt.ControlModifier)
    assert win.diagram.edge_label(W5) == "Δ −0.04108352"
    press(qtbot, win, Qt.Key_1, Qt.ControlModifier)
    assert win.diagram.edge_label(W5) == "0.35891648"


def test_precision_setting(qtbot, win, settings):
    win.equations.precision.setValue(4)
    assert win.diagram.edge_label(W5) == "0.4"
    press(qtbot, win, Qt.Key_F10)
    assert win.diagram.edge_label(W5) == "0.3589"
    assert settings.value("precision") in (4, "4")


def test_run_epochs_stays_responsive_and_fills_plot(qtbot, win):
    c = win.controller
    assert c.open_example("moons")
    win.controller.set_epochs(50)
    fired = []
    probe = QTimer()
    probe.timeout.connect(lambda: fired.append(1))
    probe.start(5)
    progress = []
    c.run_progress.connect(lambda d, t: progress.append((d, t)))
    with qtbot.waitSignal(c.run_finished, timeout=60000):
        press(qtbot, win, Qt.Key_F5)
        assert c.running
    probe.stop()
    assert c.sim.epoch == 50
    assert progress[-1][0] == progress[-1][1] == 50 * 30
    assert len(progress) > 2 and len(fired) > 1  # the event loop ran during the run
    qtbot.wait(60)
    assert win.loss_plot.n_points == 1500
    assert win.loss_plot.batch_curve.getData()[0] is not None
    assert win.loss_plot.marker.value() == 1500
    assert not win.progress.isVisible()


def test_pause_stops_at_once(qtbot, win):
    c = win.controller
    c.open_example("moons")
    c.set_speed(5)  # 1000 iterations/s: a run of many epochs takes a while
    c.run(1000)
    qtbot.wait(100)
    assert c.running
    press(qtbot, win, Qt.Key_F5)
    assert not c.running
    it = c.sim.iteration
    qtbot.wait(100)
    assert c.sim.iteration == it and 0 < it < 30_000


def test_divergence_stops_run_with_message(qtbot, win, dialogs):
    c = win.controller
    net = Network([1, 1], ["linear"])
    net.theta[:] = [1.0, 0.0]
    c.set_simulation(Simulation(net, [[10.0]], [[1.0]], TrainingSettings(learning_rate=50.0)))
    with qtbot.waitSignal(c.run_finished, timeout=30000):
        c.run(10_000)
    assert dialogs and dialogs[-1][1] == "Training diverged"
    assert np.isfinite(c.sim.network.theta).all()


def test_bad_learning_rate_typed_is_refused(qtbot, win):
    lr = win.training.learning_rate
    lr.setFocus()
    lr.selectAll()
    qtbot.keyClicks(lr, "abc")
    qtbot.keyClick(lr, Qt.Key_Return)
    assert win.controller.sim.settings.learning_rate == 0.5
    assert lr.text() == "0.5"
    lr.selectAll()
    qtbot.keyClicks(lr, "-3")
    qtbot.keyClick(lr, Qt.Key_Return)
    assert win.controller.sim.settings.learning_rate == 0.5
    assert "learning rate" in win.statusBar().currentMessage()


def test_optimizer_and_penalties_are_chosen_in_the_training_panel(qtbot, win, tmp_path):
    # (a new-user tester: Adam could only be chosen from a script or a file, and the panel then still showed
    # "Momentum μ 0.0" and nothing about the optimizer)
    c, t = win.controller, win.training
    assert t.optimizer.currentText() == "SGD" and t.momentum.isEnabled()
    t.optimizer.setCurrentIndex(t.optimizer.findData("adam"))
    t.optimizer.activated.emit(t.optimizer.currentIndex())  # as a click on "Adam" does
    assert c.sim.settings.optimizer == "adam" and not t.momentum.isEnabled()
    assert "not used by Adam" in t.momentum.toolTip()  # greyed out, and why
    press(qtbot, win, Qt.Key_F10)
    assert c.sim.optimizer_state()["t"] == 1  # Adam trained the iteration
    for field, name in ((t.l2, "l2"), (t.l1, "l1")):
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, "abc")
        qtbot.keyClick(field, Qt.Key_Return)
        assert getattr(c.sim.settings, name) == 0.0 and field.error.isVisible()
        field.selectAll()
        qtbot.keyClicks(field, "-1")
        qtbot.keyClick(field, Qt.Key_Return)
        assert getattr(c.sim.settings, name) == 0.0 and "got −1" in field.error.text()
        field.selectAll()
        qtbot.keyClicks(field, "0.01")
        qtbot.keyClick(field, Qt.Key_Return)
        assert getattr(c.sim.settings, name) == 0.01 and not field.error.isVisible()
    path = tmp_path / "adam.json"
    assert c.save(str(path))
    c.open_example("xor")
    assert t.optimizer.currentText() == "SGD" and t.l2.text() == "0.0" and t.momentum.isEnabled()
    c.open(str(path))  # a file trained with Adam shows it
    assert t.optimizer.currentText() == "Adam" and t.l2.text() == "0.01" and t.l1.text() == "0.01"
    c.set_training(optimizer="sgd")
    assert t.optimizer.currentText() == "SGD" and t.momentum.isEnabled()
    c.undo()
    assert t.optimizer.currentText() == "Adam" and c.state.undo_label == ""


def test_save_and_open_round_trip(qtbot, win, tmp_path, monkeypatch):
    c = win.controller
    press(qtbot, win, Qt.Key_F10)
    c.edit_parameter(W1, "0.3")
    target = str(tmp_path / "mine.json")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, ""))
    press(qtbot, win, Qt.Key_S, Qt.ControlModifier)
    assert not win.isWindowModified() and "mine.json" in win.windowTitle()
    theta = c.sim.network.theta.copy()
    c.open_example("xor")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (target, ""))
    press(qtbot, win, Qt.Key_O, Qt.ControlModifier)
    assert c.sim.network.theta.tobytes() == theta.tobytes()
    assert c.sim.iteration == 1 and c.path == target
    assert target in win.recent_files()


def test_bad_file_shows_dialog_and_keeps_state(qtbot, win, tmp_path, dialogs):
    bad = tmp_path / "bad.json"
    doc = load_example("mazur").to_dict()
    doc["network"] = 3
    bad.write_text(json.dumps(doc))
    press(qtbot, win, Qt.Key_F10)
    theta = win.controller.sim.network.theta.copy()
    assert not win.open_file(str(bad))
    assert dialogs[-1][0] == "warning" and str(bad) in dialogs[-1][2] and "network" in dialogs[-1][2]
    assert win.controller.sim.network.theta.tobytes() == theta.tobytes()
    assert win.controller.sim.iteration == 1


@pytest.mark.parametrize("answer,closes,saved", [(QMessageBox.Cancel, False, False),
                                                 (QMessageBox.Discard, True, False),
                                                 (QMessageBox.Save, True, True)])
def test_unsaved_changes_prompt_on_close(qtbot, settings, tmp_path, monkeypatch, answer, closes, saved):
    w = create_main_window(settings=settings)
    qtbot.addWidget(w)
    w.show()
    w.controller.step()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or answer)
    target = str(tmp_path / "saved.json")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (target, ""))
    assert w.close() == closes
    assert asked == ["Unsaved changes"]
    assert (tmp_path / "saved.json").exists() == saved
    if not closes:
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
        w.close()


def test_geometry_and_recent_files_persist(qtbot, settings, tmp_path):
    w = create_main_window(settings=settings)
    qtbot.addWidget(w)
    w.show()
    w.resize(780, 520)  # within the offscreen screen (800x600) and above the minimum size
    load_example("xor").save(tmp_path / "x.json")
    w.open_file(str(tmp_path / "x.json"))
    w.close()
    w2 = create_main_window(settings=settings)
    qtbot.addWidget(w2)
    assert (w2.size().width(), w2.size().height()) == (780, 520)
    assert str(tmp_path / "x.json") in w2.recent_files()
    w2.close()


def test_open_file_from_command_line(qtbot, settings, tmp_path):
    load_example("blobs").save(tmp_path / "b.json")
    w = create_main_window(str(tmp_path / "b.json"), settings=settings)
    qtbot.addWidget(w)
    assert w.controller.sim.network.sizes == (2, 6, 3)
    assert "b.json" in w.windowTitle()
    w.close()


def test_symmetry_is_marked(qtbot, settings):
    w = create_main_window(settings=settings)
    qtbot.addWidget(w)
    msgs = []
    w.controller.message.connect(msgs.append)
    w.controller.open_example("symmetry")
    assert all(w.diagram.neurons[(1, j)].symmetric for j in range(3))
    assert any("never differ" in m for m in msgs)
    w.controller.reinitialize("uniform", 3, scale=1.0)
    assert not any(w.diagram.neurons[(1, j)].symmetric for j in range(3))
    w.close()


def test_wide_layer_is_collapsed_and_large_network_still_steps(qtbot, settings):
    net = Network([784, 32, 10], ["sigmoid", "sigmoid"])
    rng = np.random.default_rng(0)
    sim = Simulation(net, rng.uniform(0, 1, (64, 784)), np.eye(10)[rng.integers(0, 10, 64)],
                     TrainingSettings(learning_rate=0.1, batch_size=32))
    w = MainWindow(SimulationController(sim), settings=settings)
    qtbot.addWidget(w)
    w.show()
    drawn_inputs = [k for k in w.diagram.neurons if k[0] == 0]
    assert len(drawn_inputs) <= 16
    assert not w.controller.traceable
    w.controller.step()
    assert sim.iteration == 1 and "too large" in w.equations.plain_text()
    w.close()


def test_actions_have_shortcuts_in_tooltips(win):
    for a in (win.act_step, win.act_step_into, win.act_back, win.act_back_into, win.act_run, win.act_open,
              win.act_save, win.act_save_as, win.act_undo, win.act_redo, win.act_reset, win.act_quit):
        assert a.shortcut().toString(), a.text()
        assert "(" in a.toolTip() and a.shortcut().toString() in a.toolTip()
    assert win.act_step.shortcut().toString() == "F10"
    assert win.act_back.shortcut().toString() == "Shift+F10"
    assert win.act_back_into.shortcut().toString() == "Shift+F11"


def test_copy_as_text_and_latex(qtbot, win):
    press(qtbot, win, Qt.Key_F10)
    text = win.equations.copy_plain()
    assert ("∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.74136507 · 0.186815602 · 0.593269992 = "
            "0.082167041") in text
    assert QApplication.clipboard().text() == text
    latex = win.equations.copy_as_latex()
    assert latex.startswith("\\begin{align*}") and "\\frac{\\partial E}{\\partial w_{5}}" in latex


def test_shortcuts_dialog_lists_keys(qtbot, win):
    win.show_shortcuts()
    html = win.shortcuts_dialog.findChild(QTextBrowser).toPlainText()
    assert "F10" in html and "Shift+F11" in html and "Ctrl+Z" in html
    win.shortcuts_dialog.close()


def test_reset_restores_initial_state_and_is_undoable(qtbot, win):
    c = win.controller
    for _ in range(3):
        press(qtbot, win, Qt.Key_F10)
    press(qtbot, win, Qt.Key_R, Qt.ControlModifier)
    assert c.sim.iteration == 0 and c.sim.parameter(W5) == 0.4
    press(qtbot, win, Qt.Key_Z, Qt.ControlModifier)
    assert c.sim.iteration == 3


def test_screenshot_renders(qtbot, win, tmp_path):
    for _ in range(23):
        press(qtbot, win, Qt.Key_F11)
    img = win.grab().toImage()
    assert img.width() > 800
    # not a blank window: many distinct colours
    colours = {img.pixel(x, y) for x in range(0, img.width(), 17) for y in range(0, img.height(), 17)}
    assert len(colours) > 20


def test_double_click_on_plot_steps_back_to_that_iteration(qtbot, win):
    c = win.controller
    sim = load_example("xor")
    sim.run(400)
    c.set_simulation(sim)
    vb = win.loss_plot.plot.getPlotItem().vb
    qtbot.waitUntil(lambda: vb.viewRange()[0][1] >= 390, timeout=3000)  # the plot has scaled to the data
    target = vb.mapViewToScene(pg_point(150, 0.1))

    class DoubleClick:  # what pyqtgraph's scene hands its sigMouseClicked listeners
        def double(self):
            return True

        def scenePos(self):
            return target
    win.loss_plot._on_plot_clicked(DoubleClick())
    assert c.sim.iteration == 150
    qtbot.waitUntil(lambda: win.loss_plot.marker.value() == 150, timeout=2000)  # redraws are coalesced


def test_step_back_to_iteration_action(qtbot, win, monkeypatch):
    from PySide6.QtWidgets import QInputDialog
    c = win.controller
    sim = load_example("xor")
    sim.run(300)
    c.set_simulation(sim)
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (42, True))
    win.act_back_to.trigger()
    assert c.sim.iteration == 42


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def test_tooltips_show_engine_values(qtbot, win):
    press(qtbot, win, Qt.Key_F10)
    tip = win.diagram.tooltip_for(W5)
    assert "w5</b> = 0.35891648" in tip and "∂E/∂w5 = 0.082167041" in tip and "Δ = −0.04108352" in tip
    tip = win.diagram.tooltip_for(Element("neuron", 1, 0))
    assert "net = 0.3775" in tip and "out = 0.593269992" in tip and "δ = ∂E/∂net = 0.008771355" in tip
    win.controller.open_example("symmetry")
    assert "identical" in win.diagram.tooltip_for(Element("neuron", 1, 1))


def test_slow_run_takes_traced_steps_you_can_watch(qtbot, win):
    c = win.controller
    c.set_speed(3)  # 30 iterations/s
    shown = []
    c.parameters_changed.connect(lambda state: shown.append(win.diagram.neuron_text(1, 0)))
    with qtbot.waitSignal(c.run_finished, timeout=10000):
        c.run(5)
    assert c.sim.iteration == 5
    assert c.sim.last_trace is not None and c.sim.last_trace.iteration == 5
    assert any(t for t in shown)  # the hidden neuron's value was drawn during the run


def test_plot_follows_the_data_after_a_run_unless_the_user_zoomed(qtbot, win):
    c = win.controller
    c.open_example("moons")
    vb = win.loss_plot.plot.getPlotItem().vb
    with qtbot.waitSignal(c.run_finished, timeout=30000):
        c.run(50)
    # fits the data once the run is over, not a stale or run-time range
    qtbot.waitUntil(lambda: 1500 <= vb.viewRange()[0][1] < 1700, timeout=3000)
    vb.sigRangeChangedManually.emit([True, True])  # as a mouse zoom does
    vb.setXRange(100, 200, padding=0)
    with qtbot.waitSignal(c.run_finished, timeout=30000):
        c.run(5)
    qtbot.wait(100)
    assert vb.viewRange()[0] == pytest.approx([100, 200])  # the user's zoom is kept


def test_plot_handles_a_million_points_and_keeps_spikes(qtbot, win):
    from backprop_lab.gui.loss_plot import MAX_POINTS, decimate
    c = win.controller
    n = 1_000_000
    y = np.full(n, 0.5)
    y[123_457] = 9.0  # one spike among a million points must stay visible
    y[876_543] = 0.001
    doc = load_example("mazur").to_dict()
    doc["progress"] = {"iteration": n, "epoch": 0, "position": 0}
    doc["history"] = {"batch_loss": y.tolist(), "epoch_loss": [], "epoch_end": []}
    c.set_simulation(Simulation.from_dict(doc))
    xs, ys = win.loss_plot.batch_curve.xData, win.loss_plot.batch_curve.yData  # all of it, not only the view
    assert win.loss_plot.n_points == n
    assert len(xs) <= MAX_POINTS + 1000
    assert ys.max() == 9.0 and ys.min() == 0.001
    # at its own iteration (1-based): exactly, or within the min/max bucket of the bounded history that holds it
    buckets = c.sim.batch_loss.buckets()
    k = int(np.searchsorted(buckets.end, 123_458))
    assert buckets.start[k] <= 123_458 <= buckets.end[k] and buckets.max[k] == 9.0
    assert buckets.start[k] <= xs[np.argmax(ys)] <= buckets.end[k]
    assert win.loss_plot.marker.value() == n
    # decimation keeps order and both extremes per bin
    x = np.arange(10_000.0)
    dx, dy = decimate(x, np.sin(x), 1000)
    assert np.all(np.diff(dx) >= 0) and len(dx) <= 1000 + 10


def test_stepping_and_editing_actions_are_disabled_during_a_run(qtbot, win):
    c = win.controller
    c.open_example("moons")
    c.set_speed(5)
    c.run(500)
    qtbot.wait(50)
    assert c.running
    for a in (win.act_step, win.act_step_into, win.act_back, win.act_undo, win.act_reset, win.act_reinit):
        assert not a.isEnabled(), a.text()
    assert win.progress.isVisible()
    c.pause()
    assert win.act_step.isEnabled() and win.act_back.isEnabled()
    assert not win.progress.isVisible()


def test_the_wheel_over_an_unclicked_box_scrolls_the_panel_instead_of_changing_it(qtbot, open_window, dialogs):
    # (a new-user tester scrolled the Training panel and the wheel changed its Loss box under the pointer)
    w = open_window((1400, 600))  # short: the Training panel scrolls
    panel = w.training
    area = panel.parentWidget().parentWidget()  # the scroll area around the panel
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0
    loss, speed = panel.loss.currentText(), panel.speed.value()
    for box in (panel.loss, panel.speed):
        pos = box.rect().center()
        for _ in range(2):
            wheel(box, pos, -1)  # down, away from the reader
    assert panel.loss.currentText() == loss and panel.speed.value() == speed
    assert bar.value() > 0  # the panel scrolled instead
    assert not dialogs and w.controller.sim.settings.loss == "mse"
    w.activateWindow()
    qtbot.waitActive(w)
    panel.loss.setFocus()  # clicked: now the wheel is the box's
    qtbot.waitUntil(panel.loss.hasFocus)
    wheel(panel.loss, panel.loss.rect().center(), -1)
    assert panel.loss.currentText() != loss


def test_a_long_status_message_ends_in_an_ellipsis_and_is_whole_in_the_tooltip(qtbot, open_window, dialogs):
    # (a new-user tester: long messages were cut off mid-word where the status fields begin)
    from backprop_lab.gui.plain_text import plain_tooltip
    w = open_window((1100, 700))
    bar = w.statusBar()
    text = "Opened <b>lesson</b>.json: " + "a long explanation of what happened, " * 6 + "and the end."
    w.controller.say(text)
    assert bar.currentMessage() == text  # kept whole (tests and screen readers read it)
    shown = bar.shown_message()
    assert shown.endswith("…") and text.startswith(shown[:-1])
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_rect().width()
    assert bar.message_rect().right() < w.status_iter.geometry().left()  # not under the fields
    assert bar.toolTip() == plain_tooltip(text)  # all of it, as plain text (<b> shown as typed)
    bar.grab()  # painted without error
    w.controller.say("Short.")
    assert bar.shown_message() == "Short." and bar.toolTip() == plain_tooltip("Short.")


def test_status_fields_keep_room_for_this_network_not_for_the_largest_one(qtbot, open_window, dialogs):
    # (a new-user tester: at 1000 px short messages were cut while the fields kept room for 10,000,000
    # iterations and 100,000 samples)
    w = open_window((1100, 700))
    fm = w.status_sample.fontMetrics()
    assert w.status_sample.maximumWidth() < fm.horizontalAdvance("Sample #100,000 (10 of 10 in this batch)")
    widths = set()
    for _ in range(5):  # stepping does not lay the bar out again
        w.controller.step()
        QApplication.processEvents()
        widths.add((w.status_iter.maximumWidth(), w.status_sample.maximumWidth(), w.status_loss.maximumWidth()))
    assert len(widths) == 1
    for _ in range(1000):
        w.controller.sim.step()
    w.controller.step()
    QApplication.processEvents()
    assert w.status_iter.text() == "Iteration 1,006 · Epoch 1,006"
    assert w.status_iter.maximumWidth() > min(widths)[0]  # room for ten times the counters again
    assert w.status_iter.fontMetrics().horizontalAdvance(w.status_iter.text()) + 8 <= w.status_iter.width()


def test_the_training_panel_never_scrolls_sideways(qtbot, open_window, dialogs):
    # (a new-user tester at 1000x650: the panel scrolled sideways and its description was cut at the right)
    w = open_window((1000, 650))
    area = w.training.parentWidget().parentWidget()
    for width in (260, 200, 150):  # the person drags the dock narrower
        w.resizeDocks([w.training_dock], [width], Qt.Horizontal)
        QApplication.processEvents()
        assert not area.horizontalScrollBar().isVisible()
        assert w.training.width() <= area.viewport().width()
        assert w.training.width() >= w.training.minimumSizeHint().width()


def test_ctrl_z_in_a_field_showing_the_value_is_the_windows_undo(qtbot, win):
    # (a third new-user tester: L2 0.001 + Enter, then Ctrl+Z in the field showed 0.0 while the change stayed,
    # and leaving the field applied 0.0 as a new change, losing Redo)
    c, f = win.controller, win.training.l2
    f.setFocus()
    f.selectAll()
    qtbot.keyClicks(f, "0.001")
    qtbot.keyClick(f, Qt.Key_Return)
    assert c.sim.settings.l2 == 0.001 and f.hasFocus()
    qtbot.keyClick(f, Qt.Key_Z, Qt.ControlModifier)  # the window's Undo
    assert c.sim.settings.l2 == 0.0 and f.text() == "0.0"
    qtbot.keyClick(f, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # and its Redo
    assert c.sim.settings.l2 == 0.001 and f.text() == "0.001"
    f.selectAll()
    qtbot.keyClicks(f, "5")  # while typing, Ctrl+Z undoes the typing
    qtbot.keyClick(f, Qt.Key_Z, Qt.ControlModifier)
    assert f.text() == "0.001" and c.sim.settings.l2 == 0.001


def test_a_network_made_in_the_window_asks_to_be_saved_before_closing(qtbot, win, dialogs):
    # (a third new-user tester: New Network said "save it to keep it", and Ctrl+Q quit without asking)
    from backprop_lab.gui.new_network_dialog import NetworkSpec, build_simulation
    c = win.controller
    spec = NetworkSpec((2, 3, 1), ("tanh", "tanh"), "mse", "xavier", 0, "circle",
                       {"n_samples": 40, "noise": 0.1, "seed": 1}, 0.0)
    c.new_simulation(build_simulation(spec), "circle")
    assert c.dirty and win.isWindowModified()
    win.close()  # the recorded question is answered "Discard"
    assert [d[0] for d in dialogs] == ["question"]
